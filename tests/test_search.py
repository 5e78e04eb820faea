"""The lemma index behind --text: filled by extraction, by the backlog for older stores, emptied by prune;
real SQLite FTS5 and PostgreSQL tsvector."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from avtomon.cli import cli
from avtomon.db import open_store
from avtomon.models import Article
from avtomon.pipeline.filters import Filters
from avtomon.pipeline.query import articles
from avtomon.pipeline.search import backlog_done, index_backlog, lemma_text, query_lemmas
from tests.store_fixture import fresh_store, ingest_feed, news_items


def test_lemmas_of_any_form_agree() -> None:
    assert query_lemmas("тяговых батарей") == query_lemmas("Тяговые батареи") == ["тяговый", "батарея"]
    assert lemma_text("Ёлки-палки, «КАМАЗа»!") == lemma_text("елки-палки КАМАЗ")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, httpserver: HTTPServer) -> str:
    with fresh_store(request, tmp_path) as url:
        ingest_feed(url, httpserver, tmp_path, "/news", news_items()[:12])
        yield url  # type: ignore[misc]


def indexed(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM article_search")).scalar_one()


def titles(engine, words: str) -> set[str]:  # type: ignore[no-untyped-def]
    table = articles(engine, Filters(text=words, include_irrelevant=True, limit=100))
    return {r[table.headers.index("title")] for r in table.rows}


def test_index_follows_extraction_backlog_and_prune(store: str) -> None:
    engine = open_store(store)
    with Session(engine) as s:
        total = s.scalar(select(func.count()).select_from(Article))
    assert indexed(engine) == total == 12
    found = titles(engine, "тяговые батареи")
    with Session(engine) as s:
        texts = [f"{t} {b}".lower() for t, b in s.execute(select(Article.title, Article.text)
                                                           .where(Article.title.in_(found)))]
    assert found and all("тягов" in t and "батаре" in t for t in texts)
    # a store from before the index: nothing indexed, the substring fallback still finds what it can
    assert any("тяговых батарей" in t.lower() for t in found)  # so the substring checks below are not empty
    with engine.begin() as conn:  # as migration 0007 leaves it: an empty index, its backlog not done
        conn.execute(text("DELETE FROM article_search"))
        conn.execute(text("DELETE FROM store_state WHERE key = 'search_backlog_done'"))
    assert indexed(engine) == 0
    assert titles(engine, "тяговых батарей") >= {t for t in found if "тяговых батарей" in t.lower()}
    assert index_backlog(engine) == 12 and indexed(engine) == 12
    assert titles(engine, "тяговые батареи") == found
    with Session(engine) as s:
        assert backlog_done(s)  # searches now look past the index only for articles waiting for extraction
        # with nothing waiting the search reads the index alone (no substring branch): the same articles
        waiting, waiting_title = next((i, t) for i, t, b in s.execute(select(Article.id, Article.title, Article.text)
                                      .where(Article.title.in_(found))) if "тяговых батарей" in f"{t} {b}".lower())
    with engine.begin() as conn:  # as a freshly polled article: stored, not extracted, not indexed
        conn.execute(text("UPDATE articles SET extract_status = 'pending' WHERE id = :i"), {"i": waiting})
        key = "article_id" if engine.dialect.name == "postgresql" else "rowid"
        conn.execute(text(f"DELETE FROM article_search WHERE {key} = :i"), {"i": waiting})
    assert waiting_title in titles(engine, "тяговых батарей")  # found by the substring branch
    res = CliRunner().invoke(cli, ["--db", store, "prune", "--older-than", "0d"])
    assert res.exit_code == 0, res.output
    assert indexed(engine) == 0  # deleted articles leave no index rows behind
    engine.dispose()
