"""The overview counts (pipeline/overview.py) behind the web view equal the same counts taken another way:
rollup paths against raw rows, facet counts against the query results they summarise; both backends."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
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


def events_by_period(engine, f: Filters, by: str) -> dict[str, Counter]:  # type: ignore[no-untyped-def,type-arg]
    """The oracle: `query events` rows of articles with a real date, counted by their local day's period."""
    from datetime import timedelta

    from avtomon.models import Article

    with Session(engine) as s:
        undated = set(s.scalars(select(Article.url).where(Article.published_guessed.is_(True))))
    expected: dict[str, Counter] = {}  # type: ignore[type-arg]
    for row in query.events(engine, replace(f, limit=10_000)).rows:
        if row[8] in undated:
            continue
        d = row[0]
        period = d - timedelta(days=d.weekday()) if by == "week" else d.replace(day=1) if by == "month" else d
        expected.setdefault(row[3], Counter())[period] += 1
    return expected


@pytest.mark.parametrize("tz", ["Europe/Moscow", "UTC", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("by", ["day", "week", "month"])
def test_event_series_equals_events_by_their_local_day(web_store: str, tz: str, by: str) -> None:
    """On news published every 11 hours (around the clock, across a month's end)."""
    engine = open_store(web_store)
    expected = events_by_period(engine, Filters(tz=tz), by)
    assert overview.event_series(engine, Filters(tz=tz), by=by) == expected and expected


@pytest.mark.parametrize("by", ["week", "month"])
@pytest.mark.parametrize("tz", ["Europe/Moscow", "America/New_York", "Asia/Kolkata"])
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
                assert fast == events_by_period(engine, Filters(tz=tz, **{kind: (key,)}, **dates), by)
                checked += bool(fast)
    assert checked > 10


def newest_raw(engine, f: Filters, n: int) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    """The oracle: the newest `n` ids of the filters over their whole period, no narrowing, no plan."""
    from sqlalchemy import and_

    from avtomon.models import Article
    from avtomon.pipeline.filters import article_conditions, resolve

    with Session(engine) as s:
        resolve(s, f)
        stmt = (select(Article.id).where(and_(True, *article_conditions(f)))
                .order_by(Article.published_at.desc(), Article.url).limit(n))
        return tuple(s.scalars(stmt))


def count_raw(engine, f: Filters) -> int:  # type: ignore[no-untyped-def]
    return len(newest_raw(engine, f, 100_000))


def choices(engine) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """One entity of each kind, pairs the rollups keep, and filters they do not (a word, an event type,
    three entities)."""
    c, r, k = ([row[1] for row in query.top_entities(engine, kind, Filters(limit=3)).rows] for kind in KINDS)
    return [*({kind: (key,)} for kind, found in zip(KINDS, (c, r, k), strict=True) for key in found),
            *({"company": (a,), "region": (b,)} for a in c for b in r[:2]),
            *({"company": (a,), "category": (b,)} for a in c[:2] for b in k[:2]),
            {"region": (r[0],), "category": (k[0],)}, {"company": (c[0],), "region": (r[0],), "category": (k[0],)},
            {"text": "завод"}, {"text": "автомобили"}, {"event": ("launch",)}, {"company": (c[0],), "text": "завод"}]


@pytest.mark.parametrize("dates", [{}, {"since": datetime(2026, 2, 10, 15, 30)}, {"until": datetime(2026, 3, 3, 7)}],
                         ids=["all time", "since", "until"])
def test_counts_and_newest_equal_raw_rows(filled_store: str, dates: dict) -> None:  # type: ignore[type-arg]
    """Counts from the rollups, the newest articles found on a recent part of the period (day rollups,
    windows of the newest n×8… articles): the same as counted and sorted over the whole period."""
    engine = open_store(filled_store)
    checked = 0
    for chosen in choices(engine):
        for extra in ({}, {"include_irrelevant": True}, {"passing": True}):
            total = count_raw(engine, Filters(**chosen, **dates, **extra))
            assert overview.count_articles(engine, Filters(**chosen, **dates, **extra)) == total, chosen
            for cap in (1, 3, 100):  # exact, or "more than cap" when there are more
                n, more = overview.count_up_to(engine, Filters(**chosen, **dates, **extra), cap)
                assert (n, more) == (total, False) or (more and n == cap < total), (chosen, cap)
                if "text" in chosen or "event" in chosen:  # counted on the newest first, only so far
                    assert more == (total > cap), (chosen, cap)
            for n in (1, 2, 5, 40):
                assert overview.newest(engine, Filters(**chosen, **dates, **extra), n) == newest_raw(
                    engine, Filters(**chosen, **dates, **extra), n), (chosen, n)
            # `query articles` pages: the page's ids found first, the same rows in the same order
            for offset, limit in ((0, 3), (2, 3), (5, 40)):
                rows = query.articles(engine, Filters(**chosen, **dates, **extra, limit=limit), offset=offset).rows
                assert tuple(r[0] for r in rows) == newest_raw(engine, Filters(**chosen, **dates, **extra),
                                                               offset + limit)[offset:], (chosen, offset)
            checked += total > 2
    assert checked > 10
    # the narrowing paths were taken: the top company's newest 2 lie in its last days, a common word's
    # newest in the newest 8 articles
    from avtomon.pipeline.filters import recent_windows, resolve
    from avtomon.pipeline.rankings import recent_start

    with Session(engine) as s:
        top = resolve(s, Filters(company=choices(engine)[0]["company"], **dates))
        assert recent_start(s, top, 2) is not None
        word = resolve(s, Filters(text="завод", **dates))
        assert len(list(recent_windows(s, word, 1))) > 1


@pytest.mark.parametrize("tz", ["Europe/Moscow", "UTC", "America/New_York", "Asia/Kolkata"])
def test_event_days_are_event_types_and_series_by_day(web_store: str, tz: str) -> None:
    """The dashboard's one pass over the events per hour = the events per type and per local day counted
    from their times (Asia/Kolkata: midnight on a half hour, the fallback)."""
    from datetime import UTC, timedelta

    engine = open_store(web_store)
    now = datetime.now(UTC).replace(tzinfo=None)
    for dates in ({}, {"since": now - timedelta(days=9, hours=5), "until": now - timedelta(hours=30)}):
        f = Filters(tz=tz, **dates)
        totals, per_day = overview.event_days(engine, f)
        assert totals == {t: n for t, (n, _) in overview.event_types(engine, Filters(tz=tz, **dates)).items()}
        assert list(totals) == list(overview.event_types(engine, Filters(tz=tz, **dates)))
        assert per_day == overview.event_series(engine, Filters(tz=tz, **dates), by="day") and per_day
