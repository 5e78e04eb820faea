"""Wire the stages together: poll (fetch → parse → dedup → store) and feed checks."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from avtomon.models import Feed
from avtomon.pipeline.config import FeedConfig, FeedsConfig
from avtomon.pipeline.fetch import FetchLimits, FetchRequest, FetchResult, fetch_many, make_client
from avtomon.pipeline.fulltext import PageSummary, fetch_pending_pages, wants_page
from avtomon.pipeline.parse import EntryRecord, ParsedFeed, parse_feed
from avtomon.pipeline.schedule import SKIP_REASONS, skip_reason
from avtomon.pipeline.store import prune_horizon, record_result, store_entries, sync_feeds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedOutcome:
    """What one feed's poll did, for summaries and progress output."""

    feed: str
    status: str  # ok | not_modified | error
    http_status: int | None
    items_seen: int
    items_new: int
    error: str | None


_DNS = ("name or service not known", "temporary failure in name resolution", "nodename nor servname",
        "no address associated", "getaddrinfo", "name resolution")


@dataclass
class PollSummary:
    """The whole poll: per-feed outcomes plus feeds skipped, by name, with the reason (schedule.SKIP_REASONS)."""

    outcomes: list[FeedOutcome] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    pages: PageSummary | None = None

    @property
    def failed(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.status == "error"]

    @property
    def nothing_polled(self) -> bool:
        """Every polled feed failed, or none could be polled (all disabled or in backoff): exit status 4.
        Feeds that only wait for their interval are a normal quiet run."""
        if self.outcomes:
            return len(self.failed) == len(self.outcomes)
        return "interval" not in self.skipped.values()

    @property
    def offline(self) -> bool:
        """Every feed polled failed to resolve its host: the machine, not the feeds, is the problem."""
        return len(self.failed) >= 2 and len(self.failed) == len(self.outcomes) and all(
            any(s in (o.error or "").lower() for s in _DNS) for o in self.failed)

    def skip_line(self) -> str:
        """Why feeds were skipped, per reason: '2 waiting out a backoff after failures, 1 disabled …'."""
        counts = Counter(self.skipped.values())
        return ", ".join(f"{n} {SKIP_REASONS[reason]}" for reason, n in counts.most_common())

    @property
    def new_articles(self) -> int:
        return sum(o.items_new for o in self.outcomes)

    def line(self) -> str:
        ok = len(self.outcomes) - len(self.failed)
        parts = [f"{len(self.outcomes)} feeds polled", f"{ok} ok", f"{len(self.failed)} failed",
                 f"{self.new_articles} new articles"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped ({self.skip_line()})")
        line = ", ".join(parts)
        if self.pages and (self.pages.fetched or self.pages.kept or self.pages.failed):
            line += f"; {self.pages.line()}"
        return line


def quick_relevance(text: str) -> float:
    """Relevance from gazetteers and vocabulary only (no NER): decides whether a page is worth fetching."""
    from avtomon.extractors.relevance import quick_relevance as quick

    return quick(text)


def limits_for(config: FeedsConfig) -> FetchLimits:
    s = config.settings
    return FetchLimits(timeout=s.timeout, max_body_bytes=s.max_body_bytes, user_agent=s.user_agent,
                       concurrency=s.concurrency)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def parse_result(result: FetchResult) -> ParsedFeed:
    """Parse a fetched body (an empty ParsedFeed for 304s and errors)."""
    if result.status != "ok":
        return ParsedFeed()
    return parse_feed(result.body, result.headers, result.feed, result.final_url or result.url, result.fetched_at)


def _store_one(engine: Engine, result: FetchResult, backoff_max: float,
               wants_page: Callable[[EntryRecord], bool] | None = None, horizon: datetime | None = None
               ) -> FeedOutcome:
    """Parse and store one feed's answer in its own transaction: a failure here touches no other feed."""
    parsed = parse_result(result)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        feed_row = session.scalars(select(Feed).where(Feed.name == result.feed)).one()
        new = store_entries(session, parsed.entries, wants_page, horizon) if parsed.entries else 0
        run = record_result(session, feed_row, result, len(parsed.entries), new, parsed.error,
                            parsed.note, backoff_max)
    return FeedOutcome(result.feed, run.status, result.http_status, len(parsed.entries), new, run.error)


BOOKKEEPING_BATCH = 100


class Bookkeeper:
    """Feed state and poll_runs rows of answers that carry no entries (304s, errors), written in batches.

    A 304 costs no parsing; writing its two rows in a transaction of its own would cost more than the
    request. Answers with entries are stored at once, in their own transaction, by `_store_one`.
    """

    def __init__(self, engine: Engine, backoff_max: float) -> None:
        self.engine, self.backoff_max = engine, backoff_max
        self.pending: list[FetchResult] = []

    def add(self, result: FetchResult) -> FeedOutcome:
        """Queue the answer for the next batch (no database work here) and say what it was."""
        self.pending.append(result)
        failed = result.status == "error"
        return FeedOutcome(result.feed, "error" if failed else result.status, result.http_status, 0, 0,
                           result.error)

    @property
    def full(self) -> bool:
        return len(self.pending) >= BOOKKEEPING_BATCH

    def flush(self) -> None:
        """Write the queued answers in one transaction; a failure is logged (they carried no articles)."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                rows = {f.name: f for f in session.scalars(select(Feed).where(Feed.name.in_([r.feed for r in batch])))}
                for result in batch:
                    record_result(session, rows[result.feed], result, 0, 0, None, None, self.backoff_max)
        except Exception:
            log.exception("recording the state of %d feeds that sent no entries failed", len(batch))


def due_requests(engine: Engine, feeds: list[FeedConfig], force: bool
                 ) -> tuple[list[FetchRequest], dict[str, str]]:
    """Sync feed rows and pick what to poll now; returns (requests, skipped feed name → reason)."""
    now = _now()
    requests, skipped = [], {}
    with Session(engine) as session, session.begin():
        rows = sync_feeds(session, feeds)
        for cfg in feeds:
            row = rows[cfg.name]
            reason = skip_reason(row, cfg, now)
            if reason == "disabled" or (reason and not force):
                skipped[cfg.name] = reason
                continue
            requests.append(FetchRequest(cfg.name, row.url, row.etag, row.last_modified))
    return requests, skipped


def poll(engine: Engine, config: FeedsConfig, force: bool = False, only: list[str] | None = None,
         on_progress: Callable[[FeedOutcome, int], None] | None = None) -> PollSummary:
    """Poll every due feed concurrently and store new articles.

    Args:
        engine: an open store.
        config: the validated feeds.yaml.
        force: poll feeds waiting out a backoff or their interval too.
        only: restrict to these feed names.
        on_progress: called after each feed with its outcome and the number of feeds to poll, in the
            calling thread.

    Returns:
        Per-feed outcomes; a failed feed never stops the others.
    """
    feeds = [f for f in config.feeds if not only or f.name in only]
    requests, skipped = due_requests(engine, feeds, force)
    with Session(engine) as session:
        horizon = prune_horizon(session)
    summary = PollSummary(skipped=skipped)
    limits = limits_for(config)
    by_name = config.by_name()

    def wants(entry: EntryRecord) -> bool:
        return wants_page(entry, by_name[entry.feed], quick_relevance)

    async def run() -> None:
        client = make_client(limits)
        try:
            await poll_feeds(client)
            # pages of this run's new articles, and of any a killed run left pending
            summary.pages = await fetch_pending_pages(engine, client, limits, config.settings.host_delay)
        finally:
            await client.aclose()

    async def poll_feeds(client: httpx.AsyncClient) -> None:
        books = Bookkeeper(engine, config.settings.backoff_max)
        loop = asyncio.get_running_loop()
        # Parsing and storing run in a thread of their own, so the event loop keeps the other requests
        # going meanwhile (they mostly wait on the network). One thread: one writer, writes in order.
        # A 304 or an error only joins the bookkeeping batch, written by that thread every 100 feeds.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="avtomon-store") as store:
            try:
                async for result in fetch_many(requests, limits, client):
                    if result.status == "ok":
                        report(await loop.run_in_executor(store, store_feed, result))
                    else:
                        report(books.add(result))
                        if books.full:
                            await loop.run_in_executor(store, books.flush)
            finally:
                await loop.run_in_executor(store, books.flush)

    def store_feed(result: FetchResult) -> FeedOutcome:
        try:
            return _store_one(engine, result, config.settings.backoff_max, wants, horizon)
        except Exception as exc:  # a store error on one feed is reported, the others go on
            log.exception("storing feed %s failed", result.feed)
            return FeedOutcome(result.feed, "error", result.http_status, 0, 0, f"store failed: {exc}")

    def report(outcome: FeedOutcome) -> None:
        summary.outcomes.append(outcome)
        level = logging.WARNING if outcome.status == "error" else logging.INFO
        log.log(level, "feed %s: %s http=%s seen=%d new=%d%s", outcome.feed, outcome.status,
                outcome.http_status, outcome.items_seen, outcome.items_new,
                f" error={outcome.error}" if outcome.error else "",
                extra={"feed": outcome.feed, "status": outcome.status, "http_status": outcome.http_status,
                       "items_seen": outcome.items_seen, "items_new": outcome.items_new})
        if on_progress:
            on_progress(outcome, len(requests))

    asyncio.run(run())
    return summary
