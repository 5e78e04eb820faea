"""Shared pieces of the CLI: global context, exit codes, error conversion."""

from __future__ import annotations

from dataclasses import dataclass

import click

from avtomon.errors import AvtomonError, ConfigError

EXIT_PARTIAL = 1
EXIT_USAGE = 2


class ConfigProblem(click.ClickException):
    """A configuration error: exit status 2 like a usage error."""

    exit_code = EXIT_USAGE


@dataclass
class Context:
    """Global options shared by all commands."""

    db: str
    feeds: str
    quiet: bool

    def engine(self):  # type: ignore[no-untyped-def]
        from avtomon.db import open_store

        try:
            return open_store(self.db)
        except AvtomonError as exc:
            raise click.ClickException(str(exc)) from None

    def config(self):  # type: ignore[no-untyped-def]
        from avtomon.pipeline.config import load_feeds

        try:
            return load_feeds(self.feeds)
        except ConfigError as exc:
            raise ConfigProblem(str(exc)) from None


pass_ctx = click.make_pass_decorator(Context)
