"""When a feed is polled: the reasons a run skips it. Kept apart from store.py so that `avtomon feeds`
can say them without importing the fetch and parse stages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from avtomon.models import Feed
    from avtomon.pipeline.config import FeedConfig

SKIP_REASONS = {"disabled": "disabled in feeds.yaml", "backoff": "waiting out a backoff after failures",
                "interval": "polled less than its interval ago"}


def skip_reason(row: Feed | None, cfg: FeedConfig, now: datetime) -> str | None:
    """Why a feed is not polled now (a key of SKIP_REASONS), or None when it is due."""
    if not cfg.enabled:
        return "disabled"
    if row is None:
        return None
    if row.next_poll_at and row.next_poll_at > now:
        return "backoff"
    # A small slack so a 15-minute interval polled by a 15-minute cron is not skipped by seconds.
    if cfg.interval and row.last_polled_at and row.last_polled_at + timedelta(seconds=cfg.interval * 0.95) > now:
        return "interval"
    return None
