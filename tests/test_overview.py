"""The overview counts (pipeline/overview.py) behind the web view equal the same counts taken another way:
rollup paths against raw rows, facet counts against the query results they summarise; both backends."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from avtomon.db import open_store
from avtomon.models import Entity
from avtomon.pipeline import overview, query
from avtomon.pipeline.filters import Filters

pytestmark = pytest.mark.slow
# the one feed of the store: as a filter it chooses every article, but sends the counts to the raw rows
RAW = {"source": ("Новости",)}
KINDS = ("company", "region", "category")


def keys(engine, kind: str) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return list(s.scalars(select(Entity.key).where(Entity.kind == kind).order_by(Entity.key)))


@pytest.mark.parametrize("since", [None, datetime(2026, 2, 10, 15, 30)])
def test_related_from_rollups_equals_raw_rows(filled_store: str, since: datetime | None) -> None:
    engine = open_store(filled_store)
    checked = 0
    for kind in KINDS:
        for other in KINDS:
            for key in keys(engine, kind)[:12]:
                fast = overview.related(engine, kind, key, other, Filters(since=since), limit=1000)
                raw = overview.related(engine, kind, key, other, Filters(since=since, **RAW), limit=1000)
                assert fast == raw, (kind, key, other)
                assert all(k != key for _, k, _ in fast) or kind != other
                checked += bool(fast)
    assert checked > 20


def test_event_types_count_the_events_query(filled_store: str) -> None:
    engine = open_store(filled_store)
    rows = query.events(engine, Filters(limit=10_000)).rows
    by_type = Counter(r[3] for r in rows)
    counts = overview.event_types(engine, Filters())
    assert {t: n for t, (n, _) in counts.items()} == dict(by_type) and by_type
    assert list(counts) == sorted(counts, key=lambda t: (-by_type[t], t))
    kamaz = overview.event_types(engine, Filters(company=("kamaz",)))
    kamaz_events = query.events(engine, Filters(company=("kamaz",), limit=10_000)).rows
    assert sum(n for n, _ in kamaz.values()) == len(kamaz_events) > 0
    # facets: every event type of the chosen articles, counted per article
    with_launch = overview.event_types(engine, Filters(event=("launch",)), of_articles=True)
    assert with_launch["launch"][1] == overview.count_articles(engine, Filters(event=("launch",)))


def test_sources_and_count(filled_store: str) -> None:
    engine = open_store(filled_store)
    total = overview.count_articles(engine, Filters())
    assert sum(overview.sources(engine, Filters()).values()) == total
    assert total == len(query.articles(engine, Filters(limit=10_000)).rows)
    assert overview.count_articles(engine, Filters(include_irrelevant=True)) > total


def test_series(filled_store: str) -> None:
    engine = open_store(filled_store)
    top = query.top_entities(engine, "company", Filters(limit=5))
    series = overview.entity_series(engine, "company", [r[1] for r in top.rows], Filters())
    for _, key, *_ in top.rows:  # articles with a real date, counted from the raw rows
        dated = query.trend(engine, Filters(company=(key,), **RAW), by="month").rows
        assert sum(series[key].values()) == sum(n for _, n in dated) > 0
    per_month = overview.event_series(engine, Filters(), by="month")
    assert sum(sum(c.values()) for c in per_month.values()) <= len(query.events(engine, Filters(limit=10_000)).rows)
    assert all(d.day == 1 for c in per_month.values() for d in c)


@pytest.mark.parametrize("tz", ["Europe/Moscow", "UTC", "America/New_York"])
@pytest.mark.parametrize("by", ["day", "week", "month"])
def test_event_series_equals_events_by_their_local_day(web_store: str, tz: str, by: str) -> None:
    """On news published every 11 hours (around the clock, across a month's end)."""
    from datetime import timedelta

    engine = open_store(web_store)
    with Session(engine) as s:
        from avtomon.models import Article

        undated = set(s.scalars(select(Article.url).where(Article.published_guessed.is_(True))))
    expected: dict[str, Counter] = {}
    for row in query.events(engine, Filters(limit=10_000, tz=tz)).rows:
        if row[8] in undated:
            continue
        d = row[0]
        period = d - timedelta(days=d.weekday()) if by == "week" else d.replace(day=1) if by == "month" else d
        expected.setdefault(row[3], Counter())[period] += 1
    assert overview.event_series(engine, Filters(tz=tz), by=by) == expected and expected


@pytest.mark.parametrize("by", ["week", "month"])
@pytest.mark.parametrize("tz", ["Europe/Moscow", "America/New_York"])
def test_event_series_of_one_entity_from_rollups_equals_raw_rows(web_store: str, by: str, tz: str) -> None:
    from datetime import UTC, timedelta

    engine = open_store(web_store)
    raw_source = {"source": ("Комтранс",)}  # the web store's one feed: every article, counted from the rows
    since = datetime.now(UTC).replace(tzinfo=None, minute=0) - timedelta(days=17, hours=5)
    checked = 0
    for kind in KINDS:
        for key in keys(engine, kind)[:8]:
            for dates in ({}, {"since": since}, {"until": since}):
                f = Filters(tz=tz, **{kind: (key,)}, **dates)
                fast = overview.event_series(engine, f, by=by)
                assert fast == overview.event_series(engine, Filters(tz=tz, **{kind: (key,)}, **dates, **raw_source),
                                                     by=by), (kind, key, dates)
                checked += bool(fast)
    assert checked > 10
