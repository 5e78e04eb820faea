"""Counts for overviews and facets (the web view's dashboard, search and entity pages, and any script):
articles matching the filters, events per type, articles per source, events per period, daily series of
entities and the entities named with one entity.

Built on the same filters and rollups as `query`: date-only filters read the rollups, other filters the
raw rows of the articles they choose.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session

from avtomon.models import (
    Article,
    Entity,
    EntityDay,
    Event,
    EventDay,
    Mention,
    PairDay,
    PairMonth,
    Story,
)
from avtomon.pipeline.filters import (
    Filters,
    article_conditions,
    as_hour,
    count_hours,
    count_periods,
    counted,
    event_conditions,
    published_in,
    recent_windows,
    resolve,
    split_day,
    utc_hour,
    zone,
)
from avtomon.pipeline.query import rank_stories
from avtomon.pipeline.rankings import (
    contenders,
    entity_totals,
    names,
    newest_ids,
    one_entity,
    pair_raw,
    rollup_count,
    shown_only,
    spans,
    uses_rollups,
)
from avtomon.pipeline.rollups import PAIR_KINDS, as_date, in_days, split, touched_days

Ranked = list[tuple[str, str, int]]  # (name, key, articles), best first


def count_articles(engine: Engine, f: Filters) -> int:
    """How many articles the filters choose: from the rollups when the filters name one entity or a pair
    the rollups keep (and only dates besides), else counted."""
    return count_up_to(engine, f, None)[0]


def count_up_to(engine: Engine, f: Filters, cap: int | None) -> tuple[int, bool]:
    """(articles the filters choose, False), or (cap, True) when there are more than `cap`: exact from
    the rollups or the index on publication time where those answer (an entity, a pair, only dates),
    else counted on the newest articles first and only as far as `cap` (a word in half of a million
    articles is known to be in more than 10 000 after reading a few tens of thousands). No cap: exact."""
    with Session(engine) as s:
        resolve(s, f)
        exact = rollup_count(s, f)
        if exact is not None:
            return exact, False
        if cap is None or uses_rollups(f):
            return _count(s, f), False
        for tried in recent_windows(s, f, cap):
            found = _count(s, tried, cap)
            if found > cap:
                return cap, True
    return found, False


def _count(s: Session, f: Filters, cap: int | None = None) -> int:
    """The articles the filters (resolved) choose, counted from the rows; with `cap`, at most cap + 1."""
    chosen = select(Article.id).where(and_(True, *article_conditions(f)))
    chosen = chosen if cap is None else chosen.limit(cap + 1)
    return s.scalar(select(func.count()).select_from(chosen.subquery())) or 0


def newest(engine: Engine, f: Filters, n: int) -> tuple[int, ...]:
    """The ids of the newest `n` articles the filters choose (ties by URL, as `query articles` lists them)."""
    with Session(engine) as s:
        resolve(s, f)
        return newest_ids(s, f, n)


def top_by_kind(engine: Engine, f: Filters, kinds: tuple[str, ...], limit: int) -> dict[str, Ranked]:
    """Per entity kind, the entities the chosen articles name most: [(name, key, articles)], ties by name
    and key; counted from the raw rows in one pass (for a few thousand articles, e.g. chosen by `ids`)."""
    with Session(engine) as s:
        resolve(s, f)
        stmt = (select(Entity.kind, Mention.entity_id, func.count(func.distinct(Mention.article_id)))
                .join(Article, Article.id == Mention.article_id).join(Entity, Entity.id == Mention.entity_id + 0)
                .where(counted(f.passing), Entity.kind.in_(kinds), *article_conditions(f))
                .group_by(Entity.kind, Mention.entity_id))
        counts: dict[str, dict[int, int]] = {kind: {} for kind in kinds}
        for kind, eid, n in s.execute(stmt):
            counts[kind][eid] = n
        named = names(s, set().union(*(contenders(found, limit) for found in counts.values())))
    return {kind: sorted(((named[eid][1], named[eid][2], n) for eid, n in found.items() if eid in named),
                         key=lambda r: (-r[2], r[0], r[1]))[:limit] for kind, found in counts.items()}


def event_types(engine: Engine, f: Filters, of_articles: bool = False) -> dict[str, tuple[int, int]]:
    """Event type → (events, articles with one), most events first. The events are those `query events`
    selects (--company and --region choose the event's own company and region); with `of_articles`, every
    event of the articles the filters choose (the counts of a search's facets)."""
    with Session(engine) as s:
        resolve(s, f)
        cond = article_conditions(f) if of_articles else event_conditions(f)
        stmt = (select(Event.type, func.count(Event.id), func.count(func.distinct(Event.article_id)))
                .join(Article, Article.id == Event.article_id).where(and_(True, *cond))
                .group_by(Event.type))
        found = [(t, (n, a)) for t, n, a in s.execute(stmt)]
    return dict(sorted(found, key=lambda it: (-it[1][0], it[0])))


def event_days(engine: Engine, f: Filters) -> tuple[dict[str, int], dict[str, Counter[date]]]:
    """(event type → events, most first; type → events per day in the filters' zone of the articles with
    a real date) in one pass over the events per UTC hour: `event_types` and `event_series(by="day")`
    at once (the dashboard). A zone whose midnight is not on a whole UTC hour takes those two."""
    with Session(engine) as s:
        resolve(s, f)
        hour = utc_hour(s.get_bind().dialect.name)
        stmt = (select(Event.type, Article.published_guessed, hour, func.count())
                .join(Article, Article.id == Event.article_id).where(and_(True, *event_conditions(f)))
                .group_by(Event.type, Article.published_guessed, hour))
        totals: Counter[str] = Counter()
        hours: dict[str, dict[datetime, int]] = defaultdict(dict)
        for kind, guessed, start, n in s.execute(stmt):
            totals[kind] += n
            if not guessed:
                hours[kind][as_hour(start)] = n
    placed = {kind: count_hours(found, "day", f.tz) for kind, found in hours.items()}
    if any(counts is None for counts in placed.values()):
        return {t: n for t, (n, _) in event_types(engine, f).items()}, event_series(engine, f, by="day")
    return dict(sorted(totals.items(), key=lambda it: (-it[1], it[0]))), placed  # type: ignore[return-value]


def sources(engine: Engine, f: Filters) -> dict[str, int]:
    """Feed name → articles for the filters, most first (ties by name)."""
    with Session(engine) as s:
        resolve(s, f)
        stmt = (select(Article.feed, func.count(Article.id)).where(and_(True, *article_conditions(f)))
                .group_by(Article.feed))
        found = list(s.execute(stmt))
    return dict(sorted(((feed, n) for feed, n in found), key=lambda it: (-it[1], it[0])))


def event_series(engine: Engine, f: Filters, by: str = "day") -> dict[str, Counter[date]]:
    """Event type → events per day, week or month (in the filters' zone) of the articles with a real date.

    Weeks and months are counted per UTC day in SQL (from the event rollups for one entity). A whole UTC
    day that a period's start in the zone cuts in two (the last UTC day of a month, for Moscow) has only
    its shorter part counted from the rows, the rest is the day's count minus that; days cut by --since
    or --until are counted from the rows. By day, every event of the range is counted from the rows
    (per UTC hour in SQL).
    """
    out: dict[str, Counter[date]] = defaultdict(Counter)
    zone(f.tz)  # an unknown --tz is an error even when no row is counted
    with Session(engine) as s:
        resolve(s, f)
        cond = [Article.published_guessed.is_(False), *event_conditions(f)]
        if by == "day":
            return dict(_counted_events(s, [[]], cond, by, f.tz)[0])
        edges: set[datetime] = set()
        rests: dict[datetime, tuple[date, dict[str, int]]] = {}  # cut day → the period of its longer part, totals
        windows: list[tuple[datetime, datetime]] = []
        periods: dict[datetime, tuple[date, date, datetime | None]] = {}  # the rows come per type and day
        for kind, utc_day, n in _per_day(s, f, cond):
            d0 = datetime.combine(as_date(utc_day), time())
            d1 = d0 + timedelta(days=1)
            if d0 not in periods:
                periods[d0] = split_day(d0, by, f.tz)
            first, last, cut = periods[d0]
            if (f.since is not None and d0 < f.since) or (f.until is not None and d1 > f.until):
                edges.add(d0)
            elif cut is None:
                out[kind][first] += n
            else:
                if d0 not in rests:
                    early = cut - d0 <= d1 - cut
                    rests[d0] = (last if early else first, {})
                    windows.append((d0, cut) if early else (cut, d1))
                rests[d0][1][kind] = n
        windows += [(d0, d0 + timedelta(days=1)) for d0 in sorted(edges)]
        # parts of days: their articles first (by the index on publication time), then their events
        parts = [[Event.article_id.in_(select(Article.id).where(within))] for within in published_in(sorted(windows))]
        in_parts = [Article.published_guessed.is_(False), *event_conditions(replace(f, entity_first=False))]
        counted, per_day = _counted_events(s, parts, in_parts, by, f.tz)
    for kind, counts in counted.items():
        out[kind].update(counts)
    for d0, (rest, totals) in rests.items():
        for kind, n in totals.items():
            out[kind][rest] += n - per_day.get((kind, d0.date()), 0)
    return {kind: +counts for kind, counts in out.items() if +counts}


def _counted_events(s: Session, parts: list[list], cond: list, by: str, tz: str  # type: ignore[type-arg]
                    ) -> tuple[dict[str, Counter[date]], Counter[tuple[str, date]]]:
    """(event type → events per period in zone `tz`, (type, UTC day) → events) of the events meeting
    `cond` and one of `parts` (the articles of some windows): counted per UTC hour in SQL and the hours
    placed in periods; where a local midnight falls inside an hour (a half-hour zone), from each time."""
    hour = utc_hour(s.get_bind().dialect.name)
    hours: dict[str, dict[datetime, int]] = defaultdict(dict)
    for part in parts:
        stmt = (select(Event.type, hour, func.count()).join(Article, Article.id == Event.article_id)
                .where(*part, *cond).group_by(Event.type, hour))
        for kind, start, n in s.execute(stmt):
            hours[kind][as_hour(start)] = n
    per_day: Counter[tuple[str, date]] = Counter()
    for kind, found in hours.items():
        for start, n in found.items():
            per_day[(kind, start.date())] += n
    placed = {kind: count_hours(found, by, tz) for kind, found in hours.items()}
    if all(counts is not None for counts in placed.values()):
        return placed, per_day  # type: ignore[return-value]
    times: dict[str, list[datetime]] = defaultdict(list)
    for part in parts:
        stmt = select(Event.type, Article.published_at).join(Article, Article.id == Event.article_id)
        for kind, published in s.execute(stmt.where(*part, *cond)):
            times[kind].append(published)
    return {kind: count_periods(found, by, tz) for kind, found in times.items()}, per_day


def _per_day(s: Session, f: Filters, cond: list) -> list[tuple[str, date | str, int]]:  # type: ignore[type-arg]
    """(type, UTC day, events) for the filters: from the event rollups when they name one entity and
    nothing else narrows them (days cut by since/until are then read again from the rows), else counted
    per day from the rows."""
    entity = one_entity(f)
    if entity is not None:
        d = EventDay
        n = d.events if f.passing else d.events_about
        first, end = touched_days(f.since, f.until)
        day = func.date(d.day)  # as text on SQLite: parsed by date.fromisoformat, not row by row by SQLAlchemy
        stmt = (select(d.type, day, func.sum(n))
                .where(d.entity_id == entity, d.guessed.is_(False), *in_days(d.day, first, end), *shown_only(d, f))
                .group_by(d.type, day))
        return [(kind, day, total) for kind, day, total in s.execute(stmt) if total]
    day = func.date(Article.published_at)
    stmt = select(Event.type, day, func.count()).join(Article, Article.id == Event.article_id).where(*cond).group_by(
        Event.type, day)
    return list(s.execute(stmt))  # type: ignore[arg-type]


def entity_series(engine: Engine, kind: str, keys: list[str], f: Filters) -> dict[str, Counter[date]]:
    """Entity key → articles about it per UTC day of the filters' dates, from the rollups (a sparkline's
    shape; only the dates of `f` apply)."""
    out: dict[str, Counter[date]] = {k: Counter() for k in keys}
    if not keys:
        return out
    d = EntityDay
    n = d.articles if f.passing else d.articles_about
    first, end = touched_days(f.since, f.until)
    with Session(engine) as s:
        stmt = (select(Entity.key, d.day, func.sum(n)).join(Entity, Entity.id == d.entity_id)
                .where(Entity.kind == kind, Entity.key.in_(keys), d.guessed.is_(False), *in_days(d.day, first, end),
                       *shown_only(d, f))
                .group_by(Entity.key, d.day))
        for key, day, count in s.execute(stmt):
            out[key][day] += count or 0
    return out


def related(engine: Engine, kind: str, key: str, other: str, f: Filters, limit: int = 10) -> Ranked:
    """The entities of kind `other` named in the articles about one entity, most articles first (ties by
    name): [(name, key, articles)].

    Pairs the rollups keep (company-region, company-category, region-category) are read from them when
    only dates filter; other pairs (companies named with a company) are counted from the raw rows.
    """
    pair = (kind, other) if (kind, other) in PAIR_KINDS else (other, kind)
    with Session(engine) as s:
        one = replace(f, **{kind: (key,)}, resolved={})
        resolve(s, one)
        ids = one.resolved.get(kind) or []
        if not ids:
            return []
        if pair in PAIR_KINDS and uses_rollups(f):
            counts = _pair_counts(s, pair, kind == pair[0], ids[0], f)
        else:
            counts = {eid: t.articles for eid, t in entity_totals(s, other, one).items() if eid not in ids}
        named = names(s, contenders(counts, limit))
    rows = [(named[eid][1], named[eid][2], n) for eid, n in counts.items() if eid in named]
    return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))[:limit]


def _pair_counts(s: Session, pair: tuple[str, str], left: bool, entity: int, f: Filters) -> dict[int, int]:
    """Partner id → articles naming both, from the pair rollups of the whole months and days of the range
    and the raw rows of its partial days at the edges."""
    mine, theirs = ("left_id", "right_id") if left else ("right_id", "left_id")
    counts: Counter[int] = Counter()
    parts = split(f.since, f.until)
    for table, column, first, end in spans(parts, PairMonth, PairDay):
        n = table.articles if f.passing else table.articles_about
        partner = getattr(table, theirs)
        stmt = (select(partner, func.sum(n)).join(Entity, Entity.id == partner)
                .where(getattr(table, mine) == entity, Entity.kind == pair[1 if left else 0],
                       *in_days(column, first, end), *shown_only(table, f))
                .group_by(partner))
        for other, total in s.execute(stmt):
            counts[other] += total or 0
    for since, until in parts.edges:
        edge: dict[tuple[int, int], int] = {}
        pair_raw(s, pair[0], pair[1], replace(f, since=since, until=until), edge)
        for (a, b), total in edge.items():
            if (a if left else b) == entity:
                counts[b if left else a] += total
    return {eid: n for eid, n in counts.items() if n}


def keys_of(engine: Engine, kind: str, names: set[str]) -> dict[str, str]:
    """Name → key of the entities of one kind with these names (the first key when two share a name)."""
    if not names:
        return {}
    with Session(engine) as s:
        stmt = (select(Entity.name, Entity.key).where(Entity.kind == kind, Entity.name.in_(sorted(names)))
                .order_by(Entity.key))
        found: dict[str, str] = {}
        for name, key in s.execute(stmt):
            found.setdefault(name, key)
    return found


def entity_of(engine: Engine, kind: str, key: str) -> tuple[int, str] | None:
    """(id, name) of the entity of this kind and key, or None."""
    with Session(engine) as s:
        row = s.execute(select(Entity.id, Entity.name).where(Entity.kind == kind, Entity.key == key)).first()
    return (row[0], row[1]) if row else None


def top_stories(engine: Engine, f: Filters, n: int = 8) -> list[dict]:
    """The stories with the most matching articles told by two sources or more (the news the outlets
    repeat), ranked as `query stories` ranks them: id, lead article, title, matching articles, sources."""
    with Session(engine) as s:
        resolve(s, f)
        rows, _ = rank_stories(s, f, n, min_sources=2)
        info = {st.id: st for st in s.scalars(select(Story).where(Story.id.in_([r[0] for r in rows])))} if rows else {}
    return [{"id": sid, "lead": info[sid].lead_article_id, "title": info[sid].title, "articles": arts,
             "sources": feeds} for sid, arts, feeds, _ in rows]
