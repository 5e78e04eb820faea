"""The rollups are exact: every row equals a count from the raw tables, after ingest, re-extraction,
prune and a rebuild; on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from avtomon.cli import cli
from avtomon.db import open_store
from avtomon.models import Article, Entity, EntityDay, EntityMonth, Event, EventDay, Mention, PairDay, PairMonth
from avtomon.pipeline.rollups import PAIR_KINDS, as_date, refresh_days
from tests.store_fixture import fresh_store, ingest_feed, news_items


def raw_counts(engine) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """(entity rows, pair rows) counted in Python from mentions and articles."""
    with Session(engine) as s:
        rows = s.execute(select(Mention.article_id, Mention.entity_id, Mention.passing, Article.published_at,
                                Article.relevant, Entity.kind, Article.published_guessed)
                         .join(Article).join(Entity)).all()
    ent: dict = defaultdict(lambda: [set(), set(), 0, 0, [], []])
    per_article: dict = defaultdict(lambda: defaultdict(lambda: [False, 0, 0]))  # article → entity → about, n, n about
    meta = {}
    for aid, eid, passing, published, relevant, kind, guessed in rows:
        key = (published.date(), eid, relevant is not False, guessed)
        e = ent[key]
        e[0].add(aid)
        e[2] += 1
        e[4].append(published)
        if not passing:
            e[1].add(aid)
            e[3] += 1
            e[5].append(published)
        named = per_article[aid][eid]
        named[0] |= not passing
        named[1] += 1
        named[2] += not passing
        meta[aid] = (published, relevant is not False)
        meta[("kind", eid)] = kind
    entities = {k: (len(v[0]), len(v[1]), v[2], v[3], min(v[4]), max(v[4]), min(v[5], default=None),
                    max(v[5], default=None)) for k, v in ent.items()}
    # articles, articles about both, left's mentions (all, about), right's, and the times (all, about both)
    pairs: dict = defaultdict(lambda: [0, 0, 0, 0, 0, 0, [], []])
    for aid, found in per_article.items():
        published, shown = meta[aid]
        for left, (left_about, ln, ln_about) in found.items():
            for right, (right_about, rn, rn_about) in found.items():
                if (meta[("kind", left)], meta[("kind", right)]) in PAIR_KINDS:
                    p = pairs[(published.date(), left, right, shown)]
                    about = left_about and right_about
                    p[0] += 1
                    p[2] += ln
                    p[4] += rn
                    p[6].append(published)
                    if about:
                        p[1] += 1
                        p[3] += ln_about
                        p[5] += rn_about
                        p[7].append(published)
    return entities, {k: pair_value(v) for k, v in pairs.items()}


def pair_value(v: list) -> tuple:  # type: ignore[type-arg]
    return (*v[:6], min(v[6]), max(v[6]), min(v[7], default=None), max(v[7], default=None))


def pair_row(r) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    return (r.articles, r.articles_about, r.left_mentions, r.left_mentions_about, r.right_mentions,
            r.right_mentions_about, r.first_at, r.last_at, r.first_about_at, r.last_about_at)


def pair_merge(a: tuple, b: tuple) -> tuple:  # type: ignore[type-arg]
    return (*(x + y for x, y in zip(a[:6], b[:6], strict=True)), *entity_merge((0,) * 4 + a[6:], (0,) * 4 + b[6:])[4:])


def rollup_counts(engine) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        entities = {(r.day, r.entity_id, r.shown, r.guessed): (
            r.articles, r.articles_about, r.mentions, r.mentions_about, r.first_at, r.last_at, r.first_about_at,
            r.last_about_at)
                    for r in s.scalars(select(EntityDay))}
        pairs = {(r.day, r.left_id, r.right_id, r.shown): pair_row(r) for r in s.scalars(select(PairDay))}
    return entities, pairs


def by_month(days: dict, merge) -> dict:  # type: ignore[no-untyped-def]
    out: dict = {}
    for (day, *key), value in days.items():
        k = (day.replace(day=1), *key)
        out[k] = merge(out[k], value) if k in out else value
    return out


def entity_merge(a: tuple, b: tuple) -> tuple:
    def pick(f, x, y):  # type: ignore[no-untyped-def]
        return f(v for v in (x, y) if v is not None) if (x, y) != (None, None) else None

    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], min(a[4], b[4]), max(a[5], b[5]),
            pick(min, a[6], b[6]), pick(max, a[7], b[7]))


def raw_events(engine) -> dict:  # type: ignore[no-untyped-def]
    """event_days as counted in Python: a company's and a region's own events, a category's articles'."""
    with Session(engine) as s:
        events = s.execute(select(Event.id, Event.article_id, Event.type, Event.company_id, Event.region_id,
                                  Article.published_at, Article.relevant, Article.published_guessed)
                           .join(Article)).all()
        categories: dict = defaultdict(dict)  # article → category → about
        for aid, eid, passing in s.execute(select(Mention.article_id, Mention.entity_id, Mention.passing)
                                           .join(Entity).where(Entity.kind == "category")):
            categories[aid][eid] = categories[aid].get(eid, False) or not passing
    out: dict = defaultdict(lambda: [0, 0])
    for _, aid, kind, company, region, published, relevant, guessed in events:
        key = (published.date(), kind, relevant is not False, guessed)
        for own in (company, region):
            if own is not None:
                out[(key[0], own, kind, key[2], key[3])][0] += 1
                out[(key[0], own, kind, key[2], key[3])][1] += 1
        for category, about in categories[aid].items():
            out[(key[0], category, kind, key[2], key[3])][0] += 1
            out[(key[0], category, kind, key[2], key[3])][1] += about
    return {k: tuple(v) for k, v in out.items()}


def assert_exact(url: str) -> None:
    engine = open_store(url)
    raw, rolled = raw_counts(engine), rollup_counts(engine)
    with Session(engine) as s:
        events = {(r.day, r.entity_id, r.type, r.shown, r.guessed): (r.events, r.events_about)
                  for r in s.scalars(select(EventDay))}
    assert events == raw_events(engine) and events
    with Session(engine) as s:
        months = {(r.month, r.entity_id, r.shown, r.guessed): (
            r.articles, r.articles_about, r.mentions, r.mentions_about, r.first_at, r.last_at, r.first_about_at,
            r.last_about_at) for r in s.scalars(select(EntityMonth))}
        pair_months = {(r.month, r.left_id, r.right_id, r.shown): pair_row(r) for r in s.scalars(select(PairMonth))}
    engine.dispose()
    assert rolled[0] == raw[0] and rolled[1] == raw[1]
    assert raw[0] and raw[1]
    assert months == by_month(raw[0], entity_merge)
    assert pair_months == by_month(raw[1], pair_merge)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, httpserver: HTTPServer) -> str:
    with fresh_store(request, tmp_path) as url:
        items = news_items()[:25]
        start = items[0]["date"]  # two articles a day, every sixth day: several a day, over whole months
        ingest_feed(url, httpserver, tmp_path, "/news", [
            dict(it, date=start + timedelta(days=6 * (i // 2), hours=7 * (i % 2))) for i, it in enumerate(items)])
        yield url  # type: ignore[misc]


def test_rollups_equal_raw_counts_through_the_life_of_a_store(store: str) -> None:
    assert_exact(store)
    engine = open_store(store)
    with Session(engine) as s, s.begin():  # an older extractor: re-extraction rewrites the facts
        s.execute(update(Article).values(extractor_version="old", relevant=False))
    engine.dispose()
    res = CliRunner().invoke(cli, ["--db", store, "extract", "--reextract"], catch_exceptions=False)
    assert res.exit_code == 0 and "25 articles extracted" in res.output
    assert_exact(store)
    engine = open_store(store)
    with Session(engine) as s:
        days = sorted({d.date() for d in s.scalars(select(Article.published_at))})
    engine.dispose()
    cutoff = days[len(days) // 2].isoformat() + "T12:00:00"  # the middle of a day with articles
    res = CliRunner().invoke(cli, ["--db", store, "prune", "--older-than", cutoff], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert_exact(store)
    res = CliRunner().invoke(cli, ["--db", store, "db", "rebuild-rollups"], catch_exceptions=False)
    assert res.exit_code == 0 and "rollups recounted" in res.output
    assert_exact(store)


def test_rankings_from_rollups_equal_rankings_from_raw_rows(store: str) -> None:
    from datetime import datetime

    from avtomon.pipeline.filters import Filters
    from avtomon.pipeline.rankings import _entity_raw, entity_totals, pair_raw, pair_totals

    engine = open_store(store)
    with Session(engine) as s:
        days = sorted({d for d in s.scalars(select(Article.published_at))})
        ranges = [(None, None), (days[3], None), (None, days[-4]), (days[1], days[-2]),
                  (datetime.combine(days[2].date(), datetime.min.time()).replace(hour=13), days[-2]),
                  (days[5], days[5])]
        for since, until in ranges:
            for passing in (False, True):
                for irrelevant in (False, True):
                    f = Filters(since=since, until=until, passing=passing, include_irrelevant=irrelevant)
                    for kind in ("company", "region", "category"):
                        raw: dict = {}
                        _entity_raw(s, kind, f, raw)
                        got = {k: (v.articles, v.mentions, v.first, v.last)
                               for k, v in entity_totals(s, kind, f).items()}
                        assert got == {k: (v.articles, v.mentions, v.first, v.last) for k, v in raw.items()
                                       if v.articles}, (since, until, passing, kind)
                    for left, right in PAIR_KINDS:
                        raw_pairs: dict = {}
                        pair_raw(s, left, right, f, raw_pairs)
                        assert pair_totals(s, left, right, f) == raw_pairs
    engine.dispose()


def test_rankings_among_one_entitys_articles_from_pair_rollups_equal_raw_rows(store: str) -> None:
    """`query regions --company X` and the like: articles, mentions, first and last from pair_days and
    pair_months (partial days from raw rows) equal the raw count of the chosen articles' mentions."""
    from datetime import datetime

    from avtomon.pipeline.filters import Filters, resolve
    from avtomon.pipeline.rankings import _entity_raw, entity_totals, partner_of

    engine = open_store(store)
    with Session(engine) as s:
        days = sorted(s.scalars(select(Article.published_at)))
        ranges = [(None, None), (days[3], None), (days[1], days[-2]),
                  (datetime.combine(days[2].date(), datetime.min.time()).replace(hour=13), days[-2]),
                  (days[5], days[5])]
        # the two most named entities of each kind filter the rankings of the kinds they are paired with
        busiest = {kind: list(s.scalars(select(Entity.key).join(Mention).where(Entity.kind == kind)
                                        .group_by(Entity.id, Entity.key).order_by(func.count().desc(), Entity.key)
                                        .limit(2)))
                   for kind in ("company", "region", "category")}
        checked = 0
        for (named, keys), (since, until), passing, irrelevant in itertools.product(
                busiest.items(), ranges, (False, True), (False, True)):
            for key, kind in itertools.product(keys, ("company", "region", "category")):
                f = resolve(s, Filters(since=since, until=until, passing=passing, include_irrelevant=irrelevant,
                                       **{named: (key,)}))
                partner = partner_of(f, kind)
                assert (partner is None) == (kind == named)
                raw: dict = {}
                _entity_raw(s, kind, f, raw)
                got = {k: (v.articles, v.mentions, v.first, v.last) for k, v in entity_totals(s, kind, f).items()}
                want = {k: (v.articles, v.mentions, v.first, v.last) for k, v in raw.items() if v.articles}
                assert got == want, (named, key, kind, since, until, passing, irrelevant)
                checked += bool(want)
        assert checked > 50
    engine.dispose()


def test_trend_from_rollups_equals_trend_from_raw_rows(store: str) -> None:
    from avtomon.pipeline import query
    from avtomon.pipeline.filters import Filters, parse_when

    engine = open_store(store)
    for tz in ("Europe/Moscow", "UTC", "Asia/Vladivostok", "America/New_York"):
        for by in ("day", "week", "month"):
            for company in ("КАМАЗ", "Автотор", "АвтоВАЗ"):
                for since in (None, parse_when("2026-01-10", tz=tz)):
                    f = Filters(company=(company,), tz=tz, since=since)
                    with Session(engine) as s:
                        query.resolve(s, f)
                        entity = query.one_entity(f)
                        assert entity is not None
                        rolled = query._counts_from_rollups(s, f, by, entity)
                        raw = query._raw_counts(s, f, by)
                    assert rolled == raw and (raw or since), (tz, by, company, since)
    engine.dispose()


def test_trend_of_every_article_counted_per_hour_equals_raw_rows(store: str) -> None:
    from avtomon.pipeline import query
    from avtomon.pipeline.filters import Filters, parse_when

    engine = open_store(store)
    with Session(engine) as s, s.begin():  # an irrelevant article: --all counts it, the default does not
        s.execute(update(Article).where(Article.id == s.scalar(select(func.min(Article.id)))).values(relevant=False))
    # every article, and other filters: a word (its hits from the period's lowest id on), two companies
    narrowed = ({}, {"text": "завод"}, {"company": ("КАМАЗ", "АвтоВАЗ")})
    for tz, by, flag, (since, until), more in itertools.product(
            ("Europe/Moscow", "UTC", "Asia/Vladivostok", "America/New_York"), ("day", "week", "month"),
            (False, True), ((None, None), ("2026-01-10", None), ("2026-01-08 13:30", "2026-02-20 05:00")), narrowed):
        f = Filters(tz=tz, include_irrelevant=flag, since=since and parse_when(since, tz=tz),
                    until=until and parse_when(until, tz=tz), **more)
        with Session(engine) as s:
            query.resolve(s, f)
            hourly, raw = query._counts_by_hour(s, f, by), query._raw_counts(s, replace(f, first_id=None), by)
        assert hourly == raw and raw, (tz, by, flag, since, until, more)
    with Session(engine) as s:  # half an hour off UTC: an hour's articles may straddle local midnight
        assert query._counts_by_hour(s, Filters(tz="Asia/Kolkata"), "day") is None
    engine.dispose()


def test_rollups_stay_exact_when_extract_processes_run_at_once(db_url: str, tmp_path: Path,
                                                               httpserver: HTTPServer) -> None:
    from datetime import datetime

    from tests.conftest import write_feeds
    from tests.store_fixture import rss
    from tests.test_operations import avtomon

    items = [dict(it, date=datetime(2026, 3, 1 + i % 3, 9, i)) for i, it in enumerate(news_items()[:36])]
    httpserver.expect_request("/news").respond_with_data(rss(items), content_type="application/rss+xml")
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "Новости", "url": httpserver.url_for("/news")}])
    assert avtomon(db_url, feeds, "poll").returncode == 0
    # three processes finishing articles of the same three days and one month, one batch each at a time
    procs = [avtomon(db_url, None, "extract", "--batch", "2", *extra, wait=False)
             for extra in ((), (), ("--workers", "2"))]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    assert_exact(db_url)
    from tests.test_story_rollups import from_scratch, stored

    engine = open_store(db_url)
    assert stored(engine) == from_scratch(engine) and stored(engine)[0]  # and the stories' rollups
    engine.dispose()


def test_top_pairs_rank_exactly_like_all_pairs(store: str) -> None:
    from avtomon.pipeline.filters import Filters
    from avtomon.pipeline.rankings import names, pair_totals

    engine = open_store(store)
    with Session(engine) as s:
        days = sorted(s.scalars(select(Article.published_at)))
        ranges = ((None, None), (days[2], None), (days[1], days[-3]))
        # --passing and --all count other rows: the bound on a pair (its left entity's articles) must follow
        flags = ({}, {"passing": True}, {"include_irrelevant": True})
        for (since, until), flag in itertools.product(ranges, flags):
            for left, right in PAIR_KINDS:
                f = Filters(since=since, until=until, **flag)
                every = pair_totals(s, left, right, f)
                label = names(s, {i for pair in every for i in pair})

                def ranked(totals: dict, want: int, label: dict = label) -> list:  # type: ignore[type-arg]
                    return sorted(((n, label[p[0]][1], label[p[1]][1]) for p, n in totals.items()),
                                  key=lambda r: (-r[0], r[1], r[2]))[:want]

                for want in (1, 2, 3, 5, 50):
                    best = pair_totals(s, left, right, f, want=want)
                    assert ranked(best, want) == ranked(every, want), (since, until, left, right, want)
    engine.dispose()


def test_migration_0015_counts_the_pair_mentions_of_a_store_that_had_none(store: str) -> None:
    """Down to 0014 (pair rows with articles only) and up again: the pair rollups are recounted whole."""
    from alembic import command
    from sqlalchemy import inspect, text

    from avtomon.db import alembic_config, current_revision, head_revision

    engine = open_store(store)
    before = rollup_counts(engine)[1]
    command.downgrade(alembic_config(engine), "0014")
    assert {c["name"] for c in inspect(engine).get_columns("pair_days")} == {
        "day", "left_id", "right_id", "shown", "articles", "articles_about"}
    with engine.connect() as conn:  # the downgrade keeps the counts 0014 knew
        kept = {(as_date(r[0]), r[1], r[2], bool(r[3])): (r[4], r[5])
                for r in conn.execute(text("SELECT * FROM pair_days"))}
    assert kept == {k: v[:2] for k, v in before.items()} and kept
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()
    assert_exact(store)



def test_migration_0017_indexes_events_by_type_and_article(store: str) -> None:
    """0017 replaces the index on the event type by (type, article_id); down and up again keep the events."""
    from alembic import command
    from sqlalchemy import inspect

    from avtomon.db import alembic_config, current_revision, head_revision

    def indexes() -> dict[str, list[str]]:
        return {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("events")}

    engine = open_store(store)
    with Session(engine) as s:
        events = s.scalar(select(func.count()).select_from(Event))
    assert indexes()["ix_events_type_article"] == ["type", "article_id"] and "ix_events_type" not in indexes()
    command.downgrade(alembic_config(engine), "0016")
    assert indexes()["ix_events_type"] == ["type"] and "ix_events_type_article" not in indexes()
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == head_revision(engine)
    assert indexes()["ix_events_type_article"] == ["type", "article_id"] and "ix_events_type" not in indexes()
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == events > 0
    engine.dispose()


def test_entity_trend_splits_days_at_local_midnight_exactly(hourly_store: str) -> None:
    """Articles at every hour of the day: the part of a UTC day before or after a local midnight, counted
    per window in SQL, and the rest taken from the day's rollup, give a count of the rows in every zone."""
    from avtomon.pipeline import query
    from avtomon.pipeline.filters import Filters, parse_when

    engine = open_store(hourly_store)
    with Session(engine) as s, s.begin():  # irrelevant articles: --all counts them, the default does not
        hidden = s.scalars(select(Article.id).order_by(Article.id).offset(5)).all()[::9]
        s.execute(update(Article).where(Article.id.in_(hidden)).values(relevant=False))
        refresh_days(s, {as_date(d) for d in s.scalars(select(func.date(Article.published_at))
                                                       .where(Article.id.in_(hidden)))})  # as extraction does
    assert_exact(hourly_store)
    with Session(engine) as s:
        busiest = {kind: s.scalar(select(Entity.key).join(Mention).where(Entity.kind == kind)
                                  .group_by(Entity.id, Entity.key).order_by(func.count().desc(), Entity.key).limit(1))
                   for kind in ("company", "region", "category")}
    assert all(busiest.values()), busiest
    spans = ((None, None), ("2026-01-08", None), ("2026-01-07 13:30", "2026-01-15 05:10"))
    checked = 0
    for tz, by, flag, passing, (since, until), kind in itertools.product(
            ("Europe/Moscow", "UTC", "Asia/Vladivostok", "America/New_York"), ("day", "week", "month"),
            (False, True), (False, True), spans, busiest):
        f = Filters(tz=tz, include_irrelevant=flag, passing=passing, since=since and parse_when(since, tz=tz),
                    until=until and parse_when(until, tz=tz), **{kind: (busiest[kind],)})
        with Session(engine) as s:
            query.resolve(s, f)
            entity = query.one_entity(f)
            assert entity is not None
            rolled, raw = query._counts_from_rollups(s, f, by, entity), query._raw_counts(s, f, by)
        assert rolled == raw, (tz, by, flag, passing, since, until, kind)
        checked += sum(raw.values())
    assert checked > 1000
    engine.dispose()
