"""Extraction stage: analyse pending articles in batches and store entities, mentions and events.

Each batch is one transaction: an article is either fully extracted (its old facts replaced) or
still pending. A crash mid-batch leaves nothing half-written; the next run picks the batch up again.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from avtomon import settings
from avtomon.db import chunks, conflict_insert
from avtomon.errors import WorkerError
from avtomon.extractors import extractor_version
from avtomon.extractors.records import Analysis, EntityHit
from avtomon.models import Article, Entity, Event, Feed, Mention
from avtomon.pipeline.rollups import add_articles, had_facts, refresh_days
from avtomon.pipeline.search import index_articles, index_backlog
from avtomon.pipeline.story_rollups import StoryCounter, story_keys
from avtomon.stories.grouping import GroupSummary, Print, group_new, store_prints

log = logging.getLogger(__name__)


@dataclass
class ExtractSummary:
    articles: int = 0
    failed: int = 0
    mentions: int = 0
    events: int = 0
    grouped: GroupSummary | None = None  # the story grouping that followed

    def line(self) -> str:
        line = (f"{self.articles} articles extracted, {self.failed} failed, {self.mentions} mentions, "
                f"{self.events} events")
        if self.grouped and self.grouped.articles:
            merged = f", {self.grouped.merged} merged into another" if self.grouped.merged else ""
            line += f"; {self.grouped.articles} grouped into stories ({self.grouped.stories} new{merged})"
        return line


SEARCH_BACKLOG = 20_000  # articles of an older store added to the search index per run (a few minutes at most)
STALE_CLAIM = timedelta(minutes=30)  # a claim this old belongs to a worker that died


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _pending_filter(reextract: bool, now: datetime | None = None):  # type: ignore[no-untyped-def]
    """Articles to extract: pending ones, stale claims of dead workers, and with `reextract` old versions."""
    stale = and_(Article.extract_status == "working", Article.claimed_at < (now or _now()) - STALE_CLAIM)
    # an article still waiting for its page is extracted once the page pass has run
    page_ready = or_(Article.page_status.is_(None), Article.page_status != "pending")
    if reextract:
        return and_(page_ready, or_(Article.extract_status == "pending", stale, and_(
            Article.extract_status.in_(("done", "failed")),
            or_(Article.extractor_version.is_(None), Article.extractor_version != extractor_version()))))
    return and_(page_ready, or_(Article.extract_status == "pending", stale))


def backlog(engine: Engine, reextract: bool = False) -> int:
    """Articles waiting for extraction."""
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Article).where(_pending_filter(reextract))) or 0


def _existing_ids(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    ids: dict[tuple[str, str], int] = {}
    for chunk in chunks(keys, 400):  # two parameters a key
        for eid, kind, key in session.execute(
            select(Entity.id, Entity.kind, Entity.key).where(tuple_(Entity.kind, Entity.key).in_(chunk))
        ):
            ids[(kind, key)] = eid
    return ids


def _entity_ids(session: Session, hits: Sequence[EntityHit]) -> dict[tuple[str, str], int]:
    """Get or create entity rows; safe against another process inserting the same key meanwhile.

    Most entities of a batch exist already (regions, categories, the big companies): look them up
    first and insert only the new ones.
    """
    keys = {(h.kind, h.key): h for h in hits}
    if not keys:
        return {}
    ids = _existing_ids(session, sorted(keys))
    missing = sorted(k for k in keys if k not in ids)
    if missing:
        insert = conflict_insert(session.get_bind().dialect.name)
        rows = [{"kind": k, "key": key, "name": keys[(k, key)].name, "known": keys[(k, key)].known,
                 "org_kind": keys[(k, key)].org_kind} for k, key in missing]
        session.execute(insert(Entity).on_conflict_do_nothing(index_elements=["kind", "key"]), rows)
        ids.update(_existing_ids(session, missing))
    return ids


def store_analyses(session: Session, articles: Sequence[Article], analyses: Sequence[Analysis]) -> tuple[int, int]:
    """Replace the facts of `articles` with `analyses`; returns (mentions, events) written."""
    ids = [a.id for a in articles]
    session.execute(delete(Mention).where(Mention.article_id.in_(ids)))
    session.execute(delete(Event).where(Event.article_id.in_(ids)))
    entity_ids = _entity_ids(session, [h for a in analyses for h in a.entities()])
    mentions, events = [], []
    for article, analysis in zip(articles, analyses, strict=True):
        passing = {id(h) for h in analysis.passing}
        for hit in analysis.entities():
            eid = entity_ids[(hit.kind, hit.key)]
            mentions.extend({"article_id": article.id, "entity_id": eid, "start_char": m.start, "end_char": m.end,
                             "text": m.text, "passing": id(hit) in passing} for m in hit.mentions)
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
    now = _now()
    version = extractor_version()
    # one executemany by primary key, not an UPDATE round trip per article
    session.execute(update(Article), [
        {"id": article.id, "extract_status": "done", "extractor_version": version, "extract_error": None,
         "extracted_at": now, "relevance": analysis.relevance, "relevant": analysis.relevant, "claimed_by": None,
         "claimed_at": None}
        for article, analysis in zip(articles, analyses, strict=True)])
    return len(mentions), len(events)


def feed_tags(engine: Engine) -> dict[str, tuple[str, ...]]:
    """Feed name → its tags, as last synced from feeds.yaml."""
    with Session(engine) as s:
        return {name: tuple(t for t in (tags or "").split(",") if t)
                for name, tags in s.execute(select(Feed.name, Feed.tags))}


def _analyze_batch(articles: Sequence[Article], tags: dict[str, tuple[str, ...]]) -> list[Analysis | Exception]:
    """Analyse a batch; if the batch fails, retry one by one so one bad article fails alone."""
    from avtomon.extractors.analyze import analyze_many, compose

    texts = [compose(a.title, a.text) for a in articles]
    ends = [len(a.title) if a.title else 0 for a in articles]
    feed = [tags.get(a.feed, ()) for a in articles]
    try:
        return list(analyze_many(texts, ends, tags=feed))
    except Exception:
        log.warning("batch analysis failed, retrying articles one by one", exc_info=True)
    out: list[Analysis | Exception] = []
    for text, end, t in zip(texts, ends, feed, strict=True):
        try:
            out.append(analyze_many([text], [end], tags=[t])[0])
        except Exception as exc:
            out.append(exc)
    return out


def claim(engine: Engine, worker: str, size: int, reextract: bool = False) -> list[Article]:
    """Take up to `size` articles for this worker.

    On PostgreSQL the candidate rows are locked with FOR UPDATE SKIP LOCKED, so workers on several
    machines share the backlog without waiting for or duplicating each other; on SQLite the rows are
    chosen inside the claiming UPDATE, under the database's single write lock.
    """
    now = _now()
    pending = _pending_filter(reextract, now)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        if session.get_bind().dialect.name == "sqlite":
            # one UPDATE choosing its rows in a subquery: the choice is made under SQLite's write
            # lock, so two workers never pick the same articles, and never come away empty-handed
            # while work remains
            chosen = select(Article.id).where(pending).order_by(Article.id).limit(size)
            session.execute(update(Article).where(Article.id.in_(chosen))
                            .values(extract_status="working", claimed_by=worker, claimed_at=now))
        else:
            candidates = select(Article.id).where(pending).order_by(Article.id).limit(size).with_for_update(
                skip_locked=True)
            ids = list(session.scalars(candidates))
            if not ids:
                return []
            session.execute(update(Article).where(Article.id.in_(ids))
                            .values(extract_status="working", claimed_by=worker, claimed_at=now))
        return list(session.scalars(select(Article).where(Article.claimed_by == worker,
                                                          Article.extract_status == "working")
                                    .order_by(Article.id)))


def _store_batch(engine: Engine, worker: str, articles: Sequence[Article], results: Sequence[Analysis | Exception],
                 summary: ExtractSummary) -> None:
    """Write one batch in one transaction, only for articles this worker still holds."""
    with Session(engine) as session, session.begin():
        held = set(session.scalars(select(Article.id).where(
            Article.id.in_([a.id for a in articles]), Article.claimed_by == worker).with_for_update()))
        good = [(a, r) for a, r in zip(articles, results, strict=True) if a.id in held and isinstance(r, Analysis)]
        bad = [(a, r) for a, r in zip(articles, results, strict=True) if a.id in held and not isinstance(r, Analysis)]
        # the rollups stay exact in the same transaction: first extractions add their counts, re-extractions
        # recount the days of the articles whose old facts go
        again = had_facts(session, [a.id for a, _ in good])
        stories = StoryCounter(session, story_keys(session, [a.id for a, _ in good]))
        if good:
            m, e = store_analyses(session, [a for a, _ in good], [r for _, r in good])  # type: ignore[misc]
            summary.mentions += m
            summary.events += e
        lemmas = index_articles(session, [(a.id, a.title, a.text) for a, _ in good + bad])
        # the story grouping after the run compares these (the lemmas are at hand here, not later)
        store_prints(session, {a.id: Print.of(lemmas[a.id], f"{a.title}\n{a.text}") for a, _ in good})
        add_articles(session, [a.id for a, _ in good if a.id not in again])
        refresh_days(session, {a.published_at.date() for a, _ in good if a.id in again})
        stories.write()
        for article, exc in bad:
            session.execute(update(Article).where(Article.id == article.id).values(
                extract_status="failed", extract_error=f"{type(exc).__name__}: {exc}"[:2000], claimed_by=None,
                claimed_at=None))
    summary.articles += len(good)
    summary.failed += len(bad)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_claims(engine: Engine) -> int:
    """Give back articles claimed by extract processes of this host that no longer exist.

    A SIGKILL between claim and store leaves articles «working»; the next run must finish them
    without waiting for the claim to go stale. Claims of other hosts wait for STALE_CLAIM.
    """
    host = socket.gethostname()
    with Session(engine) as session, session.begin():
        owners = session.scalars(select(Article.claimed_by).where(Article.extract_status == "working").distinct())
        dead = []
        for owner in owners:
            parts = (owner or "").split(":")
            if len(parts) == 3 and parts[0] == host and parts[1].isdigit() and not _alive(int(parts[1])):
                dead.append(owner)
        if not dead:
            return 0
        result = session.execute(update(Article).where(Article.extract_status == "working",
                                                       Article.claimed_by.in_(dead))
                                 .values(extract_status="pending", claimed_by=None, claimed_at=None))
        return result.rowcount or 0


def extract(engine: Engine, batch: int = settings.EXTRACT_BATCH, reextract: bool = False, limit: int | None = None,
            on_batch: Callable[[int], None] | None = None, backlog: bool = True) -> ExtractSummary:
    """Analyse pending articles and store their facts, one transaction per batch.

    Safe to run in several processes or on several machines at once: each batch is claimed first.

    Args:
        engine: an open store.
        batch: articles per batch (and per transaction).
        reextract: also redo articles extracted by another extractor version.
        limit: stop after this many articles.
        on_batch: called with the number of articles done after each batch.
        backlog: then add up to SEARCH_BACKLOG articles stored before the search index to it.

    Returns:
        Counts of what was written.
    """
    summary = ExtractSummary()
    worker = worker_name()
    tags = feed_tags(engine)
    released = release_dead_claims(engine)
    if released:
        log.warning("took back %s articles claimed by extract processes that died", released)
    while limit is None or summary.articles + summary.failed < limit:
        size = batch if limit is None else min(batch, limit - summary.articles - summary.failed)
        articles = claim(engine, worker, size, reextract)
        if not articles:
            break
        _store_batch(engine, worker, articles, _analyze_batch(articles, tags), summary)
        if on_batch:
            on_batch(len(articles))
    if backlog:
        index_backlog(engine, SEARCH_BACKLOG)
        summary.grouped = group_new(engine)
    return summary


def _worker(url: str, batch: int, reextract: bool) -> ExtractSummary:
    """Entry point of one extract process (spawned: builds its own engine and models)."""
    from avtomon.db import open_store

    engine = open_store(url, migrate=False)
    try:
        return extract(engine, batch=batch, reextract=reextract, backlog=False)  # the parent does it once
    finally:
        engine.dispose()


def _single_threaded_blas() -> None:
    # N worker processes on N cores: BLAS threads inside each would only fight over the same cores.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _preload_models() -> None:
    """Load natasha, pymorphy3 and the gazetteers once, before forking: the workers share them."""
    from avtomon.extractors.nlp import get_nlp
    from avtomon.extractors.resources import get_resources

    nlp = get_nlp()
    nlp.ner_tagger  # noqa: B018  (loads the model)
    get_resources()


def extract_parallel(engine: Engine, workers: int, batch: int = settings.EXTRACT_BATCH,
                     reextract: bool = False) -> ExtractSummary:
    """Run `workers` extract processes on this machine; they share the backlog through claims.

    On Linux the models are loaded once here and the workers are forked from this process, so they
    start at once and share the model memory; elsewhere they are spawned and load their own.
    """
    if workers <= 1:
        return extract(engine, batch=batch, reextract=reextract)
    url = engine.url.render_as_string(hide_password=False)
    total = ExtractSummary()
    # before any model is loaded here, and inherited by forked and spawned workers alike
    _single_threaded_blas()
    if "fork" in multiprocessing.get_all_start_methods():
        _preload_models()
        engine.dispose()  # no pooled connection may cross the fork
        ctx = multiprocessing.get_context("fork")
    else:
        ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker_main, args=(url, batch, reextract, results), daemon=True,
                         name=f"avtomon-extract-{i}") for i in range(workers)]
    for proc in procs:
        proc.start()
    try:
        for part in _collect(procs, results):
            total.articles += part.articles
            total.failed += part.failed
            total.mentions += part.mentions
            total.events += part.events
    finally:
        # also when this process is interrupted or terminated: the workers stop with it, their open
        # batches roll back and their claims are taken back by the next run
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join()
    index_backlog(engine, SEARCH_BACKLOG)
    total.grouped = group_new(engine)
    return total


def _worker_main(url: str, batch: int, reextract: bool, results: Any) -> None:
    """A worker process: Ctrl-C and SIGTERM are the parent's to handle (it terminates the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        results.put(_worker(url, batch, reextract))
    except Exception as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:500]
        results.put(WorkerError(f"an extract worker failed ({type(exc).__name__}: {reason}); what it stored "
                                f"before is kept, run extract again"))


def _collect(procs: list[Any], results: Any) -> Iterator[ExtractSummary]:
    """Each worker's summary; a worker that dies without one is an error, not a hang."""
    for _ in procs:
        while True:
            try:
                part = results.get(timeout=0.5)
                break
            except queue.Empty:
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead:
                    raise WorkerError(f"extract worker {dead[0].name} died (exit status {dead[0].exitcode}); what "
                                      f"it stored before is kept, run extract again") from None
        if isinstance(part, BaseException):
            raise part
        yield part
