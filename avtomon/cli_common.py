"""Shared pieces of the CLI: global context, exit codes, error conversion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

from avtomon.errors import AvtomonError, ConfigError

EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3  # another run holds the store's lock: nothing was done


class Locked(click.ClickException):
    """An overlapping run: exit at once with its own status."""

    exit_code = EXIT_LOCKED


class ConfigProblem(click.ClickException):
    """A configuration error: exit status 2 like a usage error."""

    exit_code = EXIT_USAGE


@dataclass
class Context:
    """Global options shared by all commands."""

    db: str
    feeds: str
    quiet: bool
    _engine: Any = None

    def engine(self):  # type: ignore[no-untyped-def]
        """The store, opened (and migrated) once per command."""
        from avtomon.db import open_store

        if self._engine is None:
            try:
                self._engine = open_store(self.db)
            except AvtomonError as exc:
                raise click.ClickException(str(exc)) from None
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
