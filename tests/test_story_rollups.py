"""The story rollups are exact: after ingest and grouping, re-extraction, prune and a regrouping their rows
equal a count from scratch, and the stories they give per entity equal the distinct stories of the raw
rows for any period, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from avtomon.cli import cli
from avtomon.db import open_store
from avtomon.models import Article, Entity, Mention, Story, StoryDay, StoryLink, StoryMonth
from avtomon.pipeline.filters import Filters, article_conditions, counted
from avtomon.pipeline.story_rollups import LONG, recount, story_rows, story_totals
from tests.store_fixture import fresh_store, ingest_feed, news_items

KINDS = ("company", "region", "category")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, httpserver: HTTPServer) -> str:
    """Outlet A: a news every three days; B reprints every second one two days later, C every third one
    four days later (reworded by a closing line): stories over several UTC days."""
    with fresh_store(request, tmp_path) as url:
        items = news_items()[:24]
        start = items[0]["date"]
        a = [dict(it, date=start + timedelta(days=3 * i, hours=5 * (i % 4))) for i, it in enumerate(items)]
        for name, step, later in (("B", 2, timedelta(days=2, hours=3)), ("C", 3, timedelta(days=4, hours=1))):
            reprints = [dict(it, link=f"{it['link']}-{name}", date=it["date"] + later,
                             text=f"{it['text']} Об этом сообщает издание {name}.") for it in a[::step]]
            ingest_feed(url, httpserver, tmp_path, f"/{name}", reprints, name=f"Outlet {name}")
        ingest_feed(url, httpserver, tmp_path, "/A", a, name="Outlet A")
        yield url  # type: ignore[misc]


def stored(engine) -> tuple[dict, dict, dict]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        days = {(r.day, r.entity_id, r.every, r.passing): r.stories for r in s.scalars(select(StoryDay))}
        months = {(r.month, r.entity_id, r.every, r.passing): r.stories for r in s.scalars(select(StoryMonth))}
        links = {(r.day, r.entity_id, r.every, r.passing, r.back): (r.stories, r.long)
                 for r in s.scalars(select(StoryLink))}
    return days, months, links


def from_scratch(engine) -> tuple[dict, dict, dict]:  # type: ignore[no-untyped-def]
    """The rows a count of every story now gives."""
    with Session(engine) as s:
        keys = {sid if sid is not None else -aid for aid, sid in s.execute(select(Article.id, Article.story_id))}
        rows = story_rows(s, keys)
    days, months, links = {}, defaultdict(int), {}
    for row, n in rows.items():
        if row[0] == "day":
            days[row[1:]] = n
            months[(row[1].replace(day=1), *row[2:])] += n
        else:
            links[row[1:]] = (n, (row[1] - row[5]).days > LONG)
    return days, dict(months), links


def raw_stories(s: Session, kind: str, f: Filters) -> dict[int, int]:
    """Entity → distinct stories of its chosen articles, from the raw rows."""
    found: dict[int, set[int]] = defaultdict(set)
    stmt = (select(Mention.entity_id, Article.story_id, Article.id).join(Article).join(Entity)
            .where(Entity.kind == kind, counted(f.passing), *article_conditions(f)))
    for eid, sid, aid in s.execute(stmt):
        found[eid].add(sid if sid is not None else -aid)
    return {eid: len(keys) for eid, keys in found.items()}


def assert_exact(url: str) -> None:
    engine = open_store(url)
    now, scratch = stored(engine), from_scratch(engine)
    assert now == scratch
    assert now[0] and now[2], "the store has stories over several days"
    with Session(engine) as s:
        published = sorted(s.scalars(select(Article.published_at)))
        noon = datetime.combine(published[4].date(), time(13, 30))
        ranges = [(None, None), (published[3], None), (None, published[-4]), (published[2], published[-3]),
                  (noon, noon + timedelta(days=9, hours=3)), (noon, noon + timedelta(hours=5)),
                  (datetime.combine(published[6].date(), time()), datetime.combine(published[20].date(), time()))]
        for (since, until), every, passing, kind in itertools.product(ranges, (False, True), (False, True), KINDS):
            f = Filters(since=since, until=until, include_irrelevant=every, passing=passing)
            assert story_totals(s, kind, f) == raw_stories(s, kind, f), (since, until, every, passing, kind)
    engine.dispose()


def cli_ok(url: str, *args: str) -> str:
    res = CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def test_story_rollups_stay_exact_through_the_life_of_a_store(store: str) -> None:
    assert_exact(store)
    engine = open_store(store)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(StoryLink)), "reprints days later make links"
    with Session(engine) as s, s.begin():  # an older extractor: re-extraction rewrites the facts
        s.execute(update(Article).values(extractor_version="old"))
    engine.dispose()
    assert "articles extracted" in cli_ok(store, "extract", "--reextract")
    assert_exact(store)
    engine = open_store(store)
    with Session(engine) as s:
        days = sorted({d.date() for d in s.scalars(select(Article.published_at))})
    engine.dispose()
    cutoff = datetime.combine(days[len(days) // 3], time(12))  # within a day, inside stories
    cli_ok(store, "prune", "--older-than", cutoff.isoformat())
    assert_exact(store)
    assert "articles grouped" in cli_ok(store, "stories", "--rebuild")
    assert_exact(store)
    cli_ok(store, "db", "rebuild-rollups")
    assert_exact(store)


def test_long_stories_and_irrelevant_articles_are_counted_once(store: str) -> None:
    """Stories spread over weeks (links longer than LONG, read apart) and articles marked irrelevant
    (counted only with --all), recounted from scratch."""
    engine = open_store(store)
    with Session(engine) as s, s.begin():
        ids = list(s.scalars(select(Article.id).order_by(Article.published_at)))
        # one story of every fifth article: two to three weeks between its articles
        story = Story(first_seen=datetime(2026, 1, 5), last_seen=datetime(2026, 1, 5), title="Сюжет",
                      lead_article_id=ids[0], articles=len(ids[::5]), sources=1)
        s.add(story)
        s.flush()
        s.execute(update(Article).where(Article.id.in_(ids[::5])).values(story_id=story.id))
        s.execute(update(Article).where(Article.id.in_(ids[1::7])).values(relevant=False))
        recount(s)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(StoryLink).where(StoryLink.long.is_(True)))
    engine.dispose()
    assert_exact(store)


def test_a_ranking_by_stories_reads_the_rollups_and_matches_the_raw_ranking(store: str) -> None:
    from avtomon.pipeline.query import top_by_stories

    engine = open_store(store)
    with Session(engine) as s:
        published = sorted(s.scalars(select(Article.published_at)))
    for since, every in itertools.product((None, published[5]), (False, True)):
        f = Filters(since=since, include_irrelevant=every, limit=5)
        rolled = top_by_stories(engine, "company", f)
        raw = top_by_stories(engine, "company", Filters(since=since, include_irrelevant=every, limit=5,
                                                        ids=tuple(published_ids(engine))))
        assert rolled.rows == raw.rows and rolled.rows and rolled.cut == raw.cut
    engine.dispose()


def published_ids(engine) -> list[int]:  # type: ignore[no-untyped-def]
    """Every article's id: an --ids filter chooses them all and sends the ranking to the raw rows."""
    with Session(engine) as s:
        return list(s.scalars(select(Article.id)))



def test_migration_0016_counts_the_stories_of_a_store_that_had_no_story_rollups(store: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from avtomon.db import alembic_config, current_revision, head_revision

    engine = open_store(store)
    command.downgrade(alembic_config(engine), "0015")
    assert "story_days" not in inspect(engine).get_table_names()
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()
    assert_exact(store)
