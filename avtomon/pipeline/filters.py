"""Filters shared by queries and exports: dates, spans, entities named in any case form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from avtomon.errors import AvtomonError
from avtomon.extractors.nlp import fold
from avtomon.models import Article, Entity, Event, Mention

_SPAN = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.I)
_CODE = re.compile(r"^RU-[A-Z]{2,3}$", re.I)


class FilterError(AvtomonError):
    """A filter value that cannot be understood (bad date, unknown region…)."""


@dataclass
class Filters:
    """What to select; every field is optional."""

    since: datetime | None = None
    until: datetime | None = None
    company: str | None = None
    region: str | None = None
    category: str | None = None
    event: str | None = None
    source: str | None = None
    text: str | None = None
    limit: int | None = None
    include_irrelevant: bool = False
    passing: bool = False  # also count product categories named only in passing
    resolved: dict[str, list[int]] = field(default_factory=dict)  # filter name → entity ids


def parse_when(value: str, now: datetime | None = None, end: bool = False) -> datetime:
    """A date (2026-01-31), a datetime, or a span back from now (7d, 2w, 3m, 1y)."""
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
    return parsed.replace(tzinfo=None) if parsed.tzinfo is None else parsed.astimezone(UTC).replace(tzinfo=None)


def _entity_ids(session: Session, kind: str, value: str) -> list[int]:
    """Entity ids for a key or a name, exact first, then case-insensitive, then via the gazetteers."""
    rows = session.scalars(select(Entity.id).where(Entity.kind == kind, or_(Entity.key == value,
                                                                           Entity.name == value))).all()
    if rows:
        return list(rows)
    low = fold(value)
    rows = session.scalars(select(Entity.id).where(Entity.kind == kind, or_(
        func.lower(Entity.key) == low, func.lower(Entity.name) == low))).all()
    if rows:
        return list(rows)
    key = _gazetteer_key(kind, value)
    if key:
        return list(session.scalars(select(Entity.id).where(Entity.kind == kind, Entity.key == key)))
    return []


def _gazetteer_key(kind: str, value: str) -> str | None:
    """The key of a company, region or category named in any case form («КАМАЗа», «Татарстане»)."""
    from avtomon.extractors.nlp import get_nlp
    from avtomon.extractors.resources import get_resources

    if kind == "region" and _CODE.match(value.strip()):
        return value.strip().upper()
    nlp, res = get_nlp(), get_resources()
    _, tokens = nlp.segment(value)
    matcher = {"company": res.orgs, "region": res.regions, "category": res.categories}.get(kind)
    if matcher is None:
        return None
    for m in matcher.find(tokens):
        payload = m.payload
        if kind == "company" and payload.entity == "company":
            return payload.key
        if kind == "region":
            return payload.code
        if kind == "category":
            return payload[0]
    return None


def resolve(session: Session, f: Filters) -> Filters:
    """Look up the entities named by --company, --region and --category; unknown names are errors."""
    for name, kind in (("company", "company"), ("region", "region"), ("category", "category")):
        value = getattr(f, name)
        if value:
            ids = _entity_ids(session, kind, value)
            if not ids:
                hint = "an ISO code such as RU-TA or a name" if kind == "region" else "a key or a name"
                raise FilterError(f"--{name} {value!r}: nothing by that name in the store (use {hint})")
            f.resolved[name] = ids
    return f


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
        cond.append(func.lower(Article.feed) == f.source.lower())
    if f.text:
        for word in f.text.split():
            pattern = f"%{word.lower()}%"
            cond.append(or_(func.lower(Article.title).like(pattern), func.lower(Article.text).like(pattern)))
    # aliases: the outer query may itself select from mentions or events, and must not correlate with them
    for name in ("company", "region", "category"):
        ids = f.resolved.get(name)
        if ids:
            m = aliased(Mention)
            # an article about the category, not one naming it in passing
            cond.append(exists(select(m.id).where(m.article_id == Article.id, m.entity_id.in_(ids),
                                                  counted(f.passing, m))))
    if f.event:
        e = aliased(Event)
        cond.append(exists(select(e.id).where(e.article_id == Article.id, e.type == f.event)))
    return cond


def matching_ids(engine: Engine, f: Filters) -> list[int]:
    """Ids of the articles the filters choose (at most `f.limit`); unknown entity names raise FilterError."""
    with Session(engine) as s:
        resolve(s, f)
        stmt = select(Article.id).where(and_(True, *article_conditions(f)))
        return list(s.scalars(stmt.limit(f.limit) if f.limit else stmt))

