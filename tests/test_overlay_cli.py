"""The user's companies.yaml from the command line: found beside feeds.yaml or named with --companies,
checked before any work, and applied to stored articles by `extract --reextract`."""

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from avtomon.cli import cli
from avtomon.db import open_store
from tests.conftest import write_feeds
from tests.store_fixture import rss

pytestmark = pytest.mark.usefixtures("nlp")
NEWS = {"title": "ТЗС начал поставки кресел для Lada Vesta",
        "text": "Тольяттинский поставщик ТЗС начал серийные поставки кресел на конвейер АвтоВАЗа. В первый год "
                "завод выпустит 120 тыс. комплектов.",
        "link": "https://news.example.ru/tzs", "date": datetime(2026, 3, 2, 9)}
OVERLAY = "companies:\n  - key: tolyatti_seats\n    name: Тольяттинский завод сидений\n    kind: seats\n" \
          "    aliases: [ТЗС]\n    region: RU-SAM\n"


@pytest.fixture(autouse=True)
def _no_leftover_overlay() -> Iterator[None]:
    """The CLI passes the file on to worker processes in $AVTOMON_COMPANIES: never let it outlive a test."""
    os.environ.pop("AVTOMON_COMPANIES", None)
    yield
    os.environ.pop("AVTOMON_COMPANIES", None)


def _company_names(url: str) -> set[str]:
    engine = open_store(url, migrate=False)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(text("SELECT DISTINCT e.name FROM mentions m JOIN entities e ON e.id = "
                                         "m.entity_id WHERE e.kind = 'company'")))
    finally:
        engine.dispose()


def test_reextract_applies_a_new_companies_file(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss([NEWS]))
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "Новости", "url": str(feed), "fulltext": "never"}])
    url = f"sqlite:///{tmp_path / 'avtomon.db'}"
    run = CliRunner().invoke
    assert run(cli, ["--db", url, "--feeds", str(feeds), "ingest"], catch_exceptions=False).exit_code == 0
    assert "Тольяттинский завод сидений" not in _company_names(url)
    # the file beside feeds.yaml is picked up by itself; the digest of it is part of the extractor version
    (tmp_path / "companies.yaml").write_text(OVERLAY, encoding="utf-8")
    result = run(cli, ["--db", url, "--feeds", str(feeds), "extract", "--reextract"], catch_exceptions=False)
    assert result.exit_code == 0 and result.output.startswith("1 articles extracted"), result.output
    assert "Тольяттинский завод сидений" in _company_names(url)
    # nothing left to redo until the file changes again
    result = run(cli, ["--db", url, "--feeds", str(feeds), "extract", "--reextract"], catch_exceptions=False)
    assert result.output.startswith("0 articles extracted"), result.output


def test_bad_or_missing_companies_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "companies.yaml"
    bad.write_text("companies:\n  - key: x\n    name: X\n    kind: bakery\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--companies", str(bad), "analyze", "-"], input="КАМАЗ запустил завод.")
    assert result.exit_code == 2 and "kind: 'bakery' is not one of" in result.output
    result = CliRunner().invoke(cli, ["--companies", str(tmp_path / "nope.yaml"), "analyze", "-"], input="КАМАЗ")
    assert result.exit_code == 2 and "no such file" in result.output


def test_analyze_uses_the_companies_file(tmp_path: Path) -> None:
    path = tmp_path / "companies.yaml"
    path.write_text(OVERLAY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--companies", str(path), "analyze", "--compact", "-"],
                                input=NEWS["title"] + "\n\n" + NEWS["text"], catch_exceptions=False)
    assert result.exit_code == 0 and '"key": "tolyatti_seats"' in result.output
