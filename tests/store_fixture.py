"""A store filled through the real pipeline: an RSS feed of gold-set news served on loopback, polled
and extracted. Shared by the query, export and view tests (module scope: the NLP work is done once)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from avtomon.cli import cli
from tests.conftest import write_feeds

GOLD = Path(__file__).parent / "gold" / "auto.jsonl"
HOSTILE_TITLE = '=HYPERLINK("http://evil.example/steal","Автотор открыл завод")'
START = datetime(2026, 1, 5, 9, 0)


def news_items() -> list[dict]:
    """Gold texts as feed items, three days apart, plus a hostile title and one item with no date."""
    items = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    out = []
    for i, item in enumerate(items):
        out.append({"title": item["title"], "text": item["text"], "link": f"https://news.example.ru/{item['id']}",
                    "date": START + timedelta(days=3 * i)})
    out.append({"title": HOSTILE_TITLE, "text": "Калининградский Автотор запустил новую линию сборки сидений.",
                "link": "https://news.example.ru/hostile", "date": START + timedelta(days=1)})
    return out


def rss(items: list[dict]) -> bytes:
    body = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{i['link']}</link><guid>{i['link']}</guid>"
        f"<pubDate>{format_datetime(i['date'].replace(tzinfo=UTC))}</pubDate>"
        f"<description>{escape(i['text'])}</description></item>" for i in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Новости</title>'
            f"<link>https://news.example.ru/</link>{body}</channel></rss>").encode()


@contextmanager
def fresh_store(request: pytest.FixtureRequest, tmp: Path) -> Iterator[str]:
    """The URL of an empty store on the fixture's backend (`request.param`): a SQLite file in `tmp`, or a
    PostgreSQL database created for the test and dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp / 'avtomon.db'}"
        return
    import psycopg

    admin = request.getfixturevalue("pg_server")
    name = f"avtomon_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ingest_feed(url: str, server: HTTPServer, tmp: Path, path: str, items: list[dict], **feed: str) -> None:
    """Serve `items` as an RSS feed at `path` on loopback and run `avtomon ingest` into the store at `url`."""
    server.expect_request(path).respond_with_data(rss(items), content_type="application/rss+xml")
    feeds = write_feeds(tmp / "feeds.yaml", [{"name": "Новости", "url": server.url_for(path), **feed}])
    result = CliRunner().invoke(cli, ["--db", url, "--feeds", str(feeds), "ingest"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def filled_store(request: pytest.FixtureRequest, make_httpserver: HTTPServer, tmp_path_factory: pytest.TempPathFactory,
                 nlp) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A store URL (SQLite file or fresh PostgreSQL database) holding the polled and extracted news."""
    tmp = tmp_path_factory.mktemp("store")
    with fresh_store(request, tmp) as url:
        ingest_feed(url, make_httpserver, tmp, f"/news-{request.param}.xml", news_items())
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def hourly_store(request: pytest.FixtureRequest, tmp_path: Path, httpserver: HTTPServer) -> str:
    with fresh_store(request, tmp_path) as url:
        items = news_items()[:60]
        start = items[0]["date"]
        # one every 5 h 20 min over 13 days: every hour of the day, both sides of Moscow's and New York's midnights
        ingest_feed(url, httpserver, tmp_path, "/news",
                    [dict(it, date=start + timedelta(minutes=320 * i)) for i, it in enumerate(items)])
        yield url  # type: ignore[misc]
