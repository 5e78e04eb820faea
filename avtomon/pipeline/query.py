"""Analyst queries over the store: top entities, events, articles, trends and co-occurrence."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session, aliased

from avtomon.db import chunks
from avtomon.models import Article, Entity, Event, Mention
from avtomon.pipeline.filters import Filters, article_conditions, counted, resolve

KINDS = {"companies": "company", "regions": "region", "categories": "category", "persons": "person",
         "organizations": "organization"}
PAIRS = {"company-region": ("company", "region"), "company-category": ("company", "category"),
         "region-category": ("region", "category")}
SNIPPET = 200


@dataclass
class Table:
    """A query result: column names and rows, ready for print_table or an export."""

    headers: list[str]
    rows: list[list[object]]


def top_entities(engine: Engine, kind: str, f: Filters) -> Table:
    """Entities of one kind ranked by the number of articles mentioning them."""
    with Session(engine) as s:
        resolve(s, f)
        stmt = (select(Entity.name, Entity.key, func.count(func.distinct(Mention.article_id)).label("articles"),
                       func.count(Mention.id), func.min(Article.published_at), func.max(Article.published_at))
                .join(Mention, Mention.entity_id == Entity.id).join(Article, Article.id == Mention.article_id)
                .where(Entity.kind == kind, counted(f.passing), *article_conditions(f))
                .group_by(Entity.id, Entity.name, Entity.key)
                .order_by(func.count(func.distinct(Mention.article_id)).desc(), Entity.name)
                .limit(f.limit or 20))
        rows = [[n, k, a, m, _d(first), _d(last)] for n, k, a, m, first, last in s.execute(stmt)]
    return Table(["name", "key", "articles", "mentions", "first_seen", "last_seen"], rows)


def _d(value: datetime | None) -> date | None:
    return value.date() if value else None


def events(engine: Engine, f: Filters) -> Table:
    """Events with their article: date, source, company, type, region, categories, title, sentence, URL."""
    company, region = aliased(Entity), aliased(Entity)
    with Session(engine) as s:
        resolve(s, f)
        cond = article_conditions(replace(f, event=None))
        if f.event:
            cond.append(Event.type == f.event)
        if f.resolved.get("company"):
            cond.append(Event.company_id.in_(f.resolved["company"]))
        if f.resolved.get("region"):
            cond.append(Event.region_id.in_(f.resolved["region"]))
        stmt = (select(Article.published_at, Article.feed, company.name, Event.type, region.key, Event.categories,
                       Article.title, Event.sentence, Article.url)
                .join(Article, Article.id == Event.article_id)
                .outerjoin(company, company.id == Event.company_id).outerjoin(region, region.id == Event.region_id)
                .where(and_(True, *cond)).order_by(Article.published_at.desc(), Event.id).limit(f.limit or 100))
        rows = [[_d(r[0]), *r[1:]] for r in s.execute(stmt)]
    return Table(["date", "source", "company", "type", "region", "categories", "title", "sentence", "url"], rows)


def articles(engine: Engine, f: Filters) -> Table:
    """Articles with the companies, regions and categories found in them and a snippet."""
    with Session(engine) as s:
        resolve(s, f)
        stmt = (select(Article.id, Article.published_at, Article.feed, Article.title, Article.url, Article.text)
                .where(and_(True, *article_conditions(f))).order_by(Article.published_at.desc()).limit(f.limit or 50))
        found = list(s.execute(stmt))
        entities = entities_of(s, [r[0] for r in found], f.passing)
    rows = []
    for aid, published, feed, title, url, text in found:
        ent = entities.get(aid, {})
        rows.append([_d(published), feed, title, url, ", ".join(ent.get("company", [])),
                     ", ".join(ent.get("region", [])), ", ".join(ent.get("category", [])), _snippet(text)])
    return Table(["date", "source", "title", "url", "companies", "regions", "categories", "snippet"], rows)


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1].rsplit(" ", 1)[0] + "…"


def entities_of(s: Session, ids: list[int], passing: bool = False) -> dict[int, dict[str, list[str]]]:
    """Article id → entity kind → names (companies, persons) or keys (regions, categories); categories
    named only in passing are left out unless `passing`."""
    out: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for chunk in chunks(ids):
        stmt = (select(Mention.article_id, Entity.kind, Entity.name, Entity.key).join(Entity)
                .where(Mention.article_id.in_(chunk), counted(passing)).distinct())
        for aid, kind, name, key in s.execute(stmt):
            value = key if kind in ("region", "category") else name
            if value not in out[aid][kind]:
                out[aid][kind].append(value)
    return out


def _period(day: datetime, by: str) -> date:
    d = day.date()
    if by == "week":
        return d - timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    return d


def trend(engine: Engine, f: Filters, by: str = "week") -> Table:
    """Articles per day, week (starting Monday) or month for the filters, with empty periods as zero."""
    with Session(engine) as s:
        resolve(s, f)
        dates = list(s.scalars(select(Article.published_at).where(and_(True, *article_conditions(f)))))
    counts = Counter(_period(d, by) for d in dates)
    if not counts:
        return Table(["period", "articles"], [])
    rows, current, last = [], min(counts), max(counts)
    while current <= last:
        rows.append([current, counts.get(current, 0)])
        current = _next(current, by)
    return Table(["period", "articles"], rows)


def _next(d: date, by: str) -> date:
    if by == "month":
        return (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return d + timedelta(days=7 if by == "week" else 1)


def pairs(engine: Engine, f: Filters, kind: str = "company-region") -> Table:
    """Co-occurrence: how many articles mention both entities of a pair."""
    left_kind, right_kind = PAIRS[kind]
    ml, mr, el, er = aliased(Mention), aliased(Mention), aliased(Entity), aliased(Entity)
    left = el.name if left_kind == "company" else el.key
    right = er.name if right_kind == "company" else er.key
    with Session(engine) as s:
        resolve(s, f)
        stmt = (select(left, right, func.count(func.distinct(ml.article_id)).label("n"))
                .select_from(ml).join(el, el.id == ml.entity_id)
                .join(mr, and_(mr.article_id == ml.article_id)).join(er, er.id == mr.entity_id)
                .join(Article, Article.id == ml.article_id)
                .where(el.kind == left_kind, er.kind == right_kind, counted(f.passing, ml), counted(f.passing, mr),
                       *article_conditions(f))
                .group_by(left, right)
                .order_by(func.count(func.distinct(ml.article_id)).desc()).limit(f.limit or 50))
        rows = [list(r) for r in s.execute(stmt)]
    return Table([left_kind, right_kind, "articles"], rows)

