"""Tunables in one place; callers (feeds.yaml `settings:`, CLI flags) override them."""

from __future__ import annotations

import os

from avtomon import __version__

DEFAULT_DB_URL = "sqlite:///avtomon.db"
DEFAULT_FEEDS_FILE = "feeds.yaml"

USER_AGENT = f"avtomon/{__version__} (+https://github.com/avtomon/avtomon; news monitor)"
CONCURRENCY = 16
TIMEOUT = 20.0  # seconds, read timeout
CONNECT_TIMEOUT = 10.0
MAX_BODY_BYTES = 15 * 1024 * 1024
MAX_REDIRECTS = 5
# Backoff after failures: BACKOFF_BASE * 2**(failures-1), capped.
BACKOFF_BASE = 15 * 60.0
BACKOFF_MAX = 24 * 3600.0
# Retry-After above this is treated as a misconfiguration and capped.
RETRY_AFTER_MAX = 24 * 3600.0
EXTRACT_BATCH = 32
HOST_DELAY = 1.0  # seconds between two article-page requests to one host


def db_url_from_env() -> str:
    """The store URL from $AVTOMON_DB, else the SQLite file in the current folder."""
    return os.environ.get("AVTOMON_DB") or DEFAULT_DB_URL


def feeds_file_from_env() -> str:
    """The feeds file from $AVTOMON_FEEDS, else feeds.yaml in the current folder."""
    return os.environ.get("AVTOMON_FEEDS") or DEFAULT_FEEDS_FILE
