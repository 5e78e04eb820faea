"""Open the store: engine set-up per backend and automatic Alembic migration."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from avtomon.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS = Path(__file__).parent / "alembic"
# The newest migration. Checked against the alembic_version table with one query, so the common case
# (an up-to-date store) never imports Alembic; a test keeps it equal to the scripts' head.
SCHEMA_HEAD = "0017"
# Every PostgreSQL session: no JIT (it compiles any statement its planner thinks costly, in about half a
# second: longer than most whole queries here; a day-by-day trend at 1M articles spent 0.59 s of 0.61 in
# it), and random_page_cost 1.1 (the default 4 is for spinning disks): an index lookup per article of a
# period's few thousand is then rightly cheaper than a scan of every mention
PG_OPTIONS = "-c jit=off -c random_page_cost=1.1"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers (queries, exports, backups) run while ingest writes; busy_timeout makes a
    # second writer wait instead of failing at once with "database is locked".
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
    _sqlite_functions(dbapi_conn)


def _sqlite_readonly_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # a read-only connection may not switch the journal mode; query_only also refuses writes through
    # any statement, in case a bug tried one
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=1")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
    _sqlite_functions(dbapi_conn)


def _sqlite_functions(dbapi_conn) -> None:  # type: ignore[no-untyped-def]
    # SQLite's lower() folds ASCII only; queries compare Russian text case-insensitively.
    dbapi_conn.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """Slices of `items` small enough for an IN (...) list under SQLite's bound-parameter limit."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def conflict_insert(dialect: str) -> Callable[..., Any]:
    """The backend's INSERT construct, which has on_conflict_do_nothing.

    Imported on use: the PostgreSQL dialect package costs start-up time on SQLite stores.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def make_engine(url: str) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL (``postgresql://`` means psycopg 3)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"{url!r} is not a database URL (use sqlite:///avtomon.db or postgresql+psycopg://user@host/db)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.is_dir():
                raise StoreError(f"{url}: folder {folder} does not exist; create it or choose another --db")
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername.startswith("postgresql"):
        return create_engine(parsed, pool_pre_ping=True, connect_args={"options": PG_OPTIONS})
    raise StoreError(f"{url}: unsupported database (use sqlite:///FILE or postgresql+psycopg://…)")


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs our packaged migrations on `engine`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def _is_current(engine: Engine) -> bool:
    """One cheap query: is the store at SCHEMA_HEAD? (False for a new, empty database.)"""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
        except DBAPIError as exc:
            if "alembic_version" not in str(exc.orig):  # a damaged file or a lost server is no "new store"
                raise
            conn.rollback()
            return False


_DAMAGED = ("file is not a database", "database disk image is malformed", "malformed database schema")


def problem_of(exc: DBAPIError) -> tuple[str, str]:
    """(kind, first line of the reason) of a database error; kind is damaged, full, read-only or other."""
    reason = (str(exc.orig) if exc.orig else str(exc)).strip().splitlines()[0]
    low = reason.lower()
    if any(s in low for s in _DAMAGED):
        return "damaged", reason
    if any(s in low for s in ("database or disk is full", "no space left on device", "could not extend file")):
        return "full", reason
    if any(s in low for s in ("readonly database", "read-only", "permission denied", "unable to open database")):
        return "read-only", reason
    if "connection refused" in low or "could not translate host" in low or "authentication failed" in low or (
            "database" in low and "does not exist" in low) or ("connection to server" in low and "failed" in low):
        return "unreachable", reason
    return "other", reason


HINTS = {
    "damaged": "the file is damaged: restore your latest backup (avtomon db backup), or rescue what is readable "
               "with: sqlite3 FILE .recover | sqlite3 NEW.db",
    "full": "the disk is full: free some space and run again; every batch stored before is kept",
    "read-only": "the file, its folder or its -wal/-shm files are read-only for this user: fix the permissions",
    "unreachable": "is the server running, and are the host, user and database in --db / AVTOMON_DB right?",
    "other": "check --db / AVTOMON_DB",
}


ALWAYS_CHECK_BYTES = 256 * 1024 * 1024  # up to here a check costs about a second; bigger files are checked daily
CHECKED_AT = "integrity_checked_at"  # store_state key: the last good check of a big file


def check_integrity(engine: Engine, when_due: bool = False) -> None:
    """Raise StoreError when a SQLite file is damaged (PRAGMA quick_check: reads every page once).

    Run by ingest before it writes (`when_due`: a file over ALWAYS_CHECK_BYTES only once a day, the read
    costs ~5 s per GB) and by `avtomon db check`; queries rely on SQLite's own checks of the pages they read.
    """
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from avtomon.models import StoreState

    now = datetime.now(UTC).replace(tzinfo=None)
    big = Path(engine.url.database).stat().st_size > ALWAYS_CHECK_BYTES
    if when_due and big:
        with Session(engine) as s:
            last = s.get(StoreState, CHECKED_AT)
        if last and datetime.fromisoformat(last.value) > now - timedelta(days=1):
            return
    _quick_check(engine)
    if big:
        with Session(engine) as s, s.begin():
            s.merge(StoreState(key=CHECKED_AT, value=now.isoformat(sep=" ")))


def _quick_check(engine: Engine) -> None:
    with engine.connect() as conn:
        found = [" ".join(row[0].split()) for row in conn.exec_driver_sql("PRAGMA quick_check(3)")]
    if found != ["ok"]:
        problems = "; ".join(p for p in found if not p.startswith("***"))
        raise StoreError(f"the store {engine.url.database} failed its integrity check ({problems}): "
                         f"{HINTS['damaged']}")


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the schema to the newest migration; returns (before, after) revisions."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, current_revision(engine)


MIGRATE_WAIT = 600.0  # seconds a command waits for another process's migration of the same store


def _upgrade_once(engine: Engine, shown: str) -> None:
    """Upgrade, one process at a time: a query started while ingest migrates waits, then finds it done."""
    from avtomon.pipeline.lock import store_lock

    with store_lock(engine, "migrate", wait=MIGRATE_WAIT):
        if not _is_current(engine):
            log.info("upgrading store schema at %s", shown)
            upgrade(engine)


def _cannot_open(shown: str, exc: DBAPIError) -> StoreError:
    kind, reason = problem_of(exc)
    return StoreError(f"cannot open the store {shown}: {reason} ({HINTS[kind]})")


def open_store(url: str, migrate: bool = True, create: bool = True) -> Engine:
    """Open the store, creating or upgrading the schema when needed.

    Args:
        url: SQLAlchemy URL (``sqlite:///avtomon.db``, ``postgresql+psycopg://…``).
        migrate: upgrade an out-of-date schema automatically.
        create: a missing SQLite file or an empty database may become a new store; without it
            (commands that only read) they are an error naming the store.

    Returns:
        A ready engine.

    Raises:
        StoreError: the database cannot be reached, is damaged, missing (without `create`) or cannot be
            migrated.
    """
    engine = make_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not create and path and path != ":memory:" and not Path(path).expanduser().exists():
        raise StoreError(f"{path}: no such store (check --db / AVTOMON_DB; `avtomon ingest` creates a new one)")
    try:
        if migrate and not _is_current(engine):
            if not create and current_revision(engine) is None:
                raise StoreError(f"{shown}: no avtomon store in this database (check --db / AVTOMON_DB; "
                                 f"`avtomon db upgrade` or `avtomon ingest` creates one)")
            _upgrade_once(engine, shown)
    except DBAPIError as exc:
        raise _cannot_open(shown, exc) from None
    return engine


READ_TIMEOUT_MS = 30_000  # a read-only PostgreSQL statement running longer is cancelled (a page, not a job)


def open_readonly(url: str) -> Engine:
    """Open an existing store for reading only (the web view): a SQLite file through a read-only URI
    (mode=ro, query_only), PostgreSQL with every transaction read-only and a statement timeout.

    Raises:
        StoreError: no such store, it cannot be reached, or its schema is not the newest (the view never
            migrates: `avtomon db upgrade` does).
    """
    engine = make_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name == "sqlite":
        name = engine.url.database
        if not name or name == ":memory:" or not Path(name).expanduser().is_file():
            raise StoreError(f"{name}: no such store (check --db / AVTOMON_DB; `avtomon ingest` creates one)")
        path = quote(str(Path(name).expanduser().resolve()))
        engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_readonly_pragmas)
    else:
        options = f"{PG_OPTIONS} -c default_transaction_read_only=on -c statement_timeout={READ_TIMEOUT_MS}"
        engine = create_engine(engine.url, pool_pre_ping=True, connect_args={"options": options})
    try:
        current = _is_current(engine)
    except DBAPIError as exc:
        raise _cannot_open(shown, exc) from None
    if not current:
        raise StoreError(f"{shown}: not an avtomon store of the current version (run `avtomon db upgrade` "
                         f"once; the web view only reads)")
    return engine
