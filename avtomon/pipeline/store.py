"""Write poll results to the store: feed state, poll_runs rows and new articles."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from avtomon import settings as defaults
from avtomon.db import conflict_insert
from avtomon.models import Article, Feed, PollRun, StoreState
from avtomon.pipeline.config import FeedConfig
from avtomon.pipeline.dedup import dedup
from avtomon.pipeline.fetch import FetchResult
from avtomon.pipeline.parse import EntryRecord


def sync_feeds(session: Session, feeds: Sequence[FeedConfig]) -> dict[str, Feed]:
    """Create rows for new feeds; a URL edited in feeds.yaml replaces the stored one and its cache."""
    rows = {f.name: f for f in session.scalars(select(Feed).where(Feed.name.in_([c.name for c in feeds])))}
    for cfg in feeds:
        row = rows.get(cfg.name)
        if row is None:
            row = Feed(name=cfg.name, url=cfg.url, config_url=cfg.url, failures=0)
            session.add(row)
            rows[cfg.name] = row
        elif row.config_url != cfg.url:
            row.url, row.config_url = cfg.url, cfg.url
            row.etag = row.last_modified = row.next_poll_at = None
            row.failures = 0
        tags = ",".join(cfg.tags) or None
        if row.tags != tags:  # its own check: a tag edit must not hide a URL edit made at the same time
            row.tags = tags
    session.flush()
    return rows


def backoff_seconds(failures: int, maximum: float = defaults.BACKOFF_MAX) -> float:
    """No wait after the first failure (retry next run), then base·2^(n-2) up to `maximum`."""
    if failures <= 1:
        return 0.0
    return min(defaults.BACKOFF_BASE * 2 ** (failures - 2), maximum)


def _insert_articles(session: Session, entries: Sequence[EntryRecord],
                     wants_page: Callable[[EntryRecord], bool] | None = None) -> int:
    """Insert entries, skipping any URL another process stored meanwhile; returns rows inserted."""
    if not entries:
        return 0
    insert = conflict_insert(session.get_bind().dialect.name)
    rows = [dict(url=e.url, guid=e.guid, feed=e.feed, title=e.title, text=e.text, published_at=e.published_at,
                 published_guessed=e.published_guessed, fetched_at=e.fetched_at, content_hash=e.content_hash,
                 text_source="feed", extract_status="pending",
                 page_status="pending" if wants_page and wants_page(e) else None) for e in entries]
    stmt = insert(Article).on_conflict_do_nothing(index_elements=["url"]).returning(Article.id)
    return len(session.execute(stmt, rows).all())


PRUNED_BEFORE = "pruned_before"  # store_state key: `avtomon prune` deleted articles published before this


def prune_horizon(session: Session) -> datetime | None:
    """The newest cutoff `avtomon prune` has applied, if any."""
    value = session.scalar(select(StoreState.value).where(StoreState.key == PRUNED_BEFORE))
    return datetime.fromisoformat(value) if value else None


def store_entries(session: Session, entries: Sequence[EntryRecord],
                  wants_page: Callable[[EntryRecord], bool] | None = None, horizon: datetime | None = None) -> int:
    """Deduplicate and insert; returns how many articles are new.

    `wants_page` marks new articles whose full text is to be fetched from their page. Entries dated
    before `horizon` (the prune cutoff) are not stored: a feed that still carries an article pruned
    a month ago must not bring it back.
    """
    if horizon is not None:
        entries = [e for e in entries if e.published_guessed or e.published_at >= horizon]
    return _insert_articles(session, dedup(session, entries), wants_page)


def record_result(session: Session, row: Feed, result: FetchResult, items_seen: int, items_new: int,
                  fatal: str | None, note: str | None, backoff_max: float) -> PollRun:
    """Update the feed's cache and health and add its poll_runs row.

    `fatal` is a parse failure that makes the whole answer useless (an HTML page); `note` is a
    problem that still let us read entries (malformed XML, body cut at the cap).
    """
    now = result.fetched_at
    row.last_polled_at = now
    failed = result.status == "error" or fatal is not None
    error = result.error if result.status == "error" else (fatal or "; ".join(
        x for x in (result.error, note) if x) or None)
    if failed:
        row.failures = (row.failures or 0) + 1
        row.last_error = error
        wait = max(backoff_seconds(row.failures, backoff_max), result.retry_after or 0.0)
        row.next_poll_at = now + timedelta(seconds=wait) if wait else None
    else:
        row.failures = 0
        row.last_error = error  # a note such as "body cut off" or malformed XML, or None
        row.last_success_at = now
        row.next_poll_at = None
        if result.status == "ok":
            row.etag, row.last_modified = result.etag, result.last_modified
        if result.final_url:
            row.url = result.final_url
    status = "error" if failed else result.status
    run = PollRun(feed=row.name, started_at=result.started_at, status=status, http_status=result.http_status,
                  items_seen=items_seen, items_new=items_new, error=error,
                  duration_ms=result.duration_ms)
    session.add(run)
    return run

