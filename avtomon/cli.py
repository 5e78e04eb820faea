"""The `avtomon` command: a thin click layer over the library.

Each command parses arguments, calls one library function and turns library errors into
messages that say how to fix the problem. Exit statuses: see avtomon.cli_common.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from avtomon import settings
from avtomon.cli_common import (
    EXIT_NOTHING,
    EXIT_PARTIAL,
    ConfigProblem,
    Context,
    Group,
    Locked,
    pass_ctx,
    raise_on_sigterm,
)
from avtomon.errors import AvtomonError


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="AVTOMON_DB", default=settings.DEFAULT_DB_URL, show_default=True,
              help="Store URL: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB (env AVTOMON_DB).")
@click.option("--feeds", "feeds_file", envvar="AVTOMON_FEEDS", default=settings.DEFAULT_FEEDS_FILE,
              show_default=True, help="Feeds file (env AVTOMON_FEEDS).")
@click.option("-q", "--quiet", is_flag=True, help="Print only a one-line summary (for cron).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("--log-file", type=click.Path(dir_okay=False), envvar="AVTOMON_LOG_FILE",
              help="Also log to this file (rotated at 10 MiB, 5 kept; per-feed lines at INFO).")
@click.option("--log-format", type=click.Choice(["plain", "json"]), default="plain", show_default=True,
              help="Log line format.")
@click.option("--companies", "companies_file", type=click.Path(dir_okay=False),
              help="Your own companies.yaml: companies and aliases added to the shipped gazetteer (env "
                   "AVTOMON_COMPANIES; default: companies.yaml beside the feeds file, when there is one).")
@click.option("--watches", "watches_file", type=click.Path(dir_okay=False), envvar="AVTOMON_WATCHES",
              help="Watch-lists and alert channels (env AVTOMON_WATCHES; default: watches.yaml beside the feeds "
                   "file, when there is one). See docs/alerts.md.")
@click.version_option(package_name="avtomon")
@click.pass_context
def cli(ctx: click.Context, db: str, feeds_file: str, quiet: bool, verbose: int, log_file: str | None,
        log_format: str, companies_file: str | None, watches_file: str | None) -> None:
    """Monitor Russian auto-industry news: poll feeds, extract facts, query them.

    \b
    Example:
      avtomon ingest            # poll feeds.yaml into ./avtomon.db and extract facts
      avtomon feeds             # health of every feed
    """
    from avtomon.logs import setup_logging

    if watches_file is None and (Path(feeds_file).resolve().parent / "watches.yaml").is_file():
        watches_file = str(Path(feeds_file).resolve().parent / "watches.yaml")
    elif watches_file is not None and not Path(watches_file).is_file():
        raise ConfigProblem(f"--watches {watches_file}: no such file (see docs/alerts.md for its format)")
    ctx.obj = Context(db=db, feeds=feeds_file, quiet=quiet, verbose=verbose, watches=watches_file)
    # the terminal shows what the commands print; raw log lines go there only with -v (always to the file)
    level = logging.CRITICAL if quiet else (logging.ERROR if not verbose else logging.INFO - 10 * (verbose - 1))
    try:
        setup_logging(max(level, logging.DEBUG), log_file, log_format)
    except OSError as exc:
        raise ConfigProblem(f"--log-file {log_file}: cannot write there ({exc.strerror or exc}); choose a "
                            f"writable path") from None
    _use_companies_file(companies_file or os.environ.get("AVTOMON_COMPANIES"), feeds_file)


def _use_companies_file(given: str | None, feeds_file: str) -> None:
    """Point the extractors at the user's companies.yaml through $AVTOMON_COMPANIES (worker processes
    inherit it); a file named explicitly must exist."""
    if given:
        if not Path(given).is_file():
            raise ConfigProblem(f"--companies {given}: no such file (create it, see README «Your own companies»)")
        path = Path(given).resolve()
    else:
        path = Path(feeds_file).resolve().parent / "companies.yaml"
        if not path.is_file():
            return
    from avtomon.errors import ConfigError
    from avtomon.extractors.overlay import merge_overlay
    from avtomon.extractors.resources import load_yaml

    try:  # checked here, once: a mistake is a clear message with exit 2, not a failure of every article
        merge_overlay(load_yaml("companies.yaml"), path)
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    os.environ["AVTOMON_COMPANIES"] = str(path)


def _progress_printer(ctx: Context) -> tuple[Callable[[Any, int], None] | None, Callable[[], None]]:
    """A rich progress bar on a terminal; nothing when piped or quiet."""
    if ctx.quiet or not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("polling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), console=Console(stderr=True), transient=True)
    task: list[Any] = []

    def update(outcome: Any, total: int) -> None:
        if not task:
            progress.start()
            task.append(progress.add_task(outcome.feed, total=total))
        progress.update(task[0], advance=1, description=outcome.feed)

    return update, progress.stop


def _report_poll(ctx: Context, summary: Any) -> None:
    """Each failure once (the raw log lines go to the log file), then the summary line."""
    if not ctx.quiet:
        if summary.offline:
            first = min(summary.failed, key=lambda o: o.feed)  # the same example every run, not the fastest
            click.echo(f"  offline? all {len(summary.failed)} feeds failed to resolve their hosts ({first.feed}: "
                       f"{first.error}); check this machine's network and DNS, the feeds are tried again next run",
                       err=True)
        else:
            for o in sorted(summary.outcomes, key=lambda o: o.feed):
                if o.status == "error" or o.error:
                    mark = "FAIL" if o.status == "error" else "note"
                    click.echo(f"  {mark} {o.feed}: {o.error}", err=True)
        if summary.skipped and not summary.outcomes:
            click.echo(f"  nothing polled: {summary.skip_line()} (`avtomon feeds` shows each; --force polls "
                       f"them now)", err=True)
    click.echo(summary.line())


def _exit_status(summary: Any, extracted: Any = None) -> None:
    """Log the run's summary line and exit 4 when nothing could be polled, 1 when something failed."""
    line = summary.line() + (f"; {extracted.line()}" if extracted is not None else "")
    logging.getLogger("avtomon.run").info("run: %s", line)
    if summary.nothing_polled:
        sys.exit(EXIT_NOTHING)
    if summary.failed or (extracted is not None and extracted.failed):
        sys.exit(EXIT_PARTIAL)


def run_poll(ctx: Context, force: bool, only: tuple[str, ...]) -> Any:
    from avtomon.pipeline.run import poll

    config = ctx.config()
    names = {f.name for f in config.feeds}
    for name in only:
        if name not in names:
            raise ConfigProblem(f"--feed {name!r}: no such feed in {ctx.feeds}")
    engine = ctx.engine(create=True)
    update, stop = _progress_printer(ctx)
    try:
        summary = poll(engine, config, force=force, only=list(only) or None, on_progress=update)
    finally:
        stop()
    return summary


@contextmanager
def ingest_lock(ctx: Context) -> Iterator[None]:
    """Hold the store's ingest lock; an overlapping run exits at once with status 3."""
    from avtomon.pipeline.lock import LockBusy, store_lock

    try:
        with store_lock(ctx.engine(create=True)):
            yield
    except LockBusy as exc:
        raise Locked(str(exc)) from None


@cli.command()
@click.option("--force", is_flag=True, help="Also poll feeds waiting out a backoff or their interval.")
@click.option("--feed", "only", multiple=True, help="Poll only this feed (repeatable).")
@pass_ctx
def poll(ctx: Context, force: bool, only: tuple[str, ...]) -> None:
    """Fetch the feeds and store new articles (no extraction).

    \b
    Example:
      avtomon poll --feed Комтранс --force
    """
    with ingest_lock(ctx):
        summary = run_poll(ctx, force, only)
    _report_poll(ctx, summary)
    _exit_status(summary)


@cli.group(invoke_without_command=True)
@click.option("--failing", type=int, default=None, metavar="N",
              help="Only feeds that failed N or more times in a row.")
@click.pass_context
def feeds(click_ctx: click.Context, failing: int | None) -> None:
    """List feeds with their health: last success, last error, failures, next poll, articles.

    \b
    Example:
      avtomon feeds
      avtomon feeds --failing 3
      avtomon feeds check
    """
    if click_ctx.invoked_subcommand:
        return
    from avtomon.pipeline.health import feed_status

    ctx: Context = click_ctx.obj
    rows = feed_status(ctx.engine(), ctx.config())
    if failing is not None:
        rows = [r for r in rows if r.failures >= failing]
    from avtomon.output import print_table

    print_table(["feed", "state", "last success", "failures", "next poll", "articles", "last error"],
                [[r.name, r.state, _dt(r.last_success_at), r.failures, _dt(r.next_poll_at),
                  r.articles, r.last_error or ""] for r in rows], title="Feeds")
    _waiting_alerts(ctx)


def _waiting_alerts(ctx: Context) -> None:
    """Under the feeds' health, on stderr: alerts that a channel has not taken yet (`alerts --status`)."""
    from avtomon.alerts.delivery import health

    waiting = [(row[0], row[2], row[5]) for row in health(ctx.engine()) if row[2]]
    for channel, count, error in waiting:
        click.echo(f"  alerts waiting for channel {channel}: {count} ({error or 'not tried yet'}); "
                   f"`avtomon alerts --status` shows every channel", err=True)


def _dt(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


@feeds.command("check")
@click.option("--feed", "only", multiple=True, help="Check only this feed (repeatable).")
@pass_ctx
def feeds_check(ctx: Context, only: tuple[str, ...]) -> None:
    """Fetch every feed now and show status, HTTP code, entries and newest date; stores nothing.

    \b
    Example:
      avtomon feeds check --feed Автостат
    """
    from avtomon.output import print_table
    from avtomon.pipeline.health import check_feeds

    config = ctx.config()
    results = check_feeds(config, list(only) or None)
    print_table(["feed", "status", "http", "entries", "newest", "error"],
                [[r.feed, r.status, r.http_status or "", r.entries, _dt(r.newest), r.error or ""]
                 for r in results], title="Feed check")
    if any(r.status == "error" for r in results):
        sys.exit(EXIT_PARTIAL)


@cli.group()
def db() -> None:
    """Store maintenance: schema upgrade, statistics, backup, integrity check.

    \b
    Example:
      avtomon db upgrade
      avtomon db stats
      avtomon db backup /backups/avtomon-$(date +%F).db
      avtomon db check
    """


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Create or upgrade the store schema to the newest migration.

    \b
    Example:
      avtomon --db postgresql+psycopg://analyst@127.0.0.1/avtomon db upgrade
    """
    from avtomon.db import make_engine, upgrade

    try:
        before, after = upgrade(make_engine(ctx.db))
    except AvtomonError as exc:
        raise ConfigProblem(str(exc)) from None
    click.echo(f"schema at {after} (was {before or 'empty'})" if before != after else f"schema already at {after}")


@cli.command()
@click.option("--force", is_flag=True, help="Also poll feeds waiting out a backoff or their interval.")
@click.option("--feed", "only", multiple=True, help="Poll only this feed (repeatable).")
@click.option("--batch", default=32, show_default=True, help="Articles per extraction batch.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Extraction processes on this machine.")
@pass_ctx
def ingest(ctx: Context, force: bool, only: tuple[str, ...], batch: int, workers: int) -> None:
    """Poll the feeds, extract facts from new articles, group stories, send alerts: what cron runs.

    \b
    Example:
      avtomon --quiet ingest        # in crontab: */15 * * * *
    """
    from avtomon.cli_extract import run_extract
    from avtomon.db import check_integrity

    with ingest_lock(ctx):
        check_integrity(ctx.engine(create=True), when_due=True)  # a damaged file is told before anything is written
        summary = run_poll(ctx, force, only)
        if not ctx.quiet:
            _report_poll(ctx, summary)
        # if extraction fails, the run still says what the poll stored
        ctx.on_failure = lambda: click.echo(f"{summary.line()}; extraction failed" if ctx.quiet
                                            else "extraction failed")
        extracted = run_extract(ctx, batch, False, None, workers)
        ctx.on_failure = None
        alerted = _run_alerts(ctx)
    if ctx.quiet:
        click.echo(f"{summary.line()}; {extracted.line()}" + (f"; {alerted}" if alerted else ""))
    else:
        click.echo(extracted.line())
        if alerted:
            click.echo(alerted)
    _exit_status(summary, extracted)


def _run_alerts(ctx: Context) -> str | None:
    """After an ingest: raise and send the watches' alerts. A broken watches file or a channel that is
    down is said in the line; the ingest itself stands (exit status unchanged)."""
    if ctx.watches is None:
        return None
    from avtomon.cli_alerts import send_alerts

    try:
        config = ctx.watches_config()
    except ConfigProblem as exc:
        return f"alerts skipped: {exc.message}"
    return send_alerts(ctx, config).line()


from avtomon.cli_alerts import alerts, digest  # noqa: E402
from avtomon.cli_extract import analyze, evaluate, extract  # noqa: E402  (registered below)
from avtomon.cli_query import export, query, refetch  # noqa: E402
from avtomon.cli_serve import serve  # noqa: E402
from avtomon.cli_stories import stories  # noqa: E402

for _command in (extract, analyze, evaluate, query, export, refetch, serve, stories, alerts, digest):
    cli.add_command(_command)


@db.command("stats")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default=None,
              help="Output format (table on a terminal, csv when piped).")
@pass_ctx
def db_stats(ctx: Context, fmt: str | None) -> None:
    """Table sizes, articles per extraction status, the extraction backlog and the store size.

    \b
    Example:
      avtomon db stats
    """
    from avtomon.output import print_table
    from avtomon.pipeline.maintenance import stats

    print_table(["section", "item", "value"], stats(ctx.engine()), title="Store", fmt=fmt)


@db.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
@pass_ctx
def db_backup(ctx: Context, destination: str) -> None:
    """Copy a SQLite store with the online backup API; safe while ingest runs.

    \b
    Example:
      avtomon db backup /backups/avtomon-$(date +%F).db
    """
    from avtomon.db import make_engine
    from avtomon.pipeline.maintenance import backup

    try:
        if make_engine(ctx.db).dialect.name != "sqlite":
            raise AvtomonError("db backup copies SQLite stores; for PostgreSQL use pg_dump")
        size = backup(ctx.engine(), destination)
    except AvtomonError as exc:
        raise ConfigProblem(str(exc)) from None
    click.echo(f"{destination}: {size} bytes")


@db.command("rebuild-rollups")
@pass_ctx
def db_rebuild_rollups(ctx: Context) -> None:
    """Recount the per-day rollups that rankings and pairs read, from the stored facts.

    They are kept exact by extraction and prune; this is for a store edited by hand or restored in part.

    \b
    Example:
      avtomon db rebuild-rollups
    """
    from avtomon.pipeline.rollups import rebuild

    with ingest_lock(ctx):
        days = rebuild(ctx.engine())
    click.echo(f"rollups recounted for {days} days")


@db.command("check")
@pass_ctx
def db_check(ctx: Context) -> None:
    """Check a SQLite store's file for damage (every page is read once); PostgreSQL checks its own.

    \b
    Example:
      avtomon db check && avtomon db backup /backups/avtomon.db
    """
    from avtomon.db import check_integrity

    engine = ctx.engine()
    check_integrity(engine)
    click.echo(f"{engine.url.database if engine.dialect.name == 'sqlite' else 'PostgreSQL store'}: ok")


@cli.command()
@click.option("--older-than", "older_than", required=True, help="Age such as 365d, 12m, 2y, or a date.")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@pass_ctx
def prune(ctx: Context, older_than: str, dry_run: bool) -> None:
    """Delete old articles with their mentions and events (and old poll runs), in one transaction.

    \b
    Example:
      avtomon prune --older-than 365d --dry-run
    """
    from avtomon.pipeline.filters import FilterError, parse_when
    from avtomon.pipeline.maintenance import prune as run_prune

    try:
        cutoff = parse_when(older_than)
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None
    with ingest_lock(ctx):
        result = run_prune(ctx.engine(), cutoff, dry_run)
    click.echo(result.line())


def main() -> None:
    raise_on_sigterm()
    cli(prog_name="avtomon")
