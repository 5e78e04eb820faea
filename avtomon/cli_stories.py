"""`avtomon stories`: group articles into stories now, regroup them all, or measure the grouping."""

from __future__ import annotations

from pathlib import Path

import click

from avtomon.cli_common import Context, pass_ctx
from avtomon.errors import AvtomonError


@click.command()
@click.option("--rebuild", is_flag=True, help="Forget every story and group all articles again.")
@click.option("--eval", "labelled", type=click.Path(dir_okay=False, path_type=Path),
              help="Measure the grouping on a labelled set (JSON lines, see docs/stories.md) in a temporary "
                   "store: pairwise precision, recall, F1.")
@click.option("--gold", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("../shared/data/gold/dev.jsonl"), show_default=True,
              help="With --eval: the gold file whose stories the labelled set names by id.")
@click.option("--errors", "show_errors", is_flag=True, help="With --eval: list the wrong and missed pairs.")
@click.option("--prints", "to_prints", nargs=2, type=click.Path(dir_okay=False, path_type=Path),
              metavar="TEXTS OUT",
              help="Write labelled set TEXTS as OUT with each title and text replaced by its print (shareable "
                   "without the texts; --eval reads it).")
@pass_ctx
def stories(ctx: Context, rebuild: bool, labelled: Path | None, gold: Path, show_errors: bool,
            to_prints: tuple[Path, Path] | None) -> None:
    """Group extracted articles into stories (the same news from several outlets).

    `extract` and `ingest` do this after each run; this command catches up at once (an upgraded store),
    regroups everything after a change of the rules, or measures the grouping.

    \b
    Example:
      avtomon stories
      avtomon stories --rebuild
      avtomon stories --eval tests/data/stories/labelled.jsonl --gold ../shared/data/gold/dev.jsonl
      avtomon stories --prints versions.jsonl versions-prints.jsonl
    """
    if to_prints:
        _write_prints(*to_prints, gold)
        return
    if labelled:
        _evaluate(labelled, gold, show_errors)
        return
    from avtomon.cli import ingest_lock
    from avtomon.stories.grouping import group_new
    from avtomon.stories.grouping import rebuild as regroup

    with ingest_lock(ctx):
        summary = regroup(ctx.engine()) if rebuild else group_new(ctx.engine(), limit=None)
    click.echo(summary.line())


def _write_prints(texts: Path, out: Path, gold: Path) -> None:
    import json

    from avtomon.stories.evaluate import to_prints

    try:
        rows = to_prints(texts, gold)
    except AvtomonError as exc:
        raise click.UsageError(str(exc)) from None
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    click.echo(f"{out}: {len(rows)} prints of {len({r['group'] for r in rows})} labelled groups")


def _evaluate(labelled: Path, gold: Path, show_errors: bool) -> None:
    from avtomon.stories.evaluate import evaluate

    try:
        result = evaluate(labelled, gold)
    except AvtomonError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"{result.articles} articles in {result.groups} labelled groups -> {result.stories} stories")
    pairs = result.pairs
    click.echo(f"pairs: {pairs.tp} right, {pairs.fp} wrongly joined, {pairs.fn} missed")
    click.echo(f"precision {pairs.precision:.3f}  recall {pairs.recall:.3f}  F1 {pairs.f1:.3f}")
    if show_errors:
        for a, b in result.wrong_pairs:
            click.echo(f"  joined, not one news: «{a}» / «{b}»")
        for a, b in result.missed_pairs:
            click.echo(f"  one news, not joined: «{a}» / «{b}»")
