"""Categories named in passing are stored as mentions but are not the article's categories; queries,
exports and the SQL views count the categories an article is about unless asked for the rest.
On a store filled through the real pipeline (loopback feed, ingest), SQLite and PostgreSQL."""

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from sqlalchemy import text

from avtomon.cli import cli
from avtomon.cli_query import EVENT_TYPES
from avtomon.db import open_store
from avtomon.extractors.events import TYPES
from tests.store_fixture import fresh_store, ingest_feed

BATTERY_TITLE = "«Энертэк» запустил производство тяговых батарей"
NEWS = [
    (BATTERY_TITLE, "Завод «Энертэк» в Подмосковье начал серийный выпуск тяговых батарей. Батареи и аккумуляторные "
                    "модули предназначены для электробусов и погрузчиков; первые 500 комплектов получат "
                    "заказчики до конца года."),
    ("ЛиАЗ передал Москве 100 электробусов", "Ликинский автобусный завод передал «Мосгортрансу» 100 новых "
                                             "электробусов, сообщил мэр Москвы."),
    ("Продажи грузовиков КАМАЗ выросли", "КАМАЗ в марте увеличил продажи грузовиков на 12%, до 3,1 тыс. машин."),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def passing_store(request: pytest.FixtureRequest, make_httpserver: HTTPServer,
                  tmp_path_factory: pytest.TempPathFactory, nlp) -> Iterator[str]:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("passing")
    items = [{"title": t, "text": body, "link": f"https://news.example.ru/p{i}", "date": datetime(2026, 3, 1) +
              timedelta(days=i)} for i, (t, body) in enumerate(NEWS)]
    with fresh_store(request, tmp) as url:
        ingest_feed(url, make_httpserver, tmp, f"/passing-{request.param}.xml", items, fulltext="never")
        yield url


def q(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


def rows(result: Result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def _article_categories(url: str, passing: bool) -> set[str]:
    engine = open_store(url, migrate=False)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(text(
                "SELECT e.key FROM mentions m JOIN entities e ON e.id = m.entity_id JOIN articles a ON a.id = "
                "m.article_id WHERE e.kind = 'category' AND a.title = :t AND m.passing = :p"),
                {"t": BATTERY_TITLE, "p": passing}))
    finally:
        engine.dispose()


def test_passing_mentions_are_stored_apart(passing_store: str) -> None:
    assert "batteries" in _article_categories(passing_store, False)
    assert {"buses", "special_machinery"} <= _article_categories(passing_store, True)


def test_queries_count_the_categories_an_article_is_about(passing_store: str) -> None:
    about = {r["key"]: int(r["articles"]) for r in rows(q(passing_store, "query", "categories", "--all"))}
    with_passing = {r["key"]: int(r["articles"])
                    for r in rows(q(passing_store, "query", "categories", "--all", "--passing"))}
    assert with_passing["buses"] == about["buses"] + 1  # the battery article names electric buses in passing
    assert about.get("batteries") == with_passing.get("batteries")
    found = rows(q(passing_store, "query", "articles", "--category", "buses", "--all"))
    assert BATTERY_TITLE not in {r["title"] for r in found}
    found = rows(q(passing_store, "query", "articles", "--category", "buses", "--all", "--passing"))
    assert BATTERY_TITLE in {r["title"] for r in found}


def test_views_keep_passing_categories_apart(passing_store: str) -> None:
    engine = open_store(passing_store, migrate=False)
    try:
        with engine.connect() as conn:
            cats, in_passing = conn.execute(text(
                "SELECT categories, categories_in_passing FROM v_articles WHERE title = :t"),
                {"t": BATTERY_TITLE}).one()
            flags = set(conn.scalars(text("SELECT DISTINCT passing FROM v_mentions WHERE kind = 'category'")))
    finally:
        engine.dispose()
    assert "batteries" in cats and "buses" not in cats and "buses" in in_passing
    assert flags == {True, False}


def test_export_mentions_carry_the_passing_flag(passing_store: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "mentions.csv"
    result = q(passing_store, "export", str(out), "--table", "mentions", "--all")
    assert result.exit_code == 0, result.output
    found = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    battery = [r for r in found if r["title"] == BATTERY_TITLE and r["kind"] == "category"]
    assert {r["passing"] for r in battery} == {"True", "False"}


def test_event_types_of_the_cli_are_the_extractors() -> None:
    assert list(TYPES) == EVENT_TYPES
    result = CliRunner().invoke(cli, ["query", "events", "--help"])
    assert "output" in result.output and "recall" in result.output
