"""One ingest at a time per store: a file lock beside a SQLite file, an advisory lock on PostgreSQL.

Both kinds die with the process that holds them (flock is released by the kernel, an advisory lock
with its connection), so a run killed with SIGKILL never blocks the next one.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from avtomon.errors import AvtomonError

log = logging.getLogger(__name__)


class LockBusy(AvtomonError):
    """Another avtomon run holds the store's lock."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks."""
    return int.from_bytes(hashlib.sha256(f"avtomon:{name}".encode()).digest()[:8], "big", signed=True)


def pass_lock(session: Session, name: str, now: datetime) -> None:
    """One `name` pass at a time per store, until the session's transaction ends; call it first.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: this function's write (store_state
    `<name>_at` = now) is the transaction's first statement, so it takes the store's write lock; a read
    first would let two passes read one state and the second fail to write.
    """
    from avtomon.db import conflict_insert
    from avtomon.models import StoreState

    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(name)})
    stamp = now.isoformat(timespec="seconds")
    upsert = conflict_insert(dialect)(StoreState).values(key=f"{name}_at", value=stamp)
    session.execute(upsert.on_conflict_do_update(index_elements=["key"], set_={"value": stamp}))


def lock_path(engine: Engine, name: str = "ingest") -> Path | None:
    """Where the file lock of a SQLite store lives (None for PostgreSQL or in-memory SQLite)."""
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:":
        return None
    suffix = ".lock" if name == "ingest" else f".{name}.lock"  # each lock its own file
    return Path(db).expanduser().resolve().with_name(Path(db).name + suffix)


def _unlock(conn: Connection, name: str) -> None:
    """Release the advisory lock; when the connection is already gone, so is the lock, and the error
    that took it must not be hidden behind this one."""
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(name)})
    except DBAPIError:
        log.debug("releasing the lock failed (the connection is gone, and the lock with it)", exc_info=True)


@contextmanager
def store_lock(engine: Engine, name: str = "ingest", wait: float = 0.0) -> Iterator[None]:
    """Hold the store's `name` lock for the block; raise LockBusy when it is still held after `wait`
    seconds (at once by default)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            deadline = time.monotonic() + wait
            while not (got := conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                           {"k": advisory_key(name)}).scalar()) and time.monotonic() < deadline:
                time.sleep(0.2)
            if not got:
                raise LockBusy(f"another avtomon {name} is running on this database (PostgreSQL advisory lock "
                               f"held); this run stops without doing anything")
            try:
                yield
            finally:
                _unlock(conn, name)
        return
    path = lock_path(engine, name)
    if path is None:
        yield
        return
    from filelock import FileLock, Timeout

    lock = FileLock(str(path), timeout=wait)
    try:
        lock.acquire()
    except Timeout:
        raise LockBusy(f"another avtomon {name} is running on this store ({path} is locked); "
                       f"this run stops without doing anything") from None
    try:
        yield
    finally:
        lock.release()
