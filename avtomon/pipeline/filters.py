"""Filters shared by queries and exports: dates, spans, entities named in any case form."""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ARRAY, DateTime, Dialect, Engine, Integer, and_, any_, bindparam, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from avtomon.db import chunks
from avtomon.errors import AvtomonError
from avtomon.extractors.nlp import fold
from avtomon.models import Article, Entity, Event, Feed, Mention
from avtomon.pipeline.search import backlog_done, nothing_waiting, text_condition

_SPAN = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.I)
_CODE = re.compile(r"^RU-[A-Z]{2,3}$", re.I)


DEFAULT_TZ = "Europe/Moscow"


class FilterError(AvtomonError):
    """A filter value that cannot be understood (bad date, unknown region…)."""


Names = tuple[str, ...]


@dataclass
class Filters:
    """What to select; every field is optional. Several values of one filter mean any of them."""

    since: datetime | None = None
    until: datetime | None = None
    company: Names = ()
    region: Names = ()
    category: Names = ()
    event: Names = ()
    source: Names = ()
    text: str | None = None
    limit: int | None = None
    include_irrelevant: bool = False
    passing: bool = False  # also count product categories named only in passing
    resolved: dict[str, list[int]] = field(default_factory=dict)  # filter name → entity ids
    dialect: str = "sqlite"  # of the store the filters run on (the text search differs), set by resolve()
    tz: str = DEFAULT_TZ  # dates shown and day boundaries of --since/--until; the store keeps UTC
    search_complete: bool = False  # every extracted article is in the search index (set by resolve())
    all_indexed: bool = False  # and no article waits for extraction: the index holds every one (resolve())
    # SQLite: start from the named entities' mentions (True) or from the period's articles (False); set by
    # resolve() to whichever is fewer rows. PostgreSQL's planner makes that choice itself.
    entity_first: bool = True
    ids: tuple[int, ...] | None = None  # only these articles (a sample the caller chose, e.g. the newest N)
    # the lowest article id of the period, when a plan found it: entity-first probes then read only the
    # entity's mentions from that id on (the mentions index is by entity, then article id)
    first_id: int | None = None

    def __post_init__(self) -> None:
        for name in ("company", "region", "category", "event", "source"):
            value = getattr(self, name)
            setattr(self, name, (value,) if isinstance(value, str) else tuple(value or ()))


@cache  # looked up for every row a trend or a chart puts in its period
def zone(name: str) -> ZoneInfo:
    """A time zone by its IANA name (Europe/Moscow, Asia/Yekaterinburg, UTC)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FilterError(f"--tz {name!r}: unknown time zone (use an IANA name such as Europe/Moscow, "
                          f"Asia/Novosibirsk or UTC)") from None


def zoned(value: datetime | None, tz: str) -> datetime | None:
    """A stored (naive UTC) time as an aware time in `tz` (CSV and JSON show its offset)."""
    return value.replace(tzinfo=UTC).astimezone(zone(tz)) if value else None


def local(value: datetime | None, tz: str) -> datetime | None:
    """A stored UTC time as a naive wall-clock time in `tz` (what a spreadsheet or a table shows)."""
    shown = zoned(value, tz)
    return shown.replace(tzinfo=None) if shown else None


def period_start(d: date, by: str) -> date:
    """The day itself, the Monday of its week or the first of its month."""
    if by == "week":
        return d - timedelta(days=d.weekday())
    return d.replace(day=1) if by == "month" else d


def count_periods(times: Iterable[datetime], by: str, tz: str) -> Counter[date]:
    """How many of the stored UTC times fall on each day, week or month of zone `tz`.

    Local midnights are converted to UTC once per day of the span and each time is placed by bisection:
    exact in any zone (DST, half-hour offsets), without a zone conversion per row.
    """
    ordered = sorted(times)
    counts: Counter[date] = Counter()
    if not ordered:
        return counts
    days, starts = _day_starts(ordered[0], ordered[-1], zone(tz))
    for value in ordered:
        counts[period_start(days[bisect.bisect_right(starts, value) - 1], by)] += 1
    return counts


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Midnight at the start of `day` in zone `tz`, as naive UTC."""
    return datetime.combine(day, time(), tz).astimezone(UTC).replace(tzinfo=None)


def split_day(d0: datetime, by: str, tz: str) -> tuple[date, date, datetime | None]:
    """The --tz periods holding the first and the last instant of the UTC day from d0, and the local
    midnight inside it where the second one starts (None when one period holds the whole day): a trend
    counts a whole UTC day at once (a rollup, the index marks) and only a day cut so in two by parts."""
    z = zone(tz)
    first, last = (period_start(t.replace(tzinfo=UTC).astimezone(z).date(), by)
                   for t in (d0, d0 + timedelta(days=1, microseconds=-1)))
    return first, last, None if first == last else local_midnight(last, z)


def utc_hour(dialect: str):  # type: ignore[no-untyped-def]
    """SQL: the UTC hour of an article's publication, to count per hour in the database (`as_hour` reads it)."""
    if dialect == "postgresql":
        return func.date_trunc("hour", Article.published_at)
    return func.substr(Article.published_at, 1, 13)  # SQLite stores "YYYY-MM-DD HH:MM:SS…"


def as_hour(value: datetime | str) -> datetime:
    """The start of an hour from `utc_hour`: a datetime on PostgreSQL, "YYYY-MM-DD HH" text on SQLite."""
    # fromisoformat, not strptime: a year has 8 760 hours, and strptime took 0.25 s to read them
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def count_hours(hours: dict[datetime, int], by: str, tz: str) -> Counter[date] | None:
    """count_periods for counts per whole UTC hour (hour start → count); None when a local midnight of the
    span falls inside an hour (a zone with a half-hour offset), where an hour's count cannot be placed."""
    counts: Counter[date] = Counter()
    if not hours:
        return counts
    ordered = sorted(hours)
    if not midnights_on_hours(ordered[0], ordered[-1], tz):
        return None
    days, starts = _day_starts(ordered[0], ordered[-1], zone(tz))
    for hour in ordered:
        counts[period_start(days[bisect.bisect_right(starts, hour) - 1], by)] += hours[hour]
    return counts


def midnights_on_hours(first: datetime, last: datetime, tz: str) -> bool:
    """Every local midnight of --tz from `first` to `last` (naive UTC) falls on a whole UTC hour (every
    Russian zone; not Asia/Kolkata): counts per UTC hour can then be placed in the zone's days."""
    _, starts = _day_starts(first, last, zone(tz))
    return not any(s.minute or s.second or s.microsecond for s in starts)


def _day_starts(first: datetime, last: datetime, z: ZoneInfo) -> tuple[list[date], list[datetime]]:
    """The local days from the one holding `first` to the one holding `last` (naive UTC), and their
    midnights as naive UTC."""
    return _midnights(first.replace(tzinfo=UTC).astimezone(z).date(), last.replace(tzinfo=UTC).astimezone(z).date(), z)


@lru_cache(maxsize=32)  # a page counts several series (one per event type) over the same span
def _midnights(first_day: date, last_day: date, z: ZoneInfo) -> tuple[list[date], list[datetime]]:
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    return days, [datetime.combine(d, time(), z).astimezone(UTC).replace(tzinfo=None) for d in days]


def parse_when(value: str, now: datetime | None = None, end: bool = False, tz: str = "UTC") -> datetime:
    """A date (2026-01-31), a datetime, or a span back from now (7d, 2w, 3m, 1y), as naive UTC.

    A date or a time without a zone is read in `tz`: `--since 2026-01-31 --tz Europe/Moscow` starts at
    midnight in Moscow, 21:00 UTC the day before.
    """
    now = now or datetime.now(UTC).replace(tzinfo=None)
    m = _SPAN.match(value)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        days = {"d": 1, "w": 7, "m": 30.44, "y": 365.25}[unit] * n
        return now - timedelta(days=days)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FilterError(f"{value!r}: expected a date such as 2026-01-31 or a span such as 7d, 2w, 3m, 1y") from None
    if end and len(value.strip()) == 10:  # --until 2026-01-31 includes that whole day
        parsed += timedelta(days=1)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz))
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _entity_ids(session: Session, kind: str, value: str) -> tuple[list[int], bool]:
    """(entity ids, known) for a key or a name: exact, then case-insensitive, then via the gazetteers (any
    case form, Russian or Latin, a brand as its owner: «Лады» → АвтоВАЗ). `known`: the store or the
    gazetteers know the name, even when it has no articles yet."""
    rows = session.scalars(select(Entity.id).where(Entity.kind == kind, or_(Entity.key == value,
                                                                           Entity.name == value))).all()
    if rows:
        return list(rows), True
    low = fold(value)
    rows = session.scalars(select(Entity.id).where(Entity.kind == kind, or_(
        func.lower(Entity.key) == low, func.lower(Entity.name) == low))).all()
    if rows:
        return list(rows), True
    key = gazetteer_key(kind, value)
    if key is None:
        return [], False
    return list(session.scalars(select(Entity.id).where(Entity.kind == kind, Entity.key == key))), True


def gazetteer_key(kind: str, value: str) -> str | None:
    """The key of a company, region or category named in any case form («КАМАЗа», «Лады», «Татарстане»)."""
    from avtomon.extractors.nlp import get_nlp
    from avtomon.extractors.resources import get_resources

    value = value.strip()
    if kind == "region" and _CODE.match(value):
        return value.upper()
    nlp, res = get_nlp(), get_resources()
    if kind == "category" and value in res.category_names:
        return value
    if kind == "company":
        words = value.split()
        forms = [fold(value), " ".join(nlp.lemmas(w)[0] for w in words)]
        if len(words) == 1:  # every reading of one word: «Лады» is first read as «лад»
            forms += sorted(nlp.lemmas(words[0])[1])
        for form in forms:
            entry = res.alias_index.get(form)
            if entry is not None and entry.entity == "company":
                return res.resolve_brand(entry).key
    _, tokens = nlp.segment(value)
    matcher = {"company": res.orgs, "region": res.regions, "category": res.categories}.get(kind)
    if matcher is None:
        return None
    for m in matcher.find(tokens):
        payload = m.payload
        if kind == "company" and payload.entity == "company":
            return res.resolve_brand(payload).key
        if kind == "region":
            return payload.code
        if kind == "category":
            return payload[0]
    return None


def _choices(session: Session, kind: str) -> list[str]:
    """Every name a user could mean, one spelling per name: the store's names first, then the gazetteer's
    canonical names, then their aliases («АВТОТОР» is Автотор's alias, not a suggestion of its own)."""
    from avtomon.extractors.resources import get_resources

    res = get_resources()
    names = [n for row in session.execute(select(Entity.name, Entity.key).where(Entity.kind == kind)) for n in row]
    if kind == "company":
        entries = [e for e in res.org_entries.values() if e.entity == "company"]
        names += [e.name for e in entries] + [a for e in entries for a in e.aliases]
    elif kind == "region":
        names += list(res.region_names.values())
    elif kind == "category":
        names += [*res.category_names.values(), *res.category_names]
    unique: dict[str, str] = {}
    for name in names:
        bare = (name or "").replace("«", "").replace("»", "")
        if bare:
            unique.setdefault(fold(bare), bare)
    return list(unique.values())


def did_you_mean(value: str, choices: list[str]) -> str:
    """' (did you mean X, Y?)' from the closest choices (whole-string similarity), or ''."""
    from rapidfuzz import fuzz, process, utils

    found = process.extract(value, choices, scorer=fuzz.ratio, processor=utils.default_process, limit=3,
                            score_cutoff=70)
    return f" (did you mean {', '.join(name for name, _, _ in found)}?)" if found else ""


def resolve(session: Session, f: Filters, plan: bool = True) -> Filters:
    """Look up the entities named by --company, --region and --category, and the --source names, and
    (unless not `plan`) choose how to read the period (`plan_period`).

    A name the store or the gazetteers know selects its articles, none when it has none yet; an
    unknown name is a FilterError with the closest names.
    """
    f.dialect = session.get_bind().dialect.name
    if f.text:
        f.search_complete = backlog_done(session)
        # when nothing waits, a search reads the index alone (an article stored after this moment is not
        # searched by this query, as if it had run a moment earlier)
        f.all_indexed = f.search_complete and nothing_waiting(session)
    for name in ("company", "region", "category"):
        ids: list[int] = []
        for value in getattr(f, name):
            found, known = _entity_ids(session, name, value)
            if not known:
                hint = "an ISO code such as RU-TA or a name" if name == "region" else "a key or a name"
                raise FilterError(f"--{name} {value!r}: no {name} by that name (use {hint})"
                                  f"{did_you_mean(value, _choices(session, name))}")
            ids += found
        if getattr(f, name):
            f.resolved[name] = ids
    if plan:
        plan_period(session, f)
    if f.source:
        known = sorted(set(session.scalars(select(Feed.name))) | set(session.scalars(select(Article.feed).distinct())))
        lowered = {k.lower() for k in known}
        for value in f.source:
            if value.lower() not in lowered:
                raise FilterError(f"--source {value!r}: no feed by that name{did_you_mean(value, known)} "
                                  f"(`avtomon feeds` lists them)")
    return f


def _dates(f: Filters) -> list:  # type: ignore[type-arg]
    """The conditions of --since and --until alone."""
    return [*([Article.published_at >= f.since] if f.since else []),
            *([Article.published_at < f.until] if f.until else [])]


def plan_period(session: Session, f: Filters) -> None:
    """SQLite: start from the named entities' mentions or from the period's articles, whichever is fewer.
    A word searched, or an event type, from a --since: the index reads its hits (the type's events) from
    the period's lowest article id on (a year of a word in half the articles: 0.62 s → 0.27 s of SQL at
    1M; a year's launches: 28 000 pages of events no longer read on PostgreSQL)."""
    if f.dialect == "sqlite" and (f.since or f.until) and any(f.resolved.values()):
        f.entity_first = _fewer_by_entity(session, f)
    if (f.text or f.event) and f.since and f.first_id is None:
        f.first_id = first_id(session, f)


def first_id(session: Session, f: Filters) -> int | None:
    """The lowest id among the articles of the period (one pass over its part of the publication index)."""
    dates = _dates(f)
    # `id + 0`: SQLite would otherwise walk the table in id order from the first article to find min(id)
    return session.scalar(select(func.min(Article.id + 0)).where(*dates)) if dates else None


def recent_windows(session: Session, f: Filters, n: int, factors: Sequence[int] = (8, 64, 512)) -> Iterator[Filters]:
    """The filters narrowed to the newest n×8, n×64, n×512 articles of their period (a later --since and
    the lowest id from it on, which the text search and entity probes use), then `f` itself: a query
    that wants the newest `n` matches, or to know whether there are more than `n`, tries the recent
    windows first and stops at the first one that holds enough (each costs its own articles' matches,
    not those of the whole period)."""
    dates = _dates(f)
    for factor in factors:
        start = session.scalar(select(Article.published_at).where(*dates).order_by(Article.published_at.desc())
                               .offset(n * factor).limit(1))
        if start is None:  # the period holds fewer articles: the last try is the period itself
            break
        narrowed = replace(f, since=start)
        plan_period(session, narrowed)
        narrowed.first_id = first_id(session, narrowed)
        yield narrowed
    yield f


def _entity_sizes(session: Session, f: Filters) -> list[int]:
    """The articles of each entity filter (all time, from the monthly rollups)."""
    from avtomon.models import EntityMonth

    return [session.scalar(select(func.coalesce(func.sum(EntityMonth.articles), 0))
                           .where(EntityMonth.entity_id.in_(ids))) or 0 for ids in f.resolved.values() if ids]


def _fewer_by_entity(session: Session, f: Filters) -> bool:
    """Are the named entities' articles (all time) fewer than the period's? The period is counted only up
    to that number, so the check costs no more than the cheaper plan."""
    smallest = min(_entity_sizes(session, f))
    return _period_size(session, f, smallest + 1) > smallest


def _period_size(session: Session, f: Filters, cap: int) -> int:
    """The articles of the period of --since/--until, counted only up to `cap` (through the index on the
    publication time: the count costs no more than `cap` rows)."""
    period = select(Article.id).where(*_dates(f)).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(period)) or 0


def plan_newest(session: Session, f: Filters, n: int) -> None:
    """For the newest `n` articles of common entities (SQLite): walking the articles newest first and
    probing each meets `n` matches after about n / (their share of all articles) rows, fewer than all of
    the entities' articles when they are in much of the news (n = 2 000 of a company named in a third)."""
    if f.dialect != "sqlite" or not f.entity_first or not any(f.resolved.values()):
        return
    sizes = _entity_sizes(session, f)
    total = session.scalar(select(func.max(Article.id))) or 0  # ids grow by one: the count, near enough
    share = 1.0
    for size in sizes:
        share *= size / total if total else 0.0
    if share and n / share < min(sizes):
        f.entity_first = False


def plan_events(session: Session, f: Filters, n: int) -> None:
    """For the newest `n` events of a company or region (SQLite): start from its own events (the index on
    the event's company or region) or from the articles (the period's, or newest first), whichever
    reads fewer rows. Its events are counted through that index; a period's articles only up to that."""
    own = {"company": Event.company_id, "region": Event.region_id}
    chosen = [(column, f.resolved[name]) for name, column in own.items() if f.resolved.get(name)]
    if f.dialect != "sqlite":
        return
    if not chosen:  # only the events' articles are chosen (a category, a word): as for the newest articles
        plan_newest(session, f, n)
        return
    fewest = min(session.scalar(select(func.count()).where(column.in_(ids))) or 0 for column, ids in chosen)
    if not fewest:
        f.entity_first = True  # the index finds none at once
        return
    # newest first, the n-th match comes after about n / (their share of all articles) articles
    articles = n * (session.scalar(select(func.max(Article.id))) or 0) / fewest
    if f.since or f.until:
        articles = min(articles, _period_size(session, f, fewest + 1))
    f.entity_first = fewest <= articles


def counted(passing: bool, mention: type[Mention] | Any = Mention) -> Any:
    """The mentions a query counts: all, except categories named only in passing unless `passing`."""
    return True if passing else mention.passing.is_(False)


def article_conditions(f: Filters) -> list:  # type: ignore[type-arg]
    """WHERE conditions on Article for every filter."""
    cond = []
    if not f.include_irrelevant:
        cond.append(or_(Article.relevant.is_(True), Article.relevant.is_(None)))
    if f.since:
        cond.append(Article.published_at >= f.since)
    if f.until:
        cond.append(Article.published_at < f.until)
    if f.source:
        cond.append(func.lower(Article.feed).in_([s.lower() for s in f.source]))
    if f.ids is not None:
        cond.append(in_ids(Article.id, f.ids, f.dialect))
    if f.text:
        cond.append(text_condition(f.dialect, f.text, f.search_complete, f.first_id, f.all_indexed))
    # Starting from the named entities' mentions (`id IN (their articles)`) costs their articles; starting
    # from the period's articles (a correlated EXISTS probe each) costs the period's. SQLite always takes
    # the first form entity-first and the second date-first, so the form is chosen by entity_first; on
    # PostgreSQL both are semi-joins its planner orders itself. Aliases: the outer query may itself
    # select from mentions or events.
    for name in ("company", "region", "category"):
        ids = f.resolved.get(name)
        if ids is not None:  # empty: a known name without articles yet selects none
            m = aliased(Mention)
            # an article about the category, not one naming it in passing (only categories are named in
            # passing: for a company or a region the probe stays in the index, no mention row is read)
            about = [counted(f.passing, m)] if name == "category" else []
            cond.append(_has(f, m.article_id, m.entity_id.in_(ids), *about))
    if f.event:
        e = aliased(Event)
        cond.append(_has(f, e.article_id, e.type.in_(f.event)))
    return cond


def published_in(windows: Sequence[tuple[datetime, datetime]], size: int = 200) -> Iterator[Any]:
    """Conditions choosing the articles published in any of the [start, end) windows, `size` windows
    each (one statement per condition, each window read through the index on the publication time)."""
    for lo in range(0, len(windows), size):
        yield or_(*(and_(Article.published_at >= a, Article.published_at < b) for a, b in windows[lo : lo + size]))


def each_window(windows: Sequence[tuple[datetime, datetime]], dialect: Dialect) -> tuple[Any, Any, Any]:
    """The [start, end) windows as a table in a statement, one row each: its (index from 0, start, end)
    columns, for a correlated subquery per window that the database plans once, however many windows
    (200 subqueries in one statement cost 1–2 ms of planning each on PostgreSQL)."""
    if dialect.name == "postgresql":
        w = func.unnest(cast([a for a, _ in windows], ARRAY(DateTime)), cast([b for _, b in windows], ARRAY(DateTime))
                        ).table_valued("s", "e", with_ordinality="i").render_derived()
        return w.c.i - 1, w.c.s, w.c.e
    stored = Article.published_at.type.dialect_impl(dialect).bind_processor(dialect)  # the text SQLite compares
    pairs = json.dumps([[stored(a), stored(b)] for a, b in windows])
    w = func.json_each(pairs).table_valued("key", "value")
    return w.c.key, func.json_extract(w.c.value, "$[0]"), func.json_extract(w.c.value, "$[1]")


def in_ids(column, ids: Sequence[int], dialect: str):  # type: ignore[no-untyped-def]
    """column IN ids: on PostgreSQL as `= ANY(array)`, one parameter instead of thousands (a third of the
    time for a page's sample of 2 000 articles)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def id_parts(ids: Sequence[int], dialect: str) -> Iterator[Sequence[int]]:
    """`ids` as the parts of `in_ids` conditions: all at once on PostgreSQL (one array parameter), in
    chunks under SQLite's bound-parameter limit elsewhere."""
    if dialect == "postgresql":
        yield ids
    else:
        yield from chunks(ids)


def _has(f: Filters, article_id, *where):  # type: ignore[no-untyped-def]
    """The article has a row (a mention, an event) meeting `where`, in the form entity_first asks for."""
    if f.entity_first and f.ids is None:  # a given sample of ids: probing each of them is cheaper
        later = [] if f.first_id is None else [article_id >= f.first_id]
        return Article.id.in_(select(article_id).where(*where, *later))
    return exists(select(article_id).where(article_id == Article.id, *where))


def event_conditions(f: Filters) -> list:  # type: ignore[type-arg]
    """WHERE conditions on Event (joined to its Article) for `query events` and the events export alike:
    --company and --region choose the event's own company and region, the other filters its article."""
    own = ("company", "region")
    cond = article_conditions(replace(f, event=(), resolved={k: v for k, v in f.resolved.items() if k not in own}))
    if f.event:
        cond.append(Event.type.in_(f.event))
    # when the period has fewer articles than the entity (entity_first False), `+ 0` keeps SQLite off the
    # index on the event's company or region: it would look up the article of every event the company ever
    # had (КАМАЗ at 1M articles: 300 000 row reads for 30 days, a minute from a cold disk)
    for name, column in (("company", Event.company_id), ("region", Event.region_id)):
        if name in f.resolved:
            cond.append((column if f.entity_first or f.dialect != "sqlite" else column + 0).in_(f.resolved[name]))
    return cond


def matching_ids(engine: Engine, f: Filters) -> list[int]:
    """Ids of the articles the filters choose (at most `f.limit`); unknown entity names raise FilterError."""
    with Session(engine) as s:
        resolve(s, f)
        stmt = select(Article.id).where(and_(True, *article_conditions(f)))
        return list(s.scalars(stmt.limit(f.limit) if f.limit else stmt))

