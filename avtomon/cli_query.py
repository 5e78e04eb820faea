"""`avtomon query …` and `avtomon export`: the analyst's side of the CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from avtomon.cli_common import Context, pass_ctx
from avtomon.errors import AvtomonError

if TYPE_CHECKING:
    from avtomon.pipeline.filters import Filters

# the query commands' default row limits (a test keeps them equal to pipeline.query.DEFAULT_LIMITS)
DEFAULT_LIMITS = {"entities": 20, "events": 100, "articles": 50, "pairs": 50, "stories": 30}
# spelled out here so `--help` needs no import of the extractors (a test keeps it equal to events.TYPES)
EVENT_TYPES = ["launch", "investment", "suspension", "localization", "sales", "partnership", "model_launch", "deal",
               "output", "recall"]


def filter_options(func: Callable[..., Any], limit_help: str = "At most this many rows (default: all).") -> Callable[
        ..., Any]:
    """The filters every query and export accepts; a repeated filter means any of its values."""
    options = [
        click.option("--since", help="From this date (2026-01-31, midnight in --tz) or span back from now "
                                     "(7d, 2w, 3m, 1y)."),
        click.option("--until", help="Up to this date (inclusive) or span."),
        click.option("--company", multiple=True, help="Company key or name in any case form, Russian or Latin "
                                                      "(КАМАЗ, КАМАЗа, kamaz, Лады); repeat for any of several."),
        click.option("--region", multiple=True, help="ISO code (RU-TA) or a name in any case form (Татарстане, "
                                                     "Тольятти); repeatable."),
        click.option("--category", multiple=True, help="Category key (seats) or name; repeatable."),
        click.option("--event", multiple=True, type=click.Choice(EVENT_TYPES),
                     help="Only articles with this event type; repeatable."),
        click.option("--source", multiple=True, help="Feed name as in feeds.yaml; repeatable."),
        click.option("--text", "text", help="Words that must all appear in title or text, in any form "
                                            "(«тяговые батареи» finds «тяговых батарей»; ё = е)."),
        click.option("--tz", envvar="AVTOMON_TZ", default="Europe/Moscow", show_default=True,
                     help="Time zone of dates shown and of --since/--until days (env AVTOMON_TZ); the store "
                          "keeps UTC."),
        click.option("--limit", type=click.IntRange(min=1), help=limit_help),
        click.option("--all", "include_all", is_flag=True, help="Include articles marked not relevant."),
        click.option("--passing", is_flag=True,
                     help="Also count product categories an article names only in passing (by default an "
                          "article counts for the categories it is about)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_filters(since: str | None, until: str | None, include_all: bool, tz: str, **kw: Any) -> Filters:
    from avtomon.pipeline.filters import Filters, parse_when, zone

    try:
        zone(tz)
        return Filters(since=parse_when(since, tz=tz) if since else None,
                       until=parse_when(until, end=True, tz=tz) if until else None, include_irrelevant=include_all,
                       tz=tz, **kw)
    except AvtomonError as exc:
        raise click.UsageError(str(exc)) from None


def format_option(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--wide", is_flag=True, help="On a terminal, whole cells (wrapped) instead of cut with «…».")(
        func)
    return click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "jsonl"]), default=None,
                        help="Output format (table on a terminal, csv when piped).")(func)


def _run(ctx: Context, fmt: str | None, build: Callable[[Any, Any], Any], filters: Filters, title: str) -> None:
    from avtomon.output import print_table

    try:
        table = build(ctx.engine(), filters)
    except AvtomonError as exc:
        raise click.UsageError(str(exc)) from None
    wide = click.get_current_context().params.get("wide", False)
    print_table(table.headers, table.rows, title=f"{title} (dates in {filters.tz})", fmt=fmt, wide=wide)
    if table.cut:  # on stderr: CSV and JSON on stdout stay clean
        click.echo(f"(the first {len(table.rows)} rows; --limit N shows more)", err=True)


def limited(default: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """filter_options with the command's default limit in its help."""
    return lambda func: filter_options(func, f"At most this many rows (default {default}; the output says when "
                                             f"rows were left out).")


def _entity_command(name: str) -> click.Command:
    doc = f"""Top {name} by number of articles (or of stories), with mentions, first and last seen.

    \b
    Example:
      avtomon query {name} --since 30d --limit 10
      avtomon query {name} --since 7d --count stories
      avtomon query {name} --region Калининградская --format csv > {name}.csv
    """

    @click.command(name, help=doc)
    @limited(DEFAULT_LIMITS["entities"])
    @click.option("--count", "unit", type=click.Choice(["articles", "stories"]), default="articles",
                  show_default=True, help="Rank by articles, or by stories: five outlets' versions of one news "
                                          "count once.")
    @format_option
    @pass_ctx
    def command(ctx: Context, fmt: str | None, wide: bool, unit: str, **kw: Any) -> None:
        from avtomon.pipeline.query import KINDS, top_by_stories, top_entities

        rank = top_by_stories if unit == "stories" else top_entities
        _run(ctx, fmt, lambda engine, f: rank(engine, KINDS[name], f), make_filters(**kw), name.capitalize())

    return command


@click.group()
def query() -> None:
    """Ask the store: top entities, events, articles, trends, co-occurrence.

    \b
    Example:
      avtomon query events --company Автотор --region RU-KGD --since 30d
      avtomon query categories --event localization
    """


for _name in ("companies", "regions", "categories", "persons"):
    query.add_command(_entity_command(_name))


@query.command("events")
@limited(DEFAULT_LIMITS["events"])
@click.option("--per-story", is_flag=True, help="One row per story, type and company (five outlets reporting "
                                                 "one launch are one row), with the story's id.")
@format_option
@pass_ctx
def query_events(ctx: Context, fmt: str | None, wide: bool, per_story: bool, **kw: Any) -> None:
    """Events: date, source, company, type, region, categories, title, sentence, URL.

    \b
    Example:
      avtomon query events --company Автотор --since 1m
      avtomon query events --event suspension --per-story --format json
    """
    from avtomon.pipeline.query import events

    _run(ctx, fmt, lambda engine, f: events(engine, f, per_story), make_filters(**kw), "Events")


@query.command("articles")
@limited(DEFAULT_LIMITS["articles"])
@format_option
@pass_ctx
def query_articles(ctx: Context, fmt: str | None, wide: bool, **kw: Any) -> None:
    """Articles: date, source, title, URL, the entities found, a snippet.

    \b
    Example:
      avtomon query articles --text "тяговых батарей" --since 7d
    """
    from avtomon.pipeline.query import articles

    _run(ctx, fmt, articles, make_filters(**kw), "Articles")


@query.command("stories")
@limited(DEFAULT_LIMITS["stories"])
@click.option("--min-sources", type=click.IntRange(min=1), default=1, show_default=True,
              help="Only stories told by at least this many feeds (2: the news outlets repeat).")
@format_option
@pass_ctx
def query_stories(ctx: Context, fmt: str | None, wide: bool, min_sources: int, **kw: Any) -> None:
    """Stories (one news from several outlets): id, first seen, articles, sources, title, link, companies,
    events once per type and company; most articles first.

    \b
    Example:
      avtomon query stories --since 7d --min-sources 2
      avtomon query stories --company КАМАЗ --since 30d --format csv > kamaz-stories.csv
    """
    from avtomon.pipeline.query import stories

    _run(ctx, fmt, lambda engine, f: stories(engine, f, min_sources), make_filters(**kw), "Stories")


@query.command("trend")
@click.option("--by", type=click.Choice(["day", "week", "month"]), default="week", show_default=True,
              help="Period of each row: day, week (from Monday) or month (2026-02).")
@click.option("--compare", is_flag=True, help="One column per --company instead of their articles together.")
@filter_options
@format_option
@pass_ctx
def query_trend(ctx: Context, fmt: str | None, wide: bool, by: str, compare: bool, **kw: Any) -> None:
    """Articles per day, week or month for the filters, empty periods as zero.

    Articles whose feed gave no date are left out (their fetch time would pile up on one day).

    \b
    Example:
      avtomon query trend --company КАМАЗ --by month --since 1y
      avtomon query trend --company КАМАЗ --company ГАЗ --compare --by month --since 2026-01-01
    """
    from avtomon.pipeline.query import trend

    f = make_filters(**kw)
    _run(ctx, fmt, lambda engine, f: trend(engine, f, by, compare), f, f"Articles per {by}")


@query.command("pairs")
@click.option("--kind", type=click.Choice(["company-region", "company-category", "region-category"]),
              default="company-region", show_default=True, help="Which two kinds of entity to pair.")
@limited(DEFAULT_LIMITS["pairs"])
@format_option
@pass_ctx
def query_pairs(ctx: Context, fmt: str | None, wide: bool, kind: str, **kw: Any) -> None:
    """Co-occurrence: articles mentioning both a company and a region (or category).

    \b
    Example:
      avtomon query pairs --kind company-category --event localization
    """
    from avtomon.pipeline.query import pairs

    _run(ctx, fmt, lambda engine, f: pairs(engine, f, kind), make_filters(**kw), kind)


@click.command("export")
@click.argument("dest", required=False, type=click.Path(dir_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Destination, the same as DEST: .xlsx (all tables), .csv or .jsonl (one table). "
                   "Default: avtomon-YYYY-MM-DD.xlsx in the current folder.")
@click.option("--table", type=click.Choice(["articles", "mentions", "companies", "regions", "categories", "events"]),
              help="Which table (CSV/JSONL: default articles; XLSX: default all).")
@click.option("--delimiter", default=",", show_default=True, help="CSV delimiter; ';' for Russian-locale Excel.")
@click.option("--russian", is_flag=True, help="XLSX: Russian sheet names, headers and labels of categories, "
                                              "event types and regions (the keys stay in CSV and JSON Lines).")
@filter_options
@pass_ctx
def export(ctx: Context, dest: str | None, out: str | None, table: str | None, delimiter: str, russian: bool,
           **kw: Any) -> None:
    """Export articles, mentions, entities and events to Excel, CSV or JSON Lines.

    \b
    Example:
      avtomon export                          # every sheet into avtomon-YYYY-MM-DD.xlsx
      avtomon export report.xlsx --since 30d
      avtomon export events.csv --table events --delimiter ';' --company КАМАЗ
      avtomon export отчёт.xlsx --since 30d --russian --tz Asia/Yekaterinburg
    """
    from datetime import date

    from avtomon.pipeline.export import export as run_export

    if dest and out and dest != out:
        raise click.UsageError(f"two destinations given ({dest} and --out {out}); give one")
    out = dest or out or f"avtomon-{date.today().isoformat()}.xlsx"
    if len(delimiter) != 1:
        raise click.UsageError("--delimiter must be one character")
    try:
        counts = run_export(ctx.engine(), make_filters(**kw), out, table, delimiter, russian)
    except AvtomonError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"{out}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))


@click.command("refetch")
@filter_options
@pass_ctx
def refetch(ctx: Context, **kw: Any) -> None:
    """Fetch the article pages again for the chosen articles (same filters as queries).

    The new text replaces the old when it is longer; those articles are extracted again by the
    next `avtomon extract` or `ingest`.

    \b
    Example:
      avtomon refetch --source "Коммерсантъ Авто" --since 7d
    """
    from avtomon.cli import ingest_lock
    from avtomon.pipeline.filters import matching_ids
    from avtomon.pipeline.fulltext import refetch as run_refetch
    from avtomon.pipeline.run import limits_for

    config = ctx.config()
    engine = ctx.engine()
    try:
        ids = matching_ids(engine, make_filters(**kw))
    except AvtomonError as exc:
        raise click.UsageError(str(exc)) from None
    with ingest_lock(ctx):
        summary = run_refetch(engine, ids, limits_for(config), config.settings.host_delay)
    click.echo(f"{len(ids)} articles chosen; {summary.line()}")
