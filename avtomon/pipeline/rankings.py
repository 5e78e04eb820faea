"""Rankings and co-occurrence: read from the per-day rollups when the filters allow, else from raw rows.

Filters on dates alone (and --all, --passing) are answered from `entity_days` / `pair_days`: the whole
UTC days of the range from the rollups, its partial days at the edges from the raw tables, added up.
Any other filter (a company, a region, a word…) chooses articles the rollups do not know, and the
ranking is counted from the raw rows of those articles.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import and_, func, select, union_all
from sqlalchemy.orm import Session, aliased

from avtomon.models import Article, Entity, EntityDay, EntityMonth, Mention, PairDay, PairMonth
from avtomon.pipeline.filters import (
    Filters,
    article_conditions,
    counted,
    first_id,
    id_parts,
    in_ids,
    plan_newest,
    plan_period,
    recent_windows,
)
from avtomon.pipeline.rollups import PAIR_KINDS, Split, as_date, by_month, in_days, split

MOST_LEFT = 500  # left entities a ranking of pairs sums before it sums them all (one IN list)


@dataclass
class Totals:
    """What a ranking counts for one entity (or pair)."""

    articles: int = 0
    mentions: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, articles: int, mentions: int, first: datetime | None, last: datetime | None) -> None:
        self.articles += articles or 0
        self.mentions += mentions or 0
        self.first = min(filter(None, (self.first, first)), default=None)
        self.last = max(filter(None, (self.last, last)), default=None)


def shown_only(table, f: Filters) -> list:  # type: ignore[no-untyped-def,type-arg]
    """Rollup rows of articles shown by default, unless --all."""
    return [] if f.include_irrelevant else [table.shown.is_(True)]


def spans(parts, month_table, day_table) -> Iterator[tuple]:  # type: ignore[no-untyped-def,type-arg]
    """(table, its date column, first, end) for the whole months, then the other whole days, of a range."""
    months, days = by_month(parts)
    for table, column, ranges in ((month_table, month_table.month, [months]), (day_table, day_table.day, days)):
        for first, end in ranges:
            if first is None or first != end:
                yield table, column, first, end


def uses_rollups(f: Filters) -> bool:
    """Only dates (and --all, --passing) filter: the rollups hold the answer."""
    return not (f.company or f.region or f.category or f.event or f.source or f.text or f.ids is not None)


def one_entity(f: Filters) -> int | None:
    """The entity id when the filters choose the articles of exactly one entity and nothing else narrows
    them (a trend the rollups can answer), else None."""
    chosen = rollup_pair(f)
    return chosen[1]["entity_id"] if chosen is not None and chosen[0] is EntityDay else None


def rollup_pair(f: Filters) -> tuple[type, dict[str, int]] | None:
    """When the filters choose the articles of one entity, or of a pair the rollups keep, with one id each
    and nothing else but dates: the day rollup table and its key columns ({"entity_id": id} or
    {"left_id": …, "right_id": …}); else None."""
    if f.event or f.source or f.text or f.ids is not None:
        return None
    named = {name: ids for name, ids in f.resolved.items() if getattr(f, name)}
    if not named or any(len(ids) != 1 for ids in named.values()):
        return None
    if len(named) == 1:
        return EntityDay, {"entity_id": next(iter(named.values()))[0]}
    pair = next((p for p in PAIR_KINDS if set(p) == set(named)), None)
    return None if pair is None else (PairDay, {"left_id": named[pair[0]][0], "right_id": named[pair[1]][0]})


def rollup_count(s: Session, f: Filters) -> int | None:
    """The articles the filters choose, from the rollups (whole days and months) and the raw rows of the
    partial days at the edges, when `rollup_pair` allows; else None. Exact, as the rollups are."""
    chosen = rollup_pair(f)
    if chosen is None:
        return None
    day_table, key = chosen
    month_table = EntityMonth if day_table is EntityDay else PairMonth
    parts = split(f.since, f.until)
    total = 0
    for table, column, first, end in spans(parts, month_table, day_table):
        n = table.articles if f.passing else table.articles_about
        total += s.scalar(select(func.coalesce(func.sum(n), 0)).where(
            *(getattr(table, k) == v for k, v in key.items()), *in_days(column, first, end),
            *shown_only(table, f))) or 0
    for since, until in parts.edges:  # less than a day each: its articles first, then the entity probes
        edge = replace(f, since=since, until=until, entity_first=False)
        total += s.scalar(select(func.count(Article.id)).where(and_(True, *article_conditions(edge)))) or 0
    return total


def recent_start(s: Session, f: Filters, n: int) -> datetime | None:
    """A later --since that still leaves the newest `n` articles of the filters in the range, found in the
    day rollups when `rollup_pair` allows: the start of the latest whole UTC day from which on the whole
    days alone hold `n` (None: no such day, or no rollups to read)."""
    chosen = rollup_pair(f)
    if chosen is None:
        return None
    table, key = chosen
    parts = split(f.since, f.until)
    count = table.articles if f.passing else table.articles_about
    stmt = (select(table.day, func.sum(count)).where(*(getattr(table, k) == v for k, v in key.items()),
                                                    *in_days(table.day, parts.first_day, parts.end_day),
                                                    *shown_only(table, f))
            .group_by(table.day).order_by(table.day.desc()))
    total = 0
    # rows as the database gives them (the index walked newest day first), not all fetched first
    with s.connection().execute(stmt) as rows:
        for day, found in rows:
            total += found or 0
            if total >= n:
                start = datetime.combine(as_date(day), datetime.min.time())
                return start if f.since is None or start > f.since else None
    return None


def newest_ids(s: Session, f: Filters, n: int) -> tuple[int, ...]:
    """The ids of the newest `n` articles the filters (resolved) choose, newest first, ties by URL.

    Exact, but found on a recent part of the period when one holds `n`: for one entity or a pair, the
    day rollups tell from which day on; for other filters (a word, an event type) the newest n×8, n×64…
    articles are tried in turn (`recent_windows`)."""
    start = recent_start(s, f, n)
    if start is not None:  # a short recent period holds them: its articles' ids bound the entity probes
        f = replace(f, since=start)
        plan_period(s, f)
        f.first_id = first_id(s, f)
    if uses_rollups(f) or f.ids is not None or rollup_pair(f) is not None:  # one query; the plan picks the walk
        return _newest(s, f, n)
    for tried in recent_windows(s, f, n):
        found = _newest(s, tried, n)
        if len(found) >= n:
            break
    return found


def _newest(s: Session, f: Filters, n: int) -> tuple[int, ...]:
    plan_newest(s, f, n)
    stmt = (select(Article.id).where(and_(True, *article_conditions(f)))
            .order_by(Article.published_at.desc(), Article.url).limit(n))
    return tuple(s.scalars(stmt))


def entity_days(s: Session, entity: int, f: Filters) -> dict[date, int]:
    """UTC day → the entity's articles with a real date (shown ones unless --all; about it unless --passing)."""
    d = EntityDay
    n = d.articles if f.passing else d.articles_about
    stmt = select(d.day, func.sum(n)).where(d.entity_id == entity, d.guessed.is_(False), *shown_only(d, f)).group_by(
        d.day)
    return {day: count for day, count in s.execute(stmt) if count}


@dataclass(frozen=True)
class Partner:
    """A ranking of one kind among the articles of one entity of a kind it is paired with in the pair
    rollups: the entity's id, and which side of the pair each of them is."""

    entity_id: int
    fixed: str  # "left" or "right": the filtering entity's side
    ranked: str  # the other side


def partner_of(f: Filters, kind: str) -> Partner | None:
    """The pair rollups' view of a ranking of `kind` filtered by one entity and dates only, else None."""
    chosen = rollup_pair(f)
    if chosen is None or chosen[0] is not EntityDay:
        return None
    named = next(name for name in f.resolved if getattr(f, name))
    for left, right in PAIR_KINDS:
        if (left, right) == (named, kind):
            return Partner(chosen[1]["entity_id"], "left", "right")
        if (left, right) == (kind, named):
            return Partner(chosen[1]["entity_id"], "right", "left")
    return None


def entity_totals(s: Session, kind: str, f: Filters) -> dict[int, Totals]:
    """Entity id → its articles, mentions, first and last publication, for the filters."""
    totals: dict[int, Totals] = {}
    partner = partner_of(f, kind)
    if uses_rollups(f) or partner is not None:
        parts = split(f.since, f.until)
        if partner is None:
            _entity_rollups(s, kind, f, parts, totals)
        else:
            _partner_rollups(s, kind, f, parts, partner, totals)
        # partial days at the edges of the rollups: their few articles first, not all of an entity's (the
        # plan chosen for a year of КАМАЗ read all its mentions for a few hours' edge: 2.8 s)
        ranges, plan = parts.edges, {"entity_first": False}
    else:
        ranges, plan = ((f.since, f.until),), {}
    for since, until in ranges:
        _entity_raw(s, kind, replace(f, since=since, until=until, **plan), totals)
    return {eid: t for eid, t in totals.items() if t.articles}


def _entity_rollups(s: Session, kind: str, f: Filters, parts, totals: dict[int, Totals]) -> None:  # type: ignore[no-untyped-def]
    """The whole months of the range from entity_months, the other whole days from entity_days."""
    for table, column, first, end in spans(parts, EntityMonth, EntityDay):
        cols = ((table.articles, table.mentions, table.first_at, table.last_at) if f.passing
                else (table.articles_about, table.mentions_about, table.first_about_at, table.last_about_at))
        stmt = (select(table.entity_id, func.sum(cols[0]), func.sum(cols[1]), func.min(cols[2]), func.max(cols[3]))
                .join(Entity, Entity.id == table.entity_id)
                .where(Entity.kind == kind, *in_days(column, first, end), *shown_only(table, f))
                .group_by(table.entity_id))
        for eid, articles, mentions, first_at, last_at in s.execute(stmt):
            totals.setdefault(eid, Totals()).add(articles, mentions, first_at, last_at)


def _partner_rollups(s: Session, kind: str, f: Filters, parts: Split, partner: Partner,
                     totals: dict[int, Totals]) -> None:
    """The whole months and days of the range from the pair rollups of the filtering entity: per entity of
    `kind` named with it, the articles naming both, its mentions there, their first and last time."""
    for table, column, first, end in spans(parts, PairMonth, PairDay):
        about = "" if f.passing else "_about"
        ranked_id = getattr(table, f"{partner.ranked}_id")
        stmt = (select(ranked_id, func.sum(getattr(table, f"articles{about}")),
                       func.sum(getattr(table, f"{partner.ranked}_mentions{about}")),
                       func.min(getattr(table, f"first{about}_at")), func.max(getattr(table, f"last{about}_at")))
                .join(Entity, Entity.id == ranked_id)
                .where(getattr(table, f"{partner.fixed}_id") == partner.entity_id, Entity.kind == kind,
                       *in_days(column, first, end), *shown_only(table, f))
                .group_by(ranked_id))
        for eid, articles, mentions, first_at, last_at in s.execute(stmt):
            totals.setdefault(eid, Totals()).add(articles, mentions, first_at, last_at)


def chosen_articles(f: Filters, *also):  # type: ignore[no-untyped-def]
    """The ids (and `also` columns) of the articles the filters choose, as a subquery of its own:
    `mentions.article_id IN (…)` makes SQLite start from those articles (through the index on the
    publication time, or the named entities' mentions) and then read their mentions. With the conditions
    on a joined `articles` instead, it may read every mention in entity order to save sorting the groups
    (a month of one company's categories at 1M articles: 16 s instead of 0.06 s)."""
    return select(Article.id, *also).where(and_(True, *article_conditions(f))).correlate(None)


# `entity_id + 0` keeps SQLite from reading all of a kind's mentions through the entity index and then
# filtering them by date: the articles of the period come first, then their mentions (articles-first).
def _entity_raw(s: Session, kind: str, f: Filters, totals: dict[int, Totals]) -> None:
    if s.get_bind().dialect.name == "postgresql":
        # the chosen articles with their publication time, joined: PostgreSQL then reads each article once,
        # not once per mention (a year's regions of 47 000 launch articles: 1.6 s → 0.75 s of SQL). SQLite
        # keeps `IN (…)`: joined, it may start from every mention of the kind (see chosen_articles)
        chosen = chosen_articles(f, Article.published_at).subquery()
        published = chosen.c.published_at
        base = select(Mention.entity_id).join(chosen, chosen.c.id == Mention.article_id).where(Entity.kind == kind)
    else:
        published = Article.published_at
        base = (select(Mention.entity_id).join(Article, Article.id == Mention.article_id)
                .where(Entity.kind == kind, Mention.article_id.in_(chosen_articles(f))))
    stmt = (base.add_columns(func.count(func.distinct(Mention.article_id)), func.count(Mention.id),
                             func.min(published), func.max(published))
            .join(Entity, Entity.id == Mention.entity_id + 0).where(counted(f.passing))
            .group_by(Mention.entity_id))
    for eid, articles, mentions, first, last in s.execute(stmt):
        totals.setdefault(eid, Totals()).add(articles, mentions, first, last)


def pair_totals(s: Session, left_kind: str, right_kind: str, f: Filters, want: int | None = None
                ) -> dict[tuple[int, int], int]:
    """(left id, right id) → articles naming both, for the filters; with `want`, only the pairs that can be
    among the first `want` of the ranking (their totals exact).

    With date-only filters SQL sums the rollups. For a ranking (`want`), the left entities are taken
    busiest first: a pair is never counted in more articles than its left entity, so once the
    `want`-th best pair of the busiest left entities beats every other left entity's own total, the rest
    need not be summed (a year of company-region pairs: a few hundred rollup rows, not half a million).
    """
    totals: dict[tuple[int, int], int] = {}
    if not uses_rollups(f):
        pair_raw(s, left_kind, right_kind, f, totals)
        return totals
    parts = split(f.since, f.until)
    edges: dict[tuple[int, int], int] = {}
    for since, until in parts.edges:
        pair_raw(s, left_kind, right_kind, replace(f, since=since, until=until), edges)
    if want is not None:
        bound = {eid: t.articles for eid, t in entity_totals(s, left_kind, f).items()}
        order = sorted(bound, key=lambda eid: (-bound[eid], eid))
        k = want
        while k < min(MOST_LEFT, len(order) // 2):  # beyond that, summing every pair costs no more
            totals = _pair_sums(s, parts, edges, left_kind, right_kind, f, want, order[:k])
            best = heapq.nlargest(want, totals.values())
            if len(best) == want and bound[order[k]] < best[-1]:
                return totals
            k *= 4
    return _pair_sums(s, parts, edges, left_kind, right_kind, f, want, None)


def _pair_sums(s: Session, parts: Split, edges: dict[tuple[int, int], int], left_kind: str, right_kind: str,
               f: Filters, want: int | None, lefts: list[int] | None) -> dict[tuple[int, int], int]:
    """The rollups' sums plus the raw `edges`, for the pairs whose left entity is in `lefts` (None: all).

    SQL returns the pairs best first; reading stops once no pair further down, even with the most the
    raw edge days add to one pair, can reach the `want`-th total.
    """
    if lefts is not None:
        chosen = set(lefts)
        edges = {pair: n for pair, n in edges.items() if pair[0] in chosen}
    most = max(edges.values(), default=0)
    dialect = s.get_bind().dialect.name
    sums = [_pair_sum(table, column, first, end, left_kind, right_kind, f)
            .where(*([] if lefts is None else [in_ids(table.left_id, lefts, dialect)]))
            for table, column, first, end in spans(parts, PairMonth, PairDay)]
    totals: dict[tuple[int, int], int] = {}
    finished = True
    if sums:
        both = union_all(*sums).subquery()
        stmt = (select(both.c.left_id, both.c.right_id, func.sum(both.c.n).label("n"))
                .group_by(both.c.left_id, both.c.right_id).order_by(func.sum(both.c.n).desc()))
        best: list[int] = []  # the `want` best totals so far, ascending
        for left, right, n in s.execute(stmt):
            if want is not None and len(best) >= want and n + most < best[0]:
                finished = False
                break
            total = n + edges.get((left, right), 0)
            totals[(left, right)] = total
            if want is not None:
                bisect.insort(best, total)
                if len(best) > want:
                    best.pop(0)
    if finished:  # pairs named on the edge days only
        for pair, n in edges.items():
            totals.setdefault(pair, n)
    return {k: v for k, v in totals.items() if v}


def _pair_sum(table, column, first, end, left_kind, right_kind, f):  # type: ignore[no-untyped-def]
    el, er = aliased(Entity), aliased(Entity)
    n = table.articles if f.passing else table.articles_about
    return (select(table.left_id.label("left_id"), table.right_id.label("right_id"), n.label("n"))
            .join(el, el.id == table.left_id).join(er, er.id == table.right_id)
            .where(el.kind == left_kind, er.kind == right_kind, *in_days(column, first, end), *shown_only(table, f)))


def pair_raw(s: Session, left_kind: str, right_kind: str, f: Filters, totals: dict[tuple[int, int], int]) -> None:
    ml, mr, el, er = aliased(Mention), aliased(Mention), aliased(Entity), aliased(Entity)
    stmt = (select(ml.entity_id, mr.entity_id, func.count(func.distinct(ml.article_id)))
            .select_from(ml).join(el, el.id == ml.entity_id + 0)
            .join(mr, and_(mr.article_id == ml.article_id)).join(er, er.id == mr.entity_id + 0)
            .where(el.kind == left_kind, er.kind == right_kind, counted(f.passing, ml), counted(f.passing, mr),
                   ml.article_id.in_(chosen_articles(f)))
            .group_by(ml.entity_id, mr.entity_id))
    for left, right, articles in s.execute(stmt):
        totals[(left, right)] = totals.get((left, right), 0) + articles


def contenders(counts: dict[int, int], limit: int) -> set[int]:
    """The ids that can be among the first `limit` of a ranking by count: the best `limit` and any tied
    with the last of them (ties are broken by name, so those need their names looked up too)."""
    floor = sorted(counts.values(), reverse=True)[limit - 1] if len(counts) >= limit else 0
    return {eid for eid, n in counts.items() if n >= floor}


def names(s: Session, ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """Entity id → (kind, name, key)."""
    out = {}
    dialect = s.get_bind().dialect.name
    for chunk in id_parts(sorted(ids), dialect):
        for eid, kind, name, key in s.execute(select(Entity.id, Entity.kind, Entity.name, Entity.key)
                                              .where(in_ids(Entity.id, chunk, dialect))):
            out[eid] = (kind, name, key)
    return out
