"""Logging set-up for people and for machines: plain or JSON lines, to stderr or a rotating file."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from pathlib import Path

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


class BriefFormatter(logging.Formatter):
    """Terminal lines without tracebacks: the command says what failed; -v shows the trace."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def setup_logging(level: int, log_file: str | None = None, fmt: str = "plain") -> None:
    """Configure the root logger once per process.

    Args:
        level: the level for stderr; below INFO (-v) lines carry their tracebacks.
        log_file: also write to this file (its folder is created), rotated at 10 MiB, 5 files kept; it
            gets INFO lines whatever `level` is.
        fmt: "plain" or "json".

    Raises:
        OSError: the log file cannot be created.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    formatter: logging.Formatter = JsonFormatter() if fmt == "json" else logging.Formatter(PLAIN)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter if level <= logging.INFO else BriefFormatter())
    stderr.setLevel(level)
    root.addHandler(stderr)
    if log_file:
        Path(log_file).expanduser().parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS,
                                                       encoding="utf-8")
        handler.setFormatter(formatter)
        handler.setLevel(min(level, logging.INFO))  # the file keeps the per-feed lines even when stderr is quiet
        root.addHandler(handler)
    root.setLevel(min(level, logging.INFO) if log_file else level)
    # third-party chatter ("Loading dictionaries from …") stays out of the file and the terminal
    for noisy in ("httpx", "httpcore", "aiohttp", "werkzeug", "alembic", "pymorphy3", "pymorphy2", "natasha"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
