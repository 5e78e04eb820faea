"""Shared pieces of the CLI: global context, exit codes, and the conversion of failures into one line.

Exit status (docs/operations.md lists them; the systemd unit in the README relies on them):
0 success, 1 some feeds or articles failed (the rest stored), 2 usage or configuration error (bad
option, feeds.yaml, --db, a store that cannot be opened), 3 another run holds the lock, 4 every feed
failed or none could be polled, 5 the store failed during the run (connection lost, disk full),
70 an internal error (a bug: the trace is printed), 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import errno
import logging
import signal
import traceback
from dataclasses import dataclass
from typing import Any

import click

from avtomon.errors import AvtomonError, ConfigError, WorkerError

EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3  # another run holds the store's lock: nothing was done
EXIT_NOTHING = 4  # every feed failed, or none could be polled
EXIT_STORE = 5  # the store failed during the run
EXIT_BUG = 70  # sysexits' EX_SOFTWARE: never 1, which a cron job or a systemd unit reads as "some feeds failed"
EXIT_SIGINT = 130
EXIT_SIGTERM = 143

log = logging.getLogger("avtomon.cli")


class Locked(click.ClickException):
    """An overlapping run: exit at once with its own status."""

    exit_code = EXIT_LOCKED


class ConfigProblem(click.ClickException):
    """A configuration error: exit status 2 like a usage error."""

    exit_code = EXIT_USAGE


class Failure(click.ClickException):
    """An expected failure, told in one line, with its exit status."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like KeyboardInterrupt, so transactions roll back and locks are released."""


def raise_on_sigterm() -> None:
    """Turn SIGTERM into Terminated in the main thread (cron's and systemd's way to stop a run)."""

    def handler(_signum: int, _frame: Any) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, handler)


def explain(exc: BaseException, db: str, opened: bool = False) -> Failure | None:
    """One line saying what went wrong and what to do, for the failures a user meets; None for bugs.
    `opened`: the store had been opened, so a server that cannot be reached now was lost mid-run."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, KeyboardInterrupt | click.Abort):
        return Failure("interrupted: what was stored so far is kept; the next run goes on from there", EXIT_SIGINT)
    if isinstance(exc, Terminated):
        return Failure("terminated (SIGTERM): what was stored so far is kept; the next run goes on from there",
                       EXIT_SIGTERM)
    if isinstance(exc, OSError):
        reason = (exc.strerror or str(exc)).lower()
        where = f" ({exc.filename})" if exc.filename else ""
        if exc.errno == errno.ENOSPC:
            return Failure(f"disk full{where}: free some space and run again; nothing stored before is lost",
                           EXIT_STORE)
        if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            return Failure(f"cannot write{where}: {reason}; fix the permissions or choose another path",
                           EXIT_USAGE)
        return None
    if isinstance(exc, WorkerError):
        return Failure(str(exc), EXIT_STORE)
    if isinstance(exc, AvtomonError):  # e.g. a store that fails its integrity check
        return Failure(str(exc), EXIT_USAGE)
    if not isinstance(exc, DBAPIError):
        return None
    from avtomon.db import HINTS, problem_of

    kind, reason = problem_of(exc)
    store = _safe_url(db)
    if kind == "unreachable" and opened:
        kind = "lost"
    if kind not in ("other", "lost"):  # damaged, read-only, unreachable: the set-up, not the run, needs fixing
        code = EXIT_STORE if kind == "full" else EXIT_USAGE
        return Failure(f"the store {store} failed: {reason} ({HINTS[kind]})", code)
    if isinstance(exc, OperationalError) or kind == "lost":
        return Failure(f"lost the store {store} during the run ({reason}): what was stored before is kept; "
                       f"run again when the database is back", EXIT_STORE)
    return Failure(f"the store {store} refused a query ({reason}); run with -v for the details", EXIT_STORE)


def _safe_url(db: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(db).render_as_string(hide_password=True)
    except Exception:
        return db


class Group(click.Group):
    """The top command: expected failures end as one line and an exit status, never a traceback
    (the trace is logged, and shown with -v)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except BrokenPipeError:
            # the reader went away (`avtomon feeds | head -3`): what it wanted was printed. Point stdout at
            # /dev/null so that Python's own flush at exit does not fail a second time.
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0) from None
        except (Exception, KeyboardInterrupt, Terminated) as exc:
            obj = ctx.obj if isinstance(ctx.obj, Context) else None
            failure = explain(exc, obj.db if obj else "", opened=bool(obj and obj._engine is not None))
            if failure is None:  # a bug: its trace is what a report needs
                traceback.print_exc()
                failure = Failure(f"internal error ({type(exc).__name__}); the trace above says where — please "
                                  f"report it with the command line", EXIT_BUG)
            log.debug("failure", exc_info=True)
            if obj and obj.verbose:
                log.error("%s", failure.message, exc_info=exc)
            if obj and obj.on_failure:
                obj.on_failure()
            raise failure from None


@dataclass
class Context:
    """Global options shared by all commands."""

    db: str
    feeds: str
    quiet: bool
    verbose: int = 0
    watches: str | None = None  # watches.yaml: given, or beside the feeds file when there is one
    _engine: Any = None
    on_failure: Any = None  # prints what a run did before it failed (the summary line)

    def watches_config(self, required: bool = False):  # type: ignore[no-untyped-def]
        """The checked watches file, or None when there is none (ConfigProblem when it is wrong)."""
        from pathlib import Path

        from avtomon.alerts.config import load_watches

        if self.watches is None:
            if required:
                raise ConfigProblem("no watches file: pass --watches FILE, set AVTOMON_WATCHES, or put "
                                    "watches.yaml beside the feeds file (see docs/alerts.md)")
            return None
        try:
            return load_watches(Path(self.watches))
        except AvtomonError as exc:
            raise ConfigProblem(str(exc)) from None

    def engine(self, create: bool = False):  # type: ignore[no-untyped-def]
        """The store, opened (and migrated) once per command. Only commands that write (`create`) may
        make a new store: a mistyped --db for a query is an error, not a new empty file."""
        from avtomon.db import open_store

        if self._engine is None:
            try:
                self._engine = open_store(self.db, create=create)
            except AvtomonError as exc:
                raise ConfigProblem(str(exc)) from None
            # close the pool when the command ends (it matters when the CLI runs inside a longer process)
            current = click.get_current_context(silent=True)
            if current is not None:
                current.find_root().call_on_close(self._engine.dispose)
        return self._engine

    def config(self):  # type: ignore[no-untyped-def]
        from avtomon.pipeline.config import load_feeds

        try:
            return load_feeds(self.feeds)
        except ConfigError as exc:
            raise ConfigProblem(str(exc)) from None


pass_ctx = click.make_pass_decorator(Context)
