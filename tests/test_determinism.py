"""The same news on SQLite and PostgreSQL prints the same rows in the same order: every query has a total
order, ties included (all items share one date here, so only the tie-breaks decide)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from avtomon.cli import cli
from tests.store_fixture import ingest_feed, news_items

QUERIES = [["companies", "--limit", "500"], ["regions"], ["categories", "--passing"], ["persons"],
           ["events", "--limit", "1000"], ["articles", "--limit", "500"], ["pairs", "--limit", "1000"],
           ["pairs", "--kind", "company-category", "--limit", "1000"], ["trend", "--by", "day"],
           # rankings counted from the raw rows (a filter besides dates): PostgreSQL joins the chosen articles,
           # SQLite reads `IN (chosen)`; both must print the same rows
           ["companies", "--text", "завод", "--limit", "500"], ["regions", "--event", "launch"],
           ["categories", "--passing", "--text", "производство"]]


def answers(url: str) -> list[list[str]]:
    out = []
    for args in QUERIES:
        res = CliRunner().invoke(cli, ["--db", url, "query", *args, "--format", "csv", "--all"],
                                 catch_exceptions=False)
        assert res.exit_code == 0, res.output
        lines = res.stdout.splitlines()
        if args[0] == "articles":  # ids are the store's own
            lines = [line.split(",", 1)[1] for line in lines]
        out.append(lines)
    return out


def test_sqlite_and_postgresql_agree_row_for_row(pg_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    items = [dict(item, date=datetime(2026, 3, 2, 9, 0)) for item in news_items()[:30]]
    sqlite_url = f"sqlite:///{tmp_path / 'a.db'}"
    ingest_feed(sqlite_url, httpserver, tmp_path, "/news", items)
    ingest_feed(pg_url, httpserver, tmp_path, "/news", list(reversed(items)))  # stored in the other order
    found = answers(sqlite_url)
    assert not [q for q, lines in zip(QUERIES, found, strict=True) if len(lines) < 2]  # every one has rows
    assert found == answers(pg_url)
