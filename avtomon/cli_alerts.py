"""`avtomon alerts` (raise and send now, or the channels' health) and `avtomon digest`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from avtomon.cli_common import Context, Failure, pass_ctx
from avtomon.errors import AvtomonError

if TYPE_CHECKING:
    from avtomon.alerts import AlertRun
    from avtomon.alerts.config import WatchesConfig
    from avtomon.alerts.digest import Section


@click.command()
@click.option("--status", is_flag=True, help="Only show each channel's deliveries: sent, waiting, last error.")
@pass_ctx
def alerts(ctx: Context, status: bool) -> None:
    """Send the watches' alerts now (ingest does it after each run), or show the channels' health.

    \b
    Example:
      avtomon alerts
      avtomon alerts --status
    """
    if status:
        from avtomon.alerts.delivery import health
        from avtomon.output import print_table

        rows = health(ctx.engine())
        print_table(["channel", "sent", "waiting", "tries", "last_sent", "last_error"], rows, title="Alert channels")
        if any(r[2] for r in rows):
            sys.exit(1)  # something waits: a monitoring check sees it
        return
    from avtomon.cli import ingest_lock

    config = ctx.watches_config(required=True)
    with ingest_lock(ctx):
        result = send_alerts(ctx, config)
    click.echo(result.line())
    if result.delivered.waiting:
        sys.exit(1)


def send_alerts(ctx: Context, config: WatchesConfig) -> AlertRun:
    """Raise and send the watches' alerts (the caller holds the ingest lock); a watch that could not run
    is said on stderr, the others run."""
    from avtomon.alerts import run as run_alerts

    result = run_alerts(ctx.engine(create=True), config)
    for problem in result.raised.problems:
        click.echo(f"  {problem}", err=True)
    return result


@click.command()
@click.option("--since", default="1d", show_default=True, help="Stories first seen since (1d, 7d, 2026-03-01).")
@click.option("--until", help="… and up to this date.")
@click.option("--watch", "names", multiple=True, help="Only this watch (repeatable); default: every watch.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE.md, FILE.html or FILE.xlsx (default: Markdown on stdout).")
@click.option("--email", "channel", help="Also send the digest (HTML and text) through this email channel.")
@pass_ctx
def digest(ctx: Context, since: str, until: str | None, names: tuple[str, ...], out: Path | None,
           channel: str | None) -> None:
    """The stories of a period grouped by watch, with companies, events and links.

    \b
    Example:
      avtomon digest --since 1d --out digest.html
      avtomon digest --since 7d --watch КАМАЗ --out week.xlsx
      avtomon digest --since 1d --email analysts     # from cron, every morning
    """
    from avtomon.alerts import digest as make
    from avtomon.pipeline.filters import parse_when

    try:
        start = parse_when(since, tz="UTC")
        end = parse_when(until, end=True, tz="UTC") if until else None
    except AvtomonError as exc:
        raise click.UsageError(str(exc)) from None
    config = ctx.watches_config(required=bool(names or channel))
    watches = list(config.watches) if config else []
    if names:
        unknown = [n for n in names if n not in {w.name for w in watches}]
        if unknown:
            raise click.UsageError(f"--watch {unknown[0]!r}: no such watch (known: "
                                   f"{', '.join(w.name for w in watches)})")
        watches = [w for w in watches if w.name in names]
    try:
        sections = make.build(ctx.engine(), watches, start, end)
    except AvtomonError as exc:
        raise click.UsageError(str(exc)) from None
    stories = sum(len(s.stories) for s in sections)
    if out is None:
        click.echo(make.markdown(sections, start))
    elif out.suffix.lower() == ".xlsx":
        make.xlsx(sections, out)
    elif out.suffix.lower() in (".html", ".htm"):
        out.write_text(make.html(sections, start), encoding="utf-8")
    elif out.suffix.lower() == ".md":
        out.write_text(make.markdown(sections, start), encoding="utf-8")
    else:
        raise click.UsageError(f"--out {out}: name it .md, .html or .xlsx")
    if out is not None:
        click.echo(f"{out}: {stories} stories in {len(sections)} sections")
    if channel:
        _email(config, channel, sections, start)


def _email(config: WatchesConfig | None, name: str, sections: list[Section], start: datetime) -> None:
    from avtomon.alerts import digest as make
    from avtomon.alerts.channels import SendError, send_mail

    found = config.channels.get(name) if config else None
    if found is None or found.type != "email":
        raise click.UsageError(f"--email {name!r}: no email channel by that name in the watches file")
    try:
        send_mail(found, f"[avtomon] сюжеты с {start:%Y-%m-%d}", make.markdown(sections, start),
                  make.html(sections, start))
    except SendError as exc:
        raise Failure(f"digest not sent: {exc}; the digest itself is fine (rerun with --out to keep it)", 1) from None
    click.echo(f"digest sent to {', '.join(found.options['to'])}")
