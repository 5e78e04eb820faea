"""Stories per entity and day, so a ranking by stories over a year reads rollups, not every mention.

Distinct stories do not add up over days (a story told on Monday and Tuesday is one story of the
week), so the rollups count each story once per day it *enters*: for one entity, one story and one way
of counting (`every` article or only those shown; mentions in `passing` or not), the days of its
articles naming the entity d1 < d2 < … make one `story_days` row on d1 and one `story_links` row on
each later day d_i with `back` = d_(i-1). The stories with an article in the whole days [D1, D2) are
then exactly

    story_days with D1 <= day < D2   +   story_links with D1 <= day < D2 and back < D1

— a story is counted by its first day, or, when that lies before D1, by its first day after D1 (its
one link from before D1). Links more than `LONG` days long are rare and read apart, so the second sum
reads about a week of rows whatever the period. The partial days at a period's ends are counted from
the raw rows, without the stories the whole days hold already.

A story key is a story id, or minus the article id for an article with no story yet (it is a story
of its own, as in `query companies --count stories`). Whatever changes the stories' articles or their
mentions (extraction, re-extraction, grouping, prune) takes the rows its stories make before and after
the change (`StoryCounter`) and writes the difference in its own transaction; `recount` counts all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from sqlalchemy import and_, bindparam, delete, func, literal, or_, select, text
from sqlalchemy.orm import Session

from avtomon.db import chunks
from avtomon.models import Article, Entity, Mention, StoryDay, StoryLink, StoryMonth
from avtomon.pipeline.filters import Filters, article_conditions, counted
from avtomon.pipeline.lock import advisory_key
from avtomon.pipeline.rankings import spans
from avtomon.pipeline.rollups import Split, add_counts, in_days, next_month, split

LONG = 7  # days: a link longer than this is read apart from the period's last week of links
RANGE = 20_000  # story or article ids per statement of a full recount

# (table name, day, entity, every, passing[, back]) → stories
Row = tuple
Rows = Counter[Row]


def stored_passing(kind: str, passing: bool) -> bool:
    """Only categories are named in passing: the other kinds keep one way of counting mentions."""
    return passing and kind == "category"


# (every, passing) pairs kept for an entity kind
_ALL_WAYS = tuple((every, passing) for every in (False, True) for passing in (False, True))
_WAYS = {"category": _ALL_WAYS}
_ONE_WAY = tuple(w for w in _ALL_WAYS if not w[1])


def _base():  # type: ignore[no-untyped-def]
    return (select(Article.story_id, Article.id, Article.published_at, Article.relevant, Mention.entity_id,
                   Mention.passing, Entity.kind)
            .join(Mention, Mention.article_id == Article.id).join(Entity, Entity.id == Mention.entity_id))


def _rows_of(found: Iterable[Sequence]) -> Rows:  # type: ignore[type-arg]
    """The rollup rows of (story id, article id, published, relevant, entity, passing, kind) rows, all
    the articles of each story among them."""
    days: dict[tuple, set[date]] = defaultdict(set)  # type: ignore[type-arg]
    for sid, aid, published, relevant, eid, passing, kind in found:
        key = sid if sid is not None else -aid
        for every, counts_passing in _WAYS.get(kind, _ONE_WAY):
            if (every or relevant is not False) and (counts_passing or not passing):
                days[(key, eid, every, counts_passing)].add(published.date())
    rows: Rows = Counter()
    for (_, eid, every, passing), seen in days.items():
        ordered = sorted(seen)
        rows[("day", ordered[0], eid, every, passing)] += 1
        for back, day in pairwise(ordered):
            rows[("link", day, eid, every, passing, back)] += 1
    return rows


def story_rows(session: Session, keys: Iterable[int]) -> Rows:
    """The rollup rows the stories `keys` make now (an article's key stops being its own once it has a
    story)."""
    grouped = sorted(k for k in keys if k > 0)
    single = sorted(-k for k in keys if k < 0)
    found: list = []  # type: ignore[type-arg]
    for part in chunks(grouped):
        found += session.execute(_base().where(Article.story_id.in_(part))).all()
    for part in chunks(single):
        found += session.execute(_base().where(Article.id.in_(part), Article.story_id.is_(None))).all()
    return _rows_of(found)


def story_keys(session: Session, article_ids: Iterable[int]) -> set[int]:
    """The story keys of these articles now."""
    keys: set[int] = set()
    for part in chunks(sorted(set(article_ids))):
        keys |= {sid if sid is not None else -aid
                 for aid, sid in session.execute(select(Article.id, Article.story_id).where(Article.id.in_(part)))}
    return keys


class StoryCounter:
    """The rows some stories make before a change, then the difference after it, written in the caller's
    transaction:

        counter = StoryCounter(session, keys)   # locks the stories (PostgreSQL), reads their rows
        …change the articles, mentions or story ids…
        counter.write(keys_after)               # the stories as they are now; the difference is written
    """

    def __init__(self, session: Session, keys: Iterable[int]) -> None:
        self.session = session
        self.keys = set(keys)
        _lock(session, self.keys)
        self.before = story_rows(session, self.keys)

    def write(self, keys: Iterable[int] | None = None) -> None:
        after_keys = self.keys if keys is None else set(keys)
        _lock(self.session, after_keys - self.keys)
        after = story_rows(self.session, after_keys | self.keys)
        delta: Rows = Counter(after)
        delta.subtract(self.before)
        apply(self.session, delta)


def _lock(session: Session, keys: set[int]) -> None:
    """PostgreSQL: one change of a story's rows at a time (grouping and re-extraction may touch one story
    at once); keys in order, so two transactions never wait on each other in a circle. Every caller has
    locked the rows of the articles it changes before (extraction its batch, grouping its chunk, prune
    the articles it deletes): no transaction holds a story's lock while it waits for an article's row."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(keys):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(f"story:{key}")})


def apply(session: Session, delta: Rows) -> None:
    """Add the (possibly negative) counts to the rollup rows, then drop the rows left at zero."""
    days: list[dict] = []  # type: ignore[type-arg]
    months: Rows = Counter()
    links: list[dict] = []  # type: ignore[type-arg]
    for row, n in sorted(delta.items()):
        if not n:
            continue
        if row[0] == "day":
            _, day, eid, every, passing = row
            days.append({"day": day, "entity_id": eid, "every": every, "passing": passing, "stories": n})
            months[(day.replace(day=1), eid, every, passing)] += n
        else:
            _, day, eid, every, passing, back = row
            links.append({"day": day, "entity_id": eid, "every": every, "passing": passing, "back": back,
                          "long": (day - back).days > LONG, "stories": n})
    monthly = [{"month": m, "entity_id": eid, "every": every, "passing": passing, "stories": n}
               for (m, eid, every, passing), n in sorted(months.items()) if n]
    _add(session, StoryDay, days, ("day", "entity_id", "every", "passing"))
    _add(session, StoryMonth, monthly, ("month", "entity_id", "every", "passing"))
    _add(session, StoryLink, links, ("day", "entity_id", "every", "passing", "back"))


def _add(session: Session, model: type, rows: list[dict], key: tuple[str, ...]) -> None:  # type: ignore[type-arg]
    """Add the rows' counts (rollups.add_counts), then drop the rows a negative difference left at zero."""
    add_counts(session, model, rows, key)
    lower = [{f"k_{k}": row[k] for k in key} for row in rows if row["stories"] < 0]
    if lower:
        table = model.__table__  # type: ignore[attr-defined]
        gone = delete(table).where(table.c.stories == 0, *(table.c[k] == bindparam(f"k_{k}") for k in key))
        session.execute(gone, lower)


def recount(session: Session) -> None:
    """Count every story rollup row from the raw tables (migration 0016, `db rebuild-rollups`,
    `stories --rebuild`), a range of story ids or of ungrouped articles at a time."""
    for table in (StoryDay, StoryMonth, StoryLink):
        session.execute(delete(table))
    for column, where in ((Article.story_id, Article.story_id.is_not(None)), (Article.id, Article.story_id.is_(None))):
        low, high = session.execute(select(func.min(column), func.max(column)).where(where)).one()
        if low is None:
            continue
        for start in range(low, high + 1, RANGE):
            found = session.execute(_base().where(where, column >= start, column < start + RANGE)).all()
            apply(session, _rows_of(found))


def prune(session: Session, older_than: datetime) -> None:
    """After a prune: the rows of the days gone go, the cutoff's month is summed again from its days.
    (The stories that lost articles are recounted by the caller's StoryCounter.)"""
    session.execute(delete(StoryDay).where(StoryDay.day < older_than.date()))
    session.execute(delete(StoryLink).where(StoryLink.day < older_than.date()))
    month = older_than.date().replace(day=1)
    session.execute(delete(StoryMonth).where(StoryMonth.month <= month))
    d = StoryDay
    session.execute(StoryMonth.__table__.insert().from_select(
        ["month", "entity_id", "every", "passing", "stories"],
        select(literal(month), d.entity_id, d.every, d.passing, func.sum(d.stories))
        .where(d.day >= month, d.day < next_month(month)).group_by(d.entity_id, d.every, d.passing)))


def story_totals(s: Session, kind: str, f: Filters) -> dict[int, int]:
    """Entity id → its stories among the articles the filters choose (dates, --all, --passing only)."""
    every, passing = f.include_irrelevant, stored_passing(kind, f.passing)
    parts = split(f.since, f.until)
    totals: Counter[int] = Counter()
    for table, column, first, end in spans(parts, StoryMonth, StoryDay):
        stmt = (select(table.entity_id, func.sum(table.stories)).join(Entity, Entity.id == table.entity_id)
                .where(Entity.kind == kind, table.every.is_(every), table.passing.is_(passing),
                       *in_days(column, first, end))
                .group_by(table.entity_id))
        totals.update(dict(s.execute(stmt).all()))
    whole = parts.first_day is None or parts.end_day is None or parts.first_day < parts.end_day
    if whole and parts.first_day is not None:  # stories begun before the period, entering it
        link, first = StoryLink, parts.first_day
        began = or_(and_(link.long.is_(False), link.back >= first - timedelta(days=LONG), link.back < first),
                    and_(link.long.is_(True), link.back < first))
        stmt = (select(link.entity_id, func.sum(link.stories)).join(Entity, Entity.id == link.entity_id)
                .where(Entity.kind == kind, link.every.is_(every), link.passing.is_(passing), began,
                       *in_days(link.day, first, parts.end_day))
                .group_by(link.entity_id))
        totals.update(dict(s.execute(stmt).all()))
    for eid, n in _edge_stories(s, kind, f, parts, whole).items():
        totals[eid] += n
    return {eid: n for eid, n in totals.items() if n}


def _edge_stories(s: Session, kind: str, f: Filters, parts: Split, whole: bool) -> Counter[int]:
    """Per entity, the stories of the partial days at the ends that the whole days do not hold."""
    keys: dict[int, set[int]] = defaultdict(set)
    story = func.coalesce(Article.story_id, -Article.id)
    for since, until in parts.edges:
        edge = replace(f, since=since, until=until, entity_first=False)
        stmt = (select(Mention.entity_id, story).join(Article, Article.id == Mention.article_id)
                .join(Entity, Entity.id == Mention.entity_id + 0)
                .where(Entity.kind == kind, counted(f.passing), and_(True, *article_conditions(edge))).distinct())
        for eid, key in s.execute(stmt):
            keys[eid].add(key)
    inside = _inside(s, kind, f, parts, {k for ks in keys.values() for k in ks if k > 0}) if whole else set()
    return Counter({eid: len({k for k in ks if (eid, k) not in inside}) for eid, ks in keys.items()})


def _inside(s: Session, kind: str, f: Filters, parts: Split, story_ids: set[int]) -> set[tuple[int, int]]:
    """(entity, story) pairs of these stories with an article in the whole days of the period."""
    start = None if parts.first_day is None else datetime.combine(parts.first_day, time())
    end = None if parts.end_day is None else datetime.combine(parts.end_day, time())
    middle = replace(f, since=start, until=end, entity_first=False)
    found: set[tuple[int, int]] = set()
    for part in chunks(sorted(story_ids)):
        stmt = (select(Mention.entity_id, Article.story_id).join(Article, Article.id == Mention.article_id)
                .join(Entity, Entity.id == Mention.entity_id)
                .where(Article.story_id.in_(part), Entity.kind == kind, counted(f.passing),
                       *article_conditions(middle)).distinct())
        found |= {(eid, sid) for eid, sid in s.execute(stmt)}
    return found

