"""Extraction stage: analyse pending articles in batches and store entities, mentions and events.

Each batch is one transaction: an article is either fully extracted (its old facts replaced) or
still pending. A crash mid-batch leaves nothing half-written; the next run picks the batch up again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from avtomon import settings
from avtomon.extractors import EXTRACTOR_VERSION
from avtomon.extractors.records import Analysis, EntityHit
from avtomon.models import Article, Entity, Event, Mention

log = logging.getLogger(__name__)


@dataclass
class ExtractSummary:
    articles: int = 0
    failed: int = 0
    mentions: int = 0
    events: int = 0

    def line(self) -> str:
        return (f"{self.articles} articles extracted, {self.failed} failed, {self.mentions} mentions, "
                f"{self.events} events")


def _pending_filter(reextract: bool):  # type: ignore[no-untyped-def]
    if reextract:
        return or_(Article.extract_status == "pending", Article.extractor_version.is_(None),
                   Article.extractor_version != EXTRACTOR_VERSION)
    return Article.extract_status == "pending"


def backlog(engine: Engine, reextract: bool = False) -> int:
    """Articles waiting for extraction."""
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Article).where(_pending_filter(reextract))) or 0


def _entity_ids(session: Session, hits: Sequence[EntityHit]) -> dict[tuple[str, str], int]:
    """Get or create entity rows; safe against another process inserting the same key meanwhile."""
    keys = {(h.kind, h.key): h for h in hits}
    if not keys:
        return {}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [{"kind": k, "key": key, "name": h.name, "known": h.known, "org_kind": h.org_kind}
            for (k, key), h in sorted(keys.items())]
    session.execute(insert(Entity).on_conflict_do_nothing(index_elements=["kind", "key"]), rows)
    ids: dict[tuple[str, str], int] = {}
    items = sorted(keys)
    for i in range(0, len(items), 400):
        chunk = items[i : i + 400]
        for eid, kind, key in session.execute(
            select(Entity.id, Entity.kind, Entity.key).where(tuple_(Entity.kind, Entity.key).in_(chunk))
        ):
            ids[(kind, key)] = eid
    return ids


def store_analyses(session: Session, articles: Sequence[Article], analyses: Sequence[Analysis]) -> tuple[int, int]:
    """Replace the facts of `articles` with `analyses`; returns (mentions, events) written."""
    ids = [a.id for a in articles]
    session.execute(delete(Mention).where(Mention.article_id.in_(ids)))
    session.execute(delete(Event).where(Event.article_id.in_(ids)))
    entity_ids = _entity_ids(session, [h for a in analyses for h in a.entities()])
    mentions, events = [], []
    for article, analysis in zip(articles, analyses, strict=True):
        for hit in analysis.entities():
            eid = entity_ids[(hit.kind, hit.key)]
            mentions.extend({"article_id": article.id, "entity_id": eid, "start_char": m.start, "end_char": m.end,
                             "text": m.text} for m in hit.mentions)
        for e in analysis.events:
            events.append({"article_id": article.id, "type": e.type,
                           "company_id": entity_ids.get(("company", e.company_key or "")),
                           "region_id": entity_ids.get(("region", e.region or "")),
                           "categories": ",".join(e.categories), "sentence": e.sentence,
                           "start_char": e.start, "end_char": e.end})
    if mentions:
        session.execute(Mention.__table__.insert(), mentions)
    if events:
        session.execute(Event.__table__.insert(), events)
    now = datetime.now(UTC).replace(tzinfo=None)
    for article, analysis in zip(articles, analyses, strict=True):
        session.execute(update(Article).where(Article.id == article.id).values(
            extract_status="done", extractor_version=EXTRACTOR_VERSION, extract_error=None, extracted_at=now,
            relevance=analysis.relevance, relevant=analysis.relevant))
    return len(mentions), len(events)


def _analyze_batch(articles: Sequence[Article]) -> list[Analysis | Exception]:
    """Analyse a batch; if the batch fails, retry one by one so one bad article fails alone."""
    from avtomon.extractors.analyze import analyze_many, compose

    texts = [compose(a.title, a.text) for a in articles]
    ends = [len(a.title) if a.title else 0 for a in articles]
    try:
        return list(analyze_many(texts, ends))
    except Exception:
        log.warning("batch analysis failed, retrying articles one by one", exc_info=True)
    out: list[Analysis | Exception] = []
    for text, end in zip(texts, ends, strict=True):
        try:
            out.append(analyze_many([text], [end])[0])
        except Exception as exc:
            out.append(exc)
    return out


def extract(engine: Engine, batch: int = settings.EXTRACT_BATCH, reextract: bool = False, limit: int | None = None,
            on_batch: Callable[[int], None] | None = None) -> ExtractSummary:
    """Analyse pending articles and store their facts, one transaction per batch.

    Args:
        engine: an open store.
        batch: articles per batch (and per transaction).
        reextract: also redo articles extracted by another extractor version.
        limit: stop after this many articles.
        on_batch: called with the number of articles done after each batch.

    Returns:
        Counts of what was written.
    """
    summary = ExtractSummary()
    last_id = 0
    while limit is None or summary.articles + summary.failed < limit:
        size = batch if limit is None else min(batch, limit - summary.articles - summary.failed)
        with Session(engine, expire_on_commit=False) as session:
            articles = list(session.scalars(select(Article).where(_pending_filter(reextract), Article.id > last_id)
                                            .order_by(Article.id).limit(size)))
        if not articles:
            break
        last_id = articles[-1].id
        results = _analyze_batch(articles)
        good = [(a, r) for a, r in zip(articles, results, strict=True) if isinstance(r, Analysis)]
        bad = [(a, r) for a, r in zip(articles, results, strict=True) if not isinstance(r, Analysis)]
        with Session(engine) as session, session.begin():
            if good:
                m, e = store_analyses(session, [a for a, _ in good], [r for _, r in good])  # type: ignore[misc]
                summary.mentions += m
                summary.events += e
            for article, exc in bad:
                session.execute(update(Article).where(Article.id == article.id).values(
                    extract_status="failed", extract_error=f"{type(exc).__name__}: {exc}"[:2000]))
        summary.articles += len(good)
        summary.failed += len(bad)
        if on_batch:
            on_batch(len(articles))
    return summary
