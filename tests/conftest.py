"""Shared fixtures: real SQLite files, a real PostgreSQL database, fixture feeds on disk."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).parent / "data"
FEEDS = DATA / "feeds"
PG_ADMIN_URL = os.environ.get("AVTOMON_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432/test")


def feed_bytes(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def _pg_available() -> str | None:
    """None if PostgreSQL answers, else the reason it does not."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} not reachable: {exc}".splitlines()[0]


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of the test PostgreSQL; skipped with a reason when absent (CI requires it)."""
    reason = _pg_available()
    if reason:
        if os.environ.get("AVTOMON_REQUIRE_PG"):
            pytest.fail(f"AVTOMON_REQUIRE_PG is set but {reason}")
        pytest.skip(reason)
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    import psycopg

    name = f"avtomon_test_{uuid.uuid4().hex[:12]}"
    plain = pg_server.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'avtomon.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store on both backends: a SQLite file and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'avtomon.db'}"
    return request.getfixturevalue("pg_url")


def write_feeds(path: Path, feeds: list[dict], settings: dict | None = None) -> Path:
    """Write a feeds.yaml and return its path."""
    doc: dict = {"feeds": feeds}
    if settings:
        doc["settings"] = settings
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data() -> Path:
    """../shared/data beside the checkout (CI lays it there too); tests needing it skip with a reason."""
    for candidate in (SHARED, Path(os.environ.get("AVTOMON_SHARED_DATA", "/nonexistent"))):
        if (candidate / "seed-article.txt").exists():
            return candidate
    pytest.skip(f"shared data not found at {SHARED} (set AVTOMON_SHARED_DATA)")


@pytest.fixture(scope="session")
def nlp():  # type: ignore[no-untyped-def]
    """The real natasha / pymorphy3 models, loaded once for the whole session."""
    from avtomon.extractors.nlp import get_nlp
    from avtomon.extractors.resources import get_resources

    get_resources()
    return get_nlp()


from tests.store_fixture import filled_store, hourly_store  # noqa: E402, F401  (fixtures shared by query and export tests)
from tests.web_fixture import site, web_store  # noqa: E402, F401  (the web view's store and server)
