"""Logging set-up for people and for machines: plain or JSON lines, to stderr or a rotating file."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime

LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILE_BACKUPS = 5
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and exception text if any."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for key in ("feed", "status", "http_status", "items_seen", "items_new", "duration_ms"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: int, log_file: str | None = None, fmt: str = "plain") -> None:
    """Configure the root logger once per process.

    Args:
        level: the level for stderr (and the file).
        log_file: also write to this file, rotated at 10 MiB, 5 files kept.
        fmt: "plain" or "json".
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    formatter: logging.Formatter = JsonFormatter() if fmt == "json" else logging.Formatter(PLAIN)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter)
    stderr.setLevel(level)
    root.addHandler(stderr)
    if log_file:
        handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS,
                                                       encoding="utf-8")
        handler.setFormatter(formatter)
        handler.setLevel(min(level, logging.INFO))  # the file keeps the per-feed lines even when stderr is quiet
        root.addHandler(handler)
    root.setLevel(min(level, logging.INFO) if log_file else level)
    for noisy in ("httpx", "httpcore", "aiohttp", "werkzeug", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
