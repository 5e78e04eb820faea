"""What each page shows, read through the query library (pipeline/query.py, overview.py): plain dicts for
the templates. No SQL of its own but the article page's read of one article with its mentions."""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from avtomon.labels import KINDS_RU, MONTHS_RU, category_names, region_names
from avtomon.models import Article, Entity, Event, Mention
from avtomon.pipeline import overview, query
from avtomon.pipeline.filters import Filters
from avtomon.web.charts import bars, sparkline
from avtomon.web.params import MAX_PAGE, BadRequest, filters_from, number

PER_PAGE = 20
TOP = 10
SAMPLE = 2000  # facets and the entities named together are counted on at most this many newest articles
COUNTED = 10_000  # a search's results are counted exactly up to this many (beyond: "more than"), unless
# the rollups or the index on publication time count them (an entity, a pair of entities, only dates)
# the entity pages: kind → the kinds of entities listed as named with it
RELATED = {"company": ("region", "category", "company"), "region": ("company", "category"),
           "category": ("company", "region")}


class NotFound(LookupError):
    """No such company, region, category or article: a 404 page."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def dashboard(engine: Engine, params: QueryParams, tz: str) -> dict[str, Any]:
    """The last `days` days (7 by default) up to now or `until`: counts, rankings with their daily
    shape, events by type and the latest events."""
    days = number(params, "days", 7, 1, 366)
    base = filters_from(params, tz)
    until = base.until or _now()
    f = replace(base, since=until - timedelta(days=days), until=until)
    daily = query.trend(engine, replace(f), by="day")
    spark_days = _days(f.since.date(), until.date())  # type: ignore[union-attr]
    rankings = {}
    for kind in ("company", "region", "category"):
        table = query.top_entities(engine, kind, replace(f, limit=TOP))
        series = overview.entity_series(engine, kind, [r[1] for r in table.rows], f)
        rankings[kind] = [{"name": r[0], "key": r[1], "articles": r[2],
                           "spark": sparkline([series[r[1]][d] for d in spark_days], f"{r[0]}: статей по дням (UTC)")}
                          for r in table.rows]
    totals, per_day = overview.event_days(engine, replace(f))  # per day: articles with a real date only
    local_days = [r[0] for r in daily.rows]
    events = [{"type": t, "count": n, "spark": sparkline([per_day.get(t, {}).get(date.fromisoformat(d), 0)
                                                           for d in local_days], f"{t}: событий по дням")}
              for t, n in totals.items()]
    latest = query.events(engine, replace(f, limit=15))
    return {"days": days, "since": f.since, "until": until, "total": overview.count_articles(engine, replace(f)),
            "chart": bars([f"{d[8:10]}.{d[5:7]}" for d in local_days], {"статьи": [r[1] for r in daily.rows]},
                          f"Статьи по дням за {days} дн."),
            "rankings": rankings, "events": events, "latest": _events(engine, latest),
            "stories": overview.top_stories(engine, replace(f))}


def search(engine: Engine, params: QueryParams, tz: str) -> dict[str, Any]:
    """A page of articles for the filters, newest first, with facet counts over them (over their newest
    SAMPLE when there are more: the page says so)."""
    f = filters_from(params, tz)
    page = number(params, "page", 1, 1, MAX_PAGE)
    newest = overview.newest(engine, replace(f), SAMPLE)
    total, more = (len(newest), False) if len(newest) < SAMPLE else overview.count_up_to(engine, replace(f), COUNTED)
    on = _only(f, newest)
    offset = (page - 1) * PER_PAGE
    if offset < len(newest):  # the page is among the newest: no need to apply the filters again
        found = query.articles(engine, replace(on, ids=newest[offset : offset + PER_PAGE], limit=PER_PAGE))
    else:
        found = query.articles(engine, replace(f, limit=PER_PAGE), offset=offset)
    if found.rows == [] and page > 1 and total:
        raise BadRequest(f"page={page}: there are {-(-total // PER_PAGE)} pages of results")
    return {"filters": f, "articles": _rows(found), "total": total, "more": more, "page": page,
            "pages": max(1, -(-total // PER_PAGE)), "facets": _facets(engine, on), "sample": SAMPLE}


def _only(f: Filters, ids: tuple[int, ...]) -> Filters:
    """Filters choosing just these articles (chosen by `f`, so its other filters need not apply again)."""
    return Filters(ids=ids, include_irrelevant=True, passing=f.passing, tz=f.tz)


def _facets(engine: Engine, on: Filters) -> dict[str, list[tuple[str, str, int]]]:
    """Per filter kind, the values found among the chosen articles, with their counts."""
    facets = overview.top_by_kind(engine, on, ("company", "region", "category"), 12)
    facets["event"] = [(t, t, a) for t, (_, a) in overview.event_types(engine, replace(on), of_articles=True).items()]
    facets["source"] = [(s, s, n) for s, n in list(overview.sources(engine, replace(on)).items())[:12]]
    facets["month"] = _months(engine, on)
    return facets


def _months(engine: Engine, on: Filters) -> list[tuple[str, str, int]]:
    """The months of the chosen articles, newest first: (label, "since/until" of the month, articles)."""
    rows = query.trend(engine, replace(on), by="month").rows
    out = []
    for period, n in reversed(rows):
        if n:
            year, month = map(int, str(period).split("-"))
            last = calendar.monthrange(year, month)[1]
            out.append((f"{MONTHS_RU[month - 1]} {year}", f"{period}-01/{period}-{last:02d}", int(n)))
    return out[:12]


@cache
def _company_entries() -> dict[str, dict[str, Any]]:
    """The shipped gazetteer merged with the user's companies.yaml, by key (aliases, kind, parent, region)."""
    from avtomon.extractors.overlay import merge_overlay
    from avtomon.extractors.resources import load_yaml, overlay_path

    path = overlay_path()
    raws = merge_overlay(load_yaml("companies.yaml"), path) if path else load_yaml("companies.yaml")
    return {raw["key"]: raw for raw in raws}


def _about(kind: str, key: str, name: str) -> dict[str, Any]:
    """What the gazetteers say of an entity: its Russian name, aliases, kind, parent and home region."""
    if kind == "region":
        return {"title": region_names().get(key, name)}
    if kind == "category":
        return {"title": category_names().get(key, name)}
    raw = _company_entries().get(key, {})
    parent = raw.get("parent") or raw.get("owner")
    parent_name = _company_entries().get(parent, {}).get("name", parent) if parent else None
    return {"title": name, "aliases": [a for a in raw.get("aliases") or () if a != name],
            "company_kind": raw.get("kind"), "parent": (parent_name, parent) if parent else None,
            "home": raw.get("region")}


def entity(engine: Engine, kind: str, key: str, params: QueryParams, tz: str) -> dict[str, Any]:
    """A company, region or category: monthly articles and events, its events with their sentences, the
    entities named with it and its latest articles (over all time, or the page's since/until)."""
    found = overview.entity_of(engine, kind, key)
    if found is None:
        raise NotFound(f"{KINDS_RU.get(kind, kind)} «{key}»: нет в базе")
    dates = filters_from(params, tz)
    base = Filters(since=dates.since, until=dates.until, include_irrelevant=dates.include_irrelevant, tz=tz)
    f = replace(base, **{kind: (key,)})
    trend = query.trend(engine, replace(f), by="month")
    per_type = overview.event_series(engine, replace(f), by="month")
    months = [r[0] for r in trend.rows]
    events_by_month = [sum(c[date.fromisoformat(m + "-01")] for c in per_type.values()) for m in months]
    articles_total = overview.count_articles(engine, replace(f))
    # pairs the rollups keep are exact; the companies named with a company are counted on its newest articles
    newest = overview.newest(engine, replace(f), SAMPLE if kind == "company" else 15)
    sample = _only(f, newest) if len(newest) >= SAMPLE else f
    related = {other: overview.related(engine, kind, key, other, base if (kind, other) != ("company", "company")
                                       else sample) for other in RELATED[kind]}
    return {"kind": kind, "key": key, "name": found[1], "about": _about(kind, key, found[1]),
            "articles_total": articles_total, "events_total": sum(events_by_month), "sample": SAMPLE,
            "chart": bars(months, {"статьи": [r[1] for r in trend.rows], "события": events_by_month},
                          f"{found[1]}: статьи и события по месяцам"),
            "events": _events(engine, query.events(engine, replace(f, limit=30))), "related": related,
            "latest": _rows(query.articles(engine, _only(f, newest[:15]))), "export": {kind: key}}


def entity_url(kind: str, key: str) -> str:
    """The page of a company, region or category (the key as it is stored, URL-encoded)."""
    return f"/{kind}/{quote(key, safe='')}"


def _events(engine: Engine, table: query.Table) -> list[dict[str, Any]]:
    """Event rows with the key of their company, for a link to its page."""
    rows = _rows(table)
    keys = overview.keys_of(engine, "company", {r["company"] for r in rows if r["company"]})
    return [{**r, "company_key": keys.get(r["company"])} for r in rows]


def _rows(table: query.Table) -> list[dict[str, Any]]:
    return [dict(zip(table.headers, row, strict=True)) for row in table.rows]


def article(engine: Engine, article_id: int) -> dict[str, Any]:
    """One article: its title and text with every mention marked by kind, its events and dates."""
    with Session(engine) as s:
        art = s.get(Article, article_id)
        if art is None:
            raise NotFound(f"статьи {article_id} нет в базе")
        marks = list(s.execute(select(Mention.start_char, Mention.end_char, Mention.passing, Entity.kind, Entity.key,
                                      Entity.name).join(Entity).where(Mention.article_id == article_id)
                               .order_by(Mention.start_char, Mention.end_char.desc())))
        company, region = Entity.__table__.alias("c"), Entity.__table__.alias("r")
        events = list(s.execute(select(Event.type, Event.sentence, company.c.name, company.c.key, region.c.key,
                                       Event.categories).outerjoin(company, company.c.id == Event.company_id)
                                .outerjoin(region, region.c.id == Event.region_id).where(Event.article_id == article_id)
                                .order_by(Event.start_char, Event.type)))
        versions = _versions(s, art)
    cut = len(art.title) + 2  # mentions count characters of title + "\n\n" + text
    full = f"{art.title}\n\n{art.text}"
    kinds = sorted({m[3] for m in marks})
    return {"article": art, "title": _marked(full, marks, 0, len(art.title)),
            "text": _marked(full, marks, cut, len(full)),
            "events": [{"type": t, "sentence": sent, "company": c, "company_key": ck, "region": r,
                        "categories": [x for x in (cats or "").split(",") if x]}
                       for t, sent, c, ck, r, cats in events], "kinds": kinds, "versions": versions}


def _versions(s: Session, art: Article) -> list[Any]:
    """The other articles of the article's story (other outlets' versions of the same news), oldest first."""
    if art.story_id is None:
        return []
    return list(s.execute(select(Article.id, Article.feed, Article.title, Article.published_at)
                          .where(Article.story_id == art.story_id, Article.id != art.id)
                          .order_by(Article.published_at, Article.id).limit(50)))


def _marked(full: str, marks: list[Any], start: int, end: int) -> Markup:
    """full[start:end] escaped, each mention inside it wrapped in <mark> with its kind and a link to its
    page; an overlapping mention (a region inside a company name) is left to the outer one."""
    out, at = [], start
    for m_start, m_end, passing, kind, key, name in marks:
        if m_start < at or m_end > end or m_start < start:
            continue
        out.append(escape(full[at:m_start]))
        label = f"{KINDS_RU.get(kind, kind)}: {name}" + (" (вскользь)" if passing else "")
        inner = escape(full[m_start:m_end])
        if kind in RELATED:
            inner = Markup('<a href="{}">{}</a>').format(entity_url(kind, key), inner)
        out.append(Markup('<mark class="m-{}" title="{}">{}</mark>').format(kind, label, inner))
        at = m_end
    out.append(escape(full[at:end]))
    return Markup("").join(out)


def watch_feed(engine: Engine, name: str, url: str) -> bytes:
    """The Atom feed of a watch's alerts (/watch/NAME.atom, NAME as in the file name of its Atom file)."""
    from avtomon.alerts.atom import atom_xml
    from avtomon.alerts.config import slug
    from avtomon.models import Alert

    wanted = name.removesuffix(".atom")
    with Session(engine) as s:
        watch = next((w for w in s.scalars(select(Alert.watch).distinct()) if slug(w) == wanted or w == wanted), None)
        if watch is None:
            raise NotFound(f"наблюдения «{wanted}» нет: у него ещё не было оповещений")
        return atom_xml(s, watch, self_url=url)
