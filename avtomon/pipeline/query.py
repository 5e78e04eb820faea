"""Analyst queries over the store: top entities, events, articles, trends and co-occurrence."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, and_, distinct, func, select
from sqlalchemy.orm import Session, aliased

from avtomon.db import chunks
from avtomon.models import Article, Entity, Event, Mention, Story
from avtomon.pipeline import word_trend
from avtomon.pipeline.filters import (
    Filters,
    article_conditions,
    as_hour,
    count_hours,
    count_periods,
    counted,
    each_window,
    event_conditions,
    id_parts,
    in_ids,
    local,
    period_start,
    plan_events,
    plan_period,
    published_in,
    resolve,
    split_day,
    utc_hour,
    zone,
)
from avtomon.pipeline.rankings import (
    contenders,
    entity_days,
    entity_totals,
    names,
    newest_ids,
    one_entity,
    pair_totals,
    uses_rollups,
)
from avtomon.pipeline.rollups import next_month
from avtomon.pipeline.story_rollups import story_totals

KINDS = {"companies": "company", "regions": "region", "categories": "category", "persons": "person",
         "organizations": "organization"}
PAIRS = {"company-region": ("company", "region"), "company-category": ("company", "category"),
         "region-category": ("region", "category")}
SNIPPET = 200
# rows a query returns without --limit (the CLI shows them in --help)
DEFAULT_LIMITS = {"entities": 20, "events": 100, "articles": 50, "pairs": 50, "stories": 30}


@dataclass
class Table:
    """A query result: column names and rows, ready for print_table or an export; `cut` when the limit
    left rows out."""

    headers: list[str]
    rows: list[list[object]]
    cut: bool = False


def _limited(rows: list, limit: int) -> tuple[list, bool]:  # type: ignore[type-arg]
    """The first `limit` of rows fetched with limit + 1, and whether there were more."""
    return rows[:limit], len(rows) > limit


def top_entities(engine: Engine, kind: str, f: Filters) -> Table:
    """Entities of one kind ranked by the number of articles mentioning them (ties by name and key); from
    the rollups when only dates filter (rankings.py)."""
    limit = f.limit or DEFAULT_LIMITS["entities"]
    with Session(engine) as s:
        resolve(s, f)
        totals = entity_totals(s, kind, f)
        # names only for what can rank among the first `limit` + 1 (one more tells whether rows were cut)
        named = names(s, contenders({eid: t.articles for eid, t in totals.items()}, limit + 1))
    ranked = sorted(((eid, t) for eid, t in totals.items() if eid in named),
                    key=lambda it: (-it[1].articles, named[it[0]][1], named[it[0]][2]))
    found, cut = _limited(ranked, limit)
    rows = [[named[eid][1], named[eid][2], t.articles, t.mentions, _d(t.first, f.tz), _d(t.last, f.tz)]
            for eid, t in found]
    return Table(["name", "key", "articles", "mentions", "first_seen", "last_seen"], rows, cut)


def top_by_stories(engine: Engine, kind: str, f: Filters) -> Table:
    """Entities of one kind ranked by the number of stories (the same news from several outlets counts
    once) among the articles the filters match; an article not grouped yet counts as its own story."""
    limit = f.limit or DEFAULT_LIMITS["entities"]
    story = func.coalesce(Article.story_id, -Article.id)
    with Session(engine) as s:
        resolve(s, f)
        if uses_rollups(f):
            return _top_by_story_rollups(s, kind, f, limit)
        # the period's articles first, then their mentions: SQLite would start from all the kind's mentions
        # (11 s for 30 days at 1M articles, 0.3 s this way)
        chosen = select(Article.id).where(and_(True, *article_conditions(f)))
        stmt = (select(Entity.name, Entity.key, func.count(distinct(story)), func.count(distinct(Article.id)),
                       func.min(Article.published_at), func.max(Article.published_at))
                .select_from(Mention).join(Entity, Entity.id == Mention.entity_id + 0)
                .join(Article, Article.id == Mention.article_id)
                .where(Mention.article_id.in_(chosen), Entity.kind == kind, counted(f.passing))
                .group_by(Entity.id, Entity.name, Entity.key)
                .order_by(func.count(distinct(story)).desc(), Entity.name, Entity.key).limit(limit + 1))
        found, cut = _limited(list(s.execute(stmt)), limit)
    rows = [[name, key, n, arts, _d(first, f.tz), _d(last, f.tz)] for name, key, n, arts, first, last in found]
    return Table(["name", "key", "stories", "articles", "first_seen", "last_seen"], rows, cut)


def _top_by_story_rollups(s: Session, kind: str, f: Filters, limit: int) -> Table:
    """top_by_stories when only dates filter: stories from story_rollups, articles and dates from the
    entity rollups."""
    stories = story_totals(s, kind, f)
    named = names(s, contenders(stories, limit + 1))
    totals = entity_totals(s, kind, f)
    ranked = sorted((eid for eid in stories if eid in named),
                    key=lambda eid: (-stories[eid], named[eid][1], named[eid][2]))
    found, cut = _limited(ranked, limit)
    rows = [[named[eid][1], named[eid][2], stories[eid], totals[eid].articles, _d(totals[eid].first, f.tz),
             _d(totals[eid].last, f.tz)] for eid in found]
    return Table(["name", "key", "stories", "articles", "first_seen", "last_seen"], rows, cut)


def rank_stories(s: Session, f: Filters, limit: int, min_sources: int = 1) -> tuple[list, bool]:  # type: ignore[type-arg]
    """(story id, matching articles, their feeds, the first one's time) of the stories of the articles the
    filters match (resolved), told by at least `min_sources` feeds: most articles first, then newest,
    then id; and whether the limit cut rows."""
    n = func.count(Article.id)
    stmt = (select(Article.story_id, n, func.count(distinct(Article.feed)), func.min(Article.published_at))
            .where(Article.story_id.is_not(None), *article_conditions(f)).group_by(Article.story_id)
            .having(func.count(distinct(Article.feed)) >= min_sources)
            .order_by(n.desc(), func.min(Article.published_at).desc(), Article.story_id).limit(limit + 1))
    return _limited(list(s.execute(stmt)), limit)


def describe_stories(s: Session, story_ids: list[int]) -> dict[int, dict]:  # type: ignore[type-arg]
    """What a listing, an alert or a digest says of each story: title and link of its earliest article,
    first time seen, articles, sources, links, companies, and its events once per (type, company)."""
    stories = {st.id: st for part in chunks(story_ids) for st in s.scalars(select(Story).where(Story.id.in_(part)))}
    members: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
    for part in chunks(story_ids):
        for sid, aid, feed, url in s.execute(select(Article.story_id, Article.id, Article.feed, Article.url)
                                             .where(Article.story_id.in_(part)).order_by(Article.published_at)):
            members[sid].append((aid, feed, url))
    ids = [a for m in members.values() for a, _, _ in m]
    entities = entities_of(s, ids)
    facts = story_events(s, ids)
    out = {}
    for sid, st in stories.items():
        arts = members.get(sid, [])
        out[sid] = {
            "story_id": sid, "title": st.title, "url": next((u for a, _, u in arts if a == st.lead_article_id), None),
            "first_seen": st.first_seen.isoformat() + "Z", "articles": st.articles,
            "sources": sorted({feed for _, feed, _ in arts}), "links": [u for _, _, u in arts if u],
            "companies": sorted({c for a, _, _ in arts for c in entities.get(a, {}).get("company", [])}),
            "events": [{"type": t, "company": c or None} for t, c in sorted({e for a, _, _ in arts
                                                                             for e in facts.get(a, ())})],
            "lead_article_id": st.lead_article_id,
        }
    return out


def stories(engine: Engine, f: Filters, min_sources: int = 1) -> Table:
    """Stories of the articles the filters match, most articles first (then newest, then id): the first
    time seen, articles and sources, the title and link of the earliest article, its companies, and
    its events once per type and company whatever number of outlets reported them. `min_sources`: only
    stories told by at least that many feeds."""
    with Session(engine) as s:
        resolve(s, f)
        found, cut = rank_stories(s, f, f.limit or DEFAULT_LIMITS["stories"], min_sources)
        described = describe_stories(s, [r[0] for r in found])
    rows = []
    for sid, count, feeds, first in found:
        d = described[sid]
        events = "; ".join(f"{e['type']}: {e['company']}" if e["company"] else e["type"] for e in d["events"])
        rows.append([sid, _d(first, f.tz), count, feeds, d["title"], d["url"], ", ".join(d["companies"]), events])
    return Table(["story", "first_seen", "articles", "sources", "title", "url", "companies", "events"], rows, cut)


def story_events(s: Session, ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    """(type, company name) of each article's events: a story has each pair once."""
    found: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for part in chunks(ids):
        for aid, etype, name in s.execute(select(Event.article_id, Event.type, Entity.name)
                                          .outerjoin(Entity, Entity.id == Event.company_id)
                                          .where(Event.article_id.in_(part))):
            found[aid].add((etype, name or ""))
    return found


def _d(value: datetime | None, tz: str) -> date | None:
    """The day of a stored UTC time in the chosen zone."""
    shown = local(value, tz)
    return shown.date() if shown else None


# newest first; ties by the article's URL (unique, the same on every backend) and the event's place in it
EVENT_ORDER = (Article.published_at.desc(), Article.url, Event.start_char, Event.type)


def events(engine: Engine, f: Filters, per_story: bool = False) -> Table:
    """Events with their article: date, source, company, type, region, categories, title, sentence, URL;
    newest first, ties in the order of the article's URL and the event's place in it. `per_story`: one
    row per story, type and company (the newest report of it), with the story's id."""
    company, region = aliased(Entity), aliased(Entity)
    limit = f.limit or DEFAULT_LIMITS["events"]
    with Session(engine) as s:
        resolve(s, f)
        plan_events(s, f, limit)
        cond = event_conditions(f)
        if f.since is None and (uses_rollups(f) or not f.entity_first):
            # a (vacuous) bound on the publication time lets SQLite walk the articles newest first and stop at the
            # limit; with none it reads and sorts every event (1M articles: 0.7 s, with it 5 ms)
            cond.append(Article.published_at >= datetime.min)
        stmt = (select(Article.published_at, Article.feed, company.name, Event.type, region.key, Event.categories,
                       Article.title, Event.sentence, Article.url, Article.story_id, Article.id)
                .join(Article, Article.id == Event.article_id)
                .outerjoin(company, company.id == Event.company_id).outerjoin(region, region.id == Event.region_id)
                .where(and_(True, *cond)).order_by(*EVENT_ORDER, company.name))
        if per_story:
            found, cut = _once_per_story(s.execute(stmt.execution_options(yield_per=1000)), limit)
        else:
            found, cut = _limited(list(s.execute(stmt.limit(limit + 1))), limit)
    headers = ["date", "source", "company", "type", "region", "categories", "title", "sentence", "url"]
    if per_story:
        return Table([*headers, "story"], [[_d(r[0], f.tz), *r[1:9], r[9]] for r in found], cut)
    return Table(headers, [[_d(r[0], f.tz), *r[1:9]] for r in found], cut)


def _once_per_story(rows, limit: int) -> tuple[list, bool]:  # type: ignore[no-untyped-def,type-arg]
    """The first row of each (story, type, company) in the given order, up to `limit` (an article not
    grouped yet is its own story); reading stops at the first row past the limit."""
    seen: set[tuple] = set()  # type: ignore[type-arg]
    found = []
    for row in rows:
        key = (row[9] if row[9] is not None else -row[10], row[3], row[2])
        if key in seen:
            continue
        if len(found) == limit:
            return found, True
        seen.add(key)
        found.append(row)
    return found, False


def articles(engine: Engine, f: Filters, offset: int = 0) -> Table:
    """Articles with their id, date (and whether it was guessed: the feed gave none), relevance, the
    companies, regions and categories found in them and a snippet; newest first, ties by URL; `offset`
    rows skipped (a page of results)."""
    limit = f.limit or DEFAULT_LIMITS["articles"]
    with Session(engine) as s:
        resolve(s, f)
        # the page's ids first (found on the newest part of the period), then their rows, in that order
        ids = newest_ids(s, f, offset + limit + 1)[offset:]
        stmt = select(Article.id, Article.published_at, Article.published_guessed, Article.feed, Article.title,
                      Article.url, Article.relevance, Article.text)
        by_id = {row[0]: row for part in id_parts(ids, f.dialect)
                 for row in s.execute(stmt.where(in_ids(Article.id, part, f.dialect)))}
        found, cut = _limited([by_id[aid] for aid in ids], limit)
        entities = entities_of(s, [r[0] for r in found], f.passing)
    rows = []
    for aid, published, guessed, feed, title, url, relevance, text in found:
        ent = entities.get(aid, {})
        rows.append([aid, _d(published, f.tz), bool(guessed), feed, title, url,
                     None if relevance is None else round(relevance, 2), ", ".join(ent.get("company", [])),
                     ", ".join(ent.get("region", [])), ", ".join(ent.get("category", [])), _snippet(text)])
    return Table(["id", "date", "date_guessed", "source", "title", "url", "relevance", "companies", "regions",
                  "categories", "snippet"], rows, cut)


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1].rsplit(" ", 1)[0] + "…"


def entities_of(s: Session, ids: list[int], passing: bool = False) -> dict[int, dict[str, list[str]]]:
    """Article id → entity kind → names (companies, persons) or keys (regions, categories), in the order
    the text first names them; categories named only in passing are left out unless `passing`."""
    out: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for chunk in chunks(ids):
        first = func.min(Mention.start_char)
        stmt = (select(Mention.article_id, Entity.kind, Entity.name, Entity.key).join(Entity)
                .where(Mention.article_id.in_(chunk), counted(passing))
                .group_by(Mention.article_id, Entity.kind, Entity.name, Entity.key)
                .order_by(Mention.article_id, first, Entity.key))
        for aid, kind, name, key in s.execute(stmt):
            value = key if kind in ("region", "category") else name
            if value not in out[aid][kind]:
                out[aid][kind].append(value)
    return out


def _label(d: date, by: str) -> str:
    return d.strftime("%Y-%m") if by == "month" else d.isoformat()


def trend(engine: Engine, f: Filters, by: str = "week", compare: bool = False) -> Table:
    """Articles per day, week (starting Monday) or month, days in the chosen zone.

    Periods run from --since (or the first article) to --until (or the last), the empty ones as zero.
    Articles whose date was guessed (the feed gave none; the time of fetching stands in) are left out:
    they would pile up on the day they were fetched. With `compare`, one column per --company.
    """
    series: dict[str, Counter[date]] = {}
    with Session(engine) as s:
        if compare and len(f.company) > 1:
            for name in f.company:
                one = replace(f, company=(name,), resolved={})
                series[name] = _counts(s, one, by)
        else:
            series["articles"] = _counts(s, f, by)
    found = [d for counts in series.values() for d in counts]
    first = period_start(_d(f.since, f.tz), by) if f.since else min(found, default=None)  # type: ignore[arg-type]
    last = period_start(_d(f.until - timedelta(microseconds=1), f.tz), by) if f.until else max(found, default=None)  # type: ignore[arg-type,operator]
    rows: list[list[object]] = []
    current = first
    while current is not None and last is not None and current <= last:
        rows.append([_label(current, by), *(counts.get(current, 0) for counts in series.values())])
        current = _next(current, by)
    return Table(["period", *series], rows)


def _counts(s: Session, f: Filters, by: str) -> Counter[date]:
    resolve(s, f, plan=False)  # the trend of a word from the index marks needs no plan of the period
    counts = word_trend.word_counts(s, f, by) if word_trend.usable(s, f) else None
    if counts is not None:
        return counts
    plan_period(s, f)
    entity = one_entity(f)
    if entity is not None:
        return _counts_from_rollups(s, f, by, entity)
    counts = _counts_by_hour(s, f, by)  # SQL counts per hour, not Python per article (a common word: 260 000)
    return counts if counts is not None else _raw_counts(s, f, by)


def _counts_by_hour(s: Session, f: Filters, by: str) -> Counter[date] | None:
    """Articles per period: SQL counts them per UTC hour (when only dates filter, from the index on
    (published_at, published_guessed, relevant) alone), and the hours are placed in --tz periods (exact
    where local midnight is on a whole UTC hour, as in every Russian zone; else None)."""
    hour = utc_hour(s.get_bind().dialect.name)
    stmt = select(hour, func.count()).where(Article.published_guessed.is_(False), *article_conditions(f)).group_by(hour)
    return count_hours({as_hour(h): n for h, n in s.execute(stmt)}, by, f.tz)


def _raw_counts(s: Session, f: Filters, by: str) -> Counter[date]:
    """Articles per period counted from their rows."""
    cond = [Article.published_guessed.is_(False), *article_conditions(f)]
    return count_periods(s.scalars(select(Article.published_at).where(*cond)), by, f.tz)


def _counts_from_rollups(s: Session, f: Filters, by: str, entity: int) -> Counter[date]:
    """Articles per day, week or month of one entity, from its daily rollups (UTC days).

    A UTC day inside one period counts whole. A day cut by a period's start in --tz (midnight in Moscow
    is 21:00 UTC) is split exactly: its shorter part is counted in SQL, the rest is the day's rollup
    minus that. Partial days at --since and --until are counted from the raw rows.
    """
    zone(f.tz)  # an unknown --tz is an error even when no day is counted
    counts: Counter[date] = Counter()
    partial: list[tuple[datetime, datetime]] = []
    splits: list[tuple[date, date, int, bool]] = []  # first and last period, day total, early part counted
    parts: list[tuple[datetime, datetime]] = []  # the counted part of each split day
    for day, total in entity_days(s, entity, f).items():
        d0 = datetime.combine(day, datetime.min.time())
        d1 = d0 + timedelta(days=1)
        start, end = max(d0, f.since or d0), min(d1, f.until or d1)
        if start >= end:
            continue
        if (start, end) != (d0, d1):  # a day cut by --since or --until: its raw rows counted per period
            partial.append((start, end))
            continue
        first, last, cut = split_day(d0, by, f.tz)
        if cut is None:
            counts[first] += total
            continue
        early = cut - d0 <= d1 - cut
        splits.append((first, last, total, early))
        parts.append((d0, cut) if early else (cut, d1))
    counts.update(count_periods(_window_times(s, f, partial), by, f.tz))
    for (first, last, total, early), part in zip(splits, _window_counts(s, f, parts), strict=True):
        counts[first if early else last] += part
        counts[last if early else first] += total - part
    return +counts  # no zero entries: the trend's range comes from the periods that have articles


def _in_windows(f: Filters) -> list:  # type: ignore[type-arg]
    """The filters' conditions for articles of parts of days, the part's own bounds aside: their
    articles come first (by the index on publication time), each probed for the entity."""
    return [Article.published_guessed.is_(False),
            *article_conditions(replace(f, since=None, until=None, entity_first=False))]


def _window_times(s: Session, f: Filters, windows: list[tuple[datetime, datetime]]) -> list[datetime]:
    """The publication times of the articles the filters choose within the [start, end) windows."""
    found: list[datetime] = []
    for within in published_in(sorted(windows)):
        found += s.scalars(select(Article.published_at).where(within, *_in_windows(f)))
    return found


def _window_counts(s: Session, f: Filters, windows: list[tuple[datetime, datetime]]) -> list[int]:
    """How many articles the filters choose in each [start, end) window, in its order: one statement, a
    count per window (its articles through the index on publication time, each probed for the entity),
    so the database returns a number per window instead of a row per article (a year by day: 365
    numbers, not 20 000 times)."""
    if not windows:
        return []
    i, start, end = each_window(windows, s.get_bind().dialect)
    n = select(func.count()).where(Article.published_at >= start, Article.published_at < end, *_in_windows(f))
    found = dict(s.execute(select(i, n.scalar_subquery())).all())
    return [found.get(k, 0) for k in range(len(windows))]


def _next(d: date, by: str) -> date:
    if by == "month":
        return next_month(d)
    return d + timedelta(days=7 if by == "week" else 1)


def pairs(engine: Engine, f: Filters, kind: str = "company-region") -> Table:
    """Co-occurrence: how many articles mention both entities of a pair (ties by the two names); from the
    rollups when only dates filter."""
    left_kind, right_kind = PAIRS[kind]
    limit = f.limit or DEFAULT_LIMITS["pairs"]
    with Session(engine) as s:
        resolve(s, f)
        totals = pair_totals(s, left_kind, right_kind, f, want=limit + 1)
        named = names(s, {i for pair in totals for i in pair})

    def label(eid: int) -> str:
        k, name, key = named[eid]
        return name if k == "company" else key

    ranked = sorted(((label(left), label(right), n) for (left, right), n in totals.items()),
                    key=lambda r: (-r[2], r[0], r[1]))
    found, cut = _limited([list(r) for r in ranked], limit)
    return Table([left_kind, right_kind, "articles"], found, cut)
