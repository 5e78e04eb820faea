"""Per-day counts per entity and per pair of entities, so rankings read thousands of rows, not millions.

`entity_days` and `pair_days` (models.EntityDay, models.PairDay) hold, per UTC day of publication,
what the rankings count: articles and mentions, all of them and those about the entity (mentions not
in passing), apart for articles marked irrelevant (`shown`). They are exact, not estimates: whenever
the facts of some articles change (extraction, re-extraction, prune), the days of those articles are
recounted from the raw tables in the same transaction. `rebuild` recounts everything
(`avtomon db rebuild-rollups`).

A query over a time range reads the whole UTC days inside it from the rollups and the partial days at
its edges (a span such as 30d, a day boundary in Moscow time) from the raw tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, and_, case, delete, func, literal, select, text
from sqlalchemy.orm import Session

from avtomon.db import chunks
from avtomon.models import Article, Entity, EntityDay, EntityMonth, Event, EventDay, Mention, PairDay, PairMonth
from avtomon.pipeline.lock import advisory_key

# the pairs `query pairs` offers, by entity kind
PAIR_KINDS = (("company", "region"), ("company", "category"), ("region", "category"))


def _shown():  # type: ignore[no-untyped-def]
    """The article is shown by default: not marked irrelevant (relevant is true or not decided yet)."""
    return case((Article.relevant.is_(False), False), else_=True)


def _lock(session: Session, kind: str, keys: list[date]) -> None:
    """PostgreSQL: one recount of a day (or a month) at a time: two extract workers may finish articles of
    one day; the second waits, then counts what the first committed. SQLite writers are serialised anyway.
    Days are locked before months, each in order, so no two transactions wait on each other in a circle."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for value in keys:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(f"rollup:{kind}:{value}")})


def refresh_days(session: Session, days: Iterable[date]) -> None:
    """Recount the rollups of these days from the raw tables, in the caller's transaction."""
    ordered = sorted(set(days))
    months = sorted({d.replace(day=1) for d in ordered})
    _lock(session, "day", ordered)
    _lock(session, "month", months)
    for day in ordered:
        start = datetime.combine(day, time())
        on_day = and_(Article.published_at >= start, Article.published_at < start + timedelta(days=1))
        session.execute(delete(EntityDay).where(EntityDay.day == day))
        session.execute(delete(PairDay).where(PairDay.day == day))
        session.execute(EntityDay.__table__.insert().from_select(_ENTITY_COLUMNS,
                                                                 _entity_counts(on_day, literal(day))))
        # pairs are counted in Python from the day's mentions, read through the index on the publication
        # time: a join of mentions with mentions lets the planner start from all of an entity's
        rows = _pair_rows(session, on_day)
        if rows:
            session.execute(PairDay.__table__.insert(), rows)
        session.execute(delete(EventDay).where(EventDay.day == day))
        rows = _event_rows(session, on_day)
        if rows:
            session.execute(EventDay.__table__.insert(), rows)
    for month in months:
        _refresh_month(session, month)


def as_date(value: date | str) -> date:
    """A day from SQL's date(): a date on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _refresh_month(session: Session, month: date) -> None:
    """Recount a month's rollups from its days' rollups."""
    end = next_month(month)
    d = EntityDay
    session.execute(delete(EntityMonth).where(EntityMonth.month == month))
    session.execute(delete(PairMonth).where(PairMonth.month == month))
    session.execute(EntityMonth.__table__.insert().from_select(
        ["month", *_ENTITY_COLUMNS[1:]],
        select(literal(month), d.entity_id, d.shown, d.guessed, func.sum(d.articles), func.sum(d.articles_about),
               func.sum(d.mentions), func.sum(d.mentions_about), func.min(d.first_at), func.max(d.last_at),
               func.min(d.first_about_at), func.max(d.last_about_at))
        .where(d.day >= month, d.day < end).group_by(d.entity_id, d.shown, d.guessed)))
    _pair_month(session, month)


def _pair_month(session: Session, month: date) -> None:
    """Insert a month's pair_months rows summed from its pair_days."""
    end, p = next_month(month), PairDay
    session.execute(PairMonth.__table__.insert().from_select(
        ["month", "left_id", "right_id", "shown", *PAIR_SUMS, *PAIR_TIMES],
        select(literal(month), p.left_id, p.right_id, p.shown, *(func.sum(getattr(p, c)) for c in PAIR_SUMS),
               func.min(p.first_at), func.max(p.last_at), func.min(p.first_about_at), func.max(p.last_about_at))
        .where(p.day >= month, p.day < end).group_by(p.left_id, p.right_id, p.shown)))


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


_ENTITY_COLUMNS = ["day", "entity_id", "shown", "guessed", "articles", "articles_about", "mentions", "mentions_about",
                   "first_at", "last_at", "first_about_at", "last_about_at"]


def _entity_counts(condition, day=None):  # type: ignore[no-untyped-def]
    """Per (day, entity, shown, guessed) counts of the articles meeting `condition` (day: theirs, or given)."""
    about = Mention.passing.is_(False)
    shown = _shown()
    guessed = Article.published_guessed
    day = day if day is not None else func.date(Article.published_at)
    return (select(day, Mention.entity_id, shown, guessed, func.count(func.distinct(Mention.article_id)),
                   func.count(func.distinct(case((about, Mention.article_id)))), func.count(),
                   func.sum(case((about, 1), else_=0)), func.min(Article.published_at), func.max(Article.published_at),
                   func.min(case((about, Article.published_at))), func.max(case((about, Article.published_at))))
            .join(Article, Article.id == Mention.article_id)
            .where(condition)
            .group_by(day, Mention.entity_id, shown, guessed))


@dataclass
class _Named:
    """One entity in one article: whether some mention is about it, its mentions, those about it."""

    about: bool = False
    mentions: int = 0
    mentions_about: int = 0


PAIR_SUMS = ("articles", "articles_about", "left_mentions", "left_mentions_about", "right_mentions",
             "right_mentions_about")
PAIR_TIMES = ("first_at", "last_at", "first_about_at", "last_about_at")


def _pair_rows(session: Session, condition) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Pair rollup rows (per day) of the articles meeting `condition`."""
    found: dict[tuple[int, bool, datetime], dict[str, dict[int, _Named]]] = defaultdict(lambda: defaultdict(dict))
    stmt = (select(Mention.article_id, _shown(), Article.published_at, Entity.kind, Mention.entity_id,
                   Mention.passing)
            .join(Article, Article.id == Mention.article_id).join(Entity, Entity.id == Mention.entity_id)
            .where(condition))
    for aid, shown, published, kind, eid, passing in session.execute(stmt):
        named = found[(aid, bool(shown), published)][kind].setdefault(eid, _Named())
        named.about |= not passing
        named.mentions += 1
        named.mentions_about += not passing
    rows: dict[tuple[int, int, bool, date], dict] = {}  # type: ignore[type-arg]
    for (_, shown, published), kinds in found.items():
        for left_kind, right_kind in PAIR_KINDS:
            for left, ln in kinds.get(left_kind, {}).items():
                for right, rn in kinds.get(right_kind, {}).items():
                    about = ln.about and rn.about
                    _count_pair(rows, (left, right, shown, published.date()), published, about, ln, rn)
    return [{"left_id": left, "right_id": right, "shown": shown, "day": day, **counts}
            for (left, right, shown, day), counts in rows.items()]


def _count_pair(rows: dict, key: tuple, published: datetime, about: bool,  # type: ignore[type-arg]
                left: _Named, right: _Named) -> None:
    """Add one article naming both sides of a pair to its day's row."""
    row = rows.get(key)
    if row is None:
        row = rows[key] = dict.fromkeys(PAIR_SUMS, 0) | dict.fromkeys(PAIR_TIMES)
    row["articles"] += 1
    row["left_mentions"] += left.mentions
    row["right_mentions"] += right.mentions
    row["first_at"] = _widest(min, row["first_at"], published)
    row["last_at"] = _widest(max, row["last_at"], published)
    if about:
        row["articles_about"] += 1
        row["left_mentions_about"] += left.mentions_about
        row["right_mentions_about"] += right.mentions_about
        row["first_about_at"] = _widest(min, row["first_about_at"], published)
        row["last_about_at"] = _widest(max, row["last_about_at"], published)


def fill_pairs(session: Session, batch_days: int = 31, batch: int = 5000) -> None:
    """Count every day's and month's pair rollups, a month of days at a time (migration 0015; the tables
    are empty)."""
    days = all_days(session)
    for i in range(0, len(days), batch_days):
        start = datetime.combine(days[i], time())
        rows = _pair_rows(session, and_(Article.published_at >= start,
                                        Article.published_at < start + timedelta(days=batch_days)))
        for j in range(0, len(rows), batch):
            session.execute(PairDay.__table__.insert(), rows[j : j + batch])
    for month in sorted({d.replace(day=1) for d in days}):
        _pair_month(session, month)


_EVENT_KEY = ("day", "entity_id", "type", "shown", "guessed")


def fill_event_days(session: Session, batch: int = 5000) -> None:
    """Count every day's event rollups in one pass over the events (migration 0010; the table is empty)."""
    rows = _event_rows(session, and_(True))
    for i in range(0, len(rows), batch):
        session.execute(EventDay.__table__.insert(), rows[i : i + batch])


def _event_rows(session: Session, condition) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Event rollup rows (per day, entity, type, shown, guessed) of the articles meeting `condition`: the
    events of each company and region (their own), and of each category (those of the articles naming
    it, and of the articles about it)."""
    day = func.date(Article.published_at)
    shown, guessed = _shown(), Article.published_guessed
    found: dict[tuple, list[int]] = {}  # type: ignore[type-arg]
    # `+ 0` keeps SQLite from starting at every event of a company or every mention of a category (then
    # dropping those of other days): the articles of `condition` come first (articles-first)
    for own in (Event.company_id, Event.region_id):
        stmt = (select(day, own, Event.type, shown, guessed, func.count())
                .join(Article, Article.id == Event.article_id).where(condition, (own + 0).is_not(None))
                .group_by(day, own, Event.type, shown, guessed))
        for d, eid, kind, sh, g, n in session.execute(stmt):
            found[(d, eid, kind, bool(sh), bool(g))] = [n, n]
    about = Mention.passing.is_(False)
    stmt = (select(day, Mention.entity_id, Event.type, shown, guessed, func.count(func.distinct(Event.id)),
                   func.count(func.distinct(case((about, Event.id)))))
            .select_from(Event).join(Article, Article.id == Event.article_id)
            .join(Mention, Mention.article_id == Event.article_id).join(Entity, Entity.id == Mention.entity_id + 0)
            .where(condition, Entity.kind == "category")
            .group_by(day, Mention.entity_id, Event.type, shown, guessed))
    for d, eid, kind, sh, g, n, n_about in session.execute(stmt):
        found[(d, eid, kind, bool(sh), bool(g))] = [n, n_about]
    return [{"day": as_date(d), "entity_id": eid, "type": kind,
             "shown": sh, "guessed": g, "events": n, "events_about": n_about}
            for (d, eid, kind, sh, g), (n, n_about) in found.items()]


def had_facts(session: Session, article_ids: list[int]) -> set[int]:
    """The articles that have mentions already (re-extraction): their old counts must come out again."""
    found: set[int] = set()
    for chunk in chunks(article_ids):
        found |= set(session.scalars(select(Mention.article_id).where(Mention.article_id.in_(chunk)).distinct()))
    return found


def add_articles(session: Session, article_ids: list[int]) -> None:
    """Add the counts of articles extracted for the first time to their days' and months' rollups, in the
    caller's transaction: an article is counted once, on one day, so their counts simply add up (the
    cost follows the batch, not the day it falls on). Re-extracted articles take `refresh_days`."""
    if not article_ids:
        return
    entity_rows: list[dict] = []  # type: ignore[type-arg]
    pair_rows: list[dict] = []  # type: ignore[type-arg]
    event_rows: list[dict] = []  # type: ignore[type-arg]
    for chunk in chunks(article_ids):
        condition = Article.id.in_(chunk)
        for row in session.execute(_entity_counts(condition)):
            values = dict(zip(_ENTITY_COLUMNS, row, strict=True))
            values["day"] = as_date(values["day"])
            entity_rows.append(values)
        pair_rows += _pair_rows(session, condition)
        event_rows += _event_rows(session, condition)
    days = sorted({r["day"] for r in entity_rows} | {r["day"] for r in pair_rows} | {r["day"] for r in event_rows})
    months = sorted({d.replace(day=1) for d in days})
    _lock(session, "day", days)
    _lock(session, "month", months)
    add_counts(session, EntityDay, entity_rows, ("day", "entity_id", "shown", "guessed"))
    add_counts(session, PairDay, pair_rows, ("day", "left_id", "right_id", "shown"))
    add_counts(session, EventDay, event_rows, _EVENT_KEY)
    add_counts(session, EntityMonth, _by_month(entity_rows, ("entity_id", "shown", "guessed")),
         ("month", "entity_id", "shown", "guessed"))
    add_counts(session, PairMonth, _by_month(pair_rows, ("left_id", "right_id", "shown")),
         ("month", "left_id", "right_id", "shown"))


_SUMS = ("articles", "articles_about", "mentions", "mentions_about", "events", "events_about", *PAIR_SUMS[2:],
         "stories")
_FIRST = ("first_at", "first_about_at")
_LAST = ("last_at", "last_about_at")


def _widest(pick, old: datetime | None, new: datetime | None) -> datetime | None:
    """min or max of two times, either of which may be missing."""
    return new if old is None else old if new is None else pick(old, new)


def _by_month(rows: list[dict], key: tuple[str, ...]) -> list[dict]:  # type: ignore[type-arg]
    """Day rows added up per month (counts summed, first and last times widened)."""
    monthly = [{"month": row["day"].replace(day=1), **{c: v for c, v in row.items() if c != "day"}} for row in rows]
    return _merged(monthly, ("month", *key))


def _merged(rows: list[dict], key: tuple[str, ...]) -> list[dict]:  # type: ignore[type-arg]
    """Rows with the same key as one (counts summed, first and last times widened): one upsert statement
    may not touch a row twice (articles of one day in two chunks of a batch)."""
    out: dict[tuple, dict] = {}  # type: ignore[type-arg]
    for row in rows:
        k = tuple(row[c] for c in key)
        merged = out.get(k)
        if merged is None:
            out[k] = dict(row)
            continue
        for column in row.keys() & _SUMS:
            merged[column] += row[column]
        for column in row.keys() & set(_FIRST):
            merged[column] = _widest(min, merged[column], row[column])
        for column in row.keys() & set(_LAST):
            merged[column] = _widest(max, merged[column], row[column])
    return list(out.values())


def add_counts(session: Session, model: type, rows: list[dict], key: tuple[str, ...]) -> None:  # type: ignore[type-arg]
    """INSERT … ON CONFLICT DO UPDATE adding counts (which may be negative) and widening first/last times."""
    rows = _merged(rows, key)
    if not rows:
        return
    from avtomon.db import conflict_insert

    dialect = session.get_bind().dialect.name
    table = model.__table__  # type: ignore[attr-defined]
    # on the Table, not the mapped class: one executemany, where the ORM's bulk path runs one statement
    # per group of rows with the same missing (None) values — thousands per batch
    stmt = conflict_insert(dialect)(table)
    least, greatest = (func.least, func.greatest) if dialect == "postgresql" else (func.min, func.max)

    def widen(column: str, pick):  # type: ignore[no-untyped-def]
        old, new = table.c[column], stmt.excluded[column]
        return case((old.is_(None), new), (new.is_(None), old), else_=pick(old, new))

    updates = {c: table.c[c] + stmt.excluded[c] for c in _SUMS if c in table.c}
    updates |= {c: widen(c, least) for c in _FIRST if c in table.c}
    updates |= {c: widen(c, greatest) for c in _LAST if c in table.c}
    session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=updates), rows)


def all_days(session: Session) -> list[date]:
    """Every day some article was published on."""
    first, last = session.execute(select(func.min(Article.published_at), func.max(Article.published_at))).one()
    if first is None:
        return []
    return [first.date() + timedelta(days=n) for n in range((last.date() - first.date()).days + 1)]


def rebuild(engine: Engine, batch_days: int = 31) -> int:
    """Recount every rollup from the raw tables (a month of days per transaction); returns the days."""
    with Session(engine) as s, s.begin():
        for table in (EntityDay, PairDay, EntityMonth, PairMonth, EventDay):
            s.execute(delete(table))
        days = all_days(s)
    for i in range(0, len(days), batch_days):
        with Session(engine) as s, s.begin():
            refresh_days(s, days[i : i + batch_days])
    from avtomon.pipeline.story_rollups import recount  # it reads the rollups' helpers from here

    with Session(engine) as s, s.begin():
        recount(s)
    return len(days)


@dataclass(frozen=True)
class Split:
    """A time range cut into whole UTC days (read from the rollups) and at most two raw edges."""

    first_day: date | None  # the whole days are first_day <= day < end_day (None: unbounded)
    end_day: date | None
    edges: tuple[tuple[datetime | None, datetime | None], ...]  # [start, end) ranges read from raw rows


def split(since: datetime | None, until: datetime | None) -> Split:
    """Whole UTC days of [since, until) and the partial days at its ends."""
    first_day = None if since is None else (since.date() if since.time() == time() else since.date() + timedelta(1))
    end_day = None if until is None else until.date()
    if first_day is not None and end_day is not None and end_day <= first_day:  # less than a whole day
        return Split(first_day, first_day, ((since, until),))
    edges = []
    if since is not None and first_day is not None and since < datetime.combine(first_day, time()):
        edges.append((since, datetime.combine(first_day, time())))
    if until is not None and end_day is not None and datetime.combine(end_day, time()) < until:
        edges.append((datetime.combine(end_day, time()), until))
    return Split(first_day, end_day, tuple(edges))


def touched_days(since: datetime | None, until: datetime | None) -> tuple[date | None, date | None]:
    """[first, end) of the UTC days that [since, until) touches, whole or in part (None: unbounded)."""
    first = since.date() if since else None
    end = (until - timedelta(microseconds=1)).date() + timedelta(days=1) if until else None
    return first, end


def in_days(column, first: date | None, end: date | None) -> list:  # type: ignore[no-untyped-def,type-arg]
    """Conditions choosing first <= column < end (None: unbounded)."""
    return [*([column >= first] if first is not None else []), *([column < end] if end is not None else [])]


def by_month(s: Split) -> tuple[tuple[date | None, date | None], list[tuple[date | None, date | None]]]:
    """The whole days of a Split as (whole months [first, end)) and the day ranges around them."""
    first = s.first_day if s.first_day is None or s.first_day.day == 1 else next_month(s.first_day.replace(day=1))
    end = None if s.end_day is None else s.end_day.replace(day=1)
    if first is not None and end is not None and end <= first:  # no whole month inside
        return (first, first), [(s.first_day, s.end_day)]
    days = []
    if s.first_day is not None and first is not None and s.first_day < first:
        days.append((s.first_day, first))
    if end is not None and s.end_day is not None and end < s.end_day:
        days.append((end, s.end_day))
    return (first, end), days
