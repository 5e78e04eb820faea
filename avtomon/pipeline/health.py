"""Feed health: stored state per feed, and a live check that stores nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from avtomon.models import Article, Feed
from avtomon.pipeline.config import FeedsConfig
from avtomon.pipeline.schedule import SKIP_REASONS, skip_reason


@dataclass(frozen=True)
class FeedStatus:
    """One row of `avtomon feeds`."""

    name: str
    enabled: bool
    url: str
    last_success_at: datetime | None
    last_error: str | None
    failures: int
    next_poll_at: datetime | None
    articles: int
    state: str  # due, never polled, or why the next run skips it (schedule.SKIP_REASONS)


@dataclass(frozen=True)
class CheckResult:
    """One row of `avtomon feeds check`."""

    feed: str
    status: str
    http_status: int | None
    entries: int
    newest: datetime | None
    error: str | None


def feed_status(engine: Engine, config: FeedsConfig) -> list[FeedStatus]:
    """Every configured feed with its stored health (feeds never polled show empty state)."""
    with Session(engine) as session:
        rows = {f.name: f for f in session.scalars(select(Feed))}
        counts = {feed: n for feed, n in session.execute(select(Article.feed, func.count()).group_by(Article.feed))}
    now = datetime.now(UTC).replace(tzinfo=None)
    out = []
    for cfg in config.feeds:
        row = rows.get(cfg.name)
        reason = skip_reason(row, cfg, now)
        state = SKIP_REASONS[reason] if reason else ("due" if row and row.last_polled_at else "never polled")
        out.append(FeedStatus(
            name=cfg.name, enabled=cfg.enabled, url=row.url if row else cfg.url,
            last_success_at=row.last_success_at if row else None, last_error=row.last_error if row else None,
            failures=row.failures if row else 0, next_poll_at=row.next_poll_at if row else None,
            articles=counts.get(cfg.name, 0), state=state))
    return out


def check_feeds(config: FeedsConfig, only: list[str] | None = None) -> list[CheckResult]:
    """Fetch and parse every (enabled or named) feed now, unconditionally; store nothing."""
    # here, not at the top: `avtomon feeds` must start fast and needs neither httpx nor feedparser
    from avtomon.pipeline.fetch import FetchRequest, fetch_all
    from avtomon.pipeline.run import limits_for, parse_result

    feeds = [f for f in config.feeds if (f.name in only if only else f.enabled)]
    results = fetch_all([FetchRequest(f.name, f.url) for f in feeds], limits_for(config))
    out = []
    for res in results:
        parsed = parse_result(res)
        newest = max((e.published_at for e in parsed.entries if not e.published_guessed), default=None)
        failed = res.status == "error" or parsed.error is not None
        error = res.error if res.status == "error" else (parsed.error or parsed.note or res.error)
        out.append(CheckResult(res.feed, "error" if failed else res.status, res.http_status, len(parsed.entries),
                               newest, error))
    order = {f.name: i for i, f in enumerate(feeds)}
    return sorted(out, key=lambda r: order[r.feed])
