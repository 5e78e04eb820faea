"""The lemma index behind --text: filled by extraction, by the backlog for older stores, emptied by prune;
real SQLite FTS5 and PostgreSQL tsvector."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from avtomon.cli import cli
from avtomon.db import open_store
from avtomon.models import Article
from avtomon.pipeline.filters import Filters, parse_when
from avtomon.pipeline.query import articles
from avtomon.pipeline.search import (
    backlog_done,
    index_articles,
    index_backlog,
    lemma_text,
    mark_backlog,
    mark_counts,
    query_lemmas,
)
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


def reindex(engine, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """What extraction does after setting an article's relevance: index it again, in that transaction."""
    with Session(engine) as s, s.begin():
        index_articles(s, [tuple(r) for r in s.execute(select(Article.id, Article.title, Article.text)
                                                       .where(Article.id.in_(ids)))])


def test_word_trend_from_the_index_marks_equals_a_count_of_the_rows(hourly_store: str) -> None:
    from avtomon.pipeline import query, word_trend

    engine = open_store(hourly_store)
    with Session(engine) as s, s.begin():  # irrelevant articles: --all counts them, the default does not
        hidden = list(s.scalars(select(Article.id).where(Article.title.ilike("%завод%")).limit(3)))
        s.execute(update(Article).where(Article.id.in_(hidden)).values(relevant=False))
    reindex(engine, hidden)
    words = ("завод", "автомобили", "тяговые батареи", "КАМАЗ", "слово-которого-нет")
    checked = 0
    for tz, by, flag, (since, until), word in itertools.product(
            ("Europe/Moscow", "UTC", "Asia/Vladivostok", "America/New_York"), ("day", "week", "month"),
            (False, True), ((None, None), ("2026-01-08", None), ("2026-01-07 13:30", "2026-01-15 05:10")), words):
        f = Filters(tz=tz, include_irrelevant=flag, since=since and parse_when(since, tz=tz),
                    until=until and parse_when(until, tz=tz), text=word)
        with Session(engine) as s:
            query.resolve(s, f)
            assert word_trend.usable(s, f)
            marked, raw = word_trend.word_counts(s, f, by), query._raw_counts(s, replace(f, first_id=None), by)
        assert marked == raw, (tz, by, flag, since, until, word)
        checked += sum(raw.values())
    assert checked > 1000
    with Session(engine) as s:  # half an hour off UTC: the hour marks cannot split its days
        f = Filters(tz="Asia/Kolkata", text="завод")
        query.resolve(s, f)
        assert word_trend.word_counts(s, f, "day") is None
    assert query.trend(engine, f, "day").rows  # counted from the rows instead
    engine.dispose()


def test_entries_made_before_the_marks_get_them_from_the_backlog(hourly_store: str) -> None:
    from avtomon.pipeline import query, word_trend

    engine = open_store(hourly_store)
    f = Filters(text="завод", tz="Europe/Moscow")
    before = query.trend(engine, f, "day").rows
    with engine.begin() as conn:  # as an older version left them: entries without marks, no backlog done
        if engine.dialect.name == "postgresql":
            conn.execute(text("UPDATE article_search SET lemmas = ts_delete(lemmas, ARRAY(SELECT w FROM "
                              "unnest(tsvector_to_array(lemmas)) AS w WHERE w LIKE 'ǂ%'))"))
        else:
            conn.execute(text("UPDATE article_search SET lemmas = rtrim(substr(lemmas, 1, instr(lemmas, 'ǂ') - 1)) "
                              "WHERE instr(lemmas, 'ǂ') > 0"))
        conn.execute(text("DELETE FROM store_state WHERE key IN ('search_marks_done', 'search_marked_upto')"))
    with Session(engine) as s:
        query.resolve(s, f)
        assert not word_trend.usable(s, f) and not any(mark_counts(s, "завод", [(d, None) for d in days(s)]))
    assert query.trend(engine, f, "day").rows == before  # meanwhile counted from the rows
    assert mark_backlog(engine, limit=20) == 20  # a run's share, then the rest
    assert mark_backlog(engine) == 40
    with Session(engine) as s:
        query.resolve(s, f)
        assert word_trend.usable(s, f)
        shown = s.scalar(select(func.count()).where(Article.relevant.is_not(False)))
        assert 0 < shown < 60  # the feed's last articles are not about the industry
        assert sum(mark_counts(s, "", [(d, None) for d in days(s)])) == shown  # the relevance marked too
        assert sum(mark_counts(s, "", [(d, None) for d in days(s)], include_irrelevant=True)) == 60
    assert query.trend(engine, f, "day").rows == before
    assert mark_backlog(engine) == 0
    engine.dispose()


def days(s: Session) -> list:  # type: ignore[type-arg]
    return sorted({p.date() for p in s.scalars(select(Article.published_at))})
