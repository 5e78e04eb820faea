"""CLI commands of the NLP side: analyze, eval and extract."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

import click

from avtomon.cli_common import ConfigProblem, Context, pass_ctx
from avtomon.errors import AvtomonError


def run_extract(ctx: Context, batch: int, reextract: bool, limit: int | None, workers: int = 1) -> Any:
    from avtomon.pipeline.extract import backlog, extract, extract_parallel

    engine = ctx.engine(create=True)
    if workers > 1:
        if limit is not None:
            raise click.UsageError("--limit works with one worker only")
        return extract_parallel(engine, workers, batch=batch, reextract=reextract)
    total = backlog(engine, reextract) if limit is None else limit
    if ctx.quiet or not sys.stderr.isatty() or total == 0:
        return extract(engine, batch=batch, reextract=reextract, limit=limit)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("extract", total=total)
        return extract(engine, batch=batch, reextract=reextract, limit=limit,
                       on_batch=lambda n: progress.update(task, advance=n))


@click.command()
@click.option("--batch", default=32, show_default=True, help="Articles per batch and per transaction.")
@click.option("--reextract", is_flag=True, help="Also redo articles extracted by an older extractor version.")
@click.option("--limit", type=int, default=None, help="Stop after this many articles.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Processes on this machine; more machines can run extract on the same database too.")
@pass_ctx
def extract(ctx: Context, batch: int, reextract: bool, limit: int | None, workers: int) -> None:
    """Analyse pending articles and store companies, regions, categories, persons and events.

    Safe to run several times at once, on one machine or many: each batch is claimed first.

    \b
    Example:
      avtomon extract
      avtomon extract --workers 2
      avtomon extract --reextract      # after upgrading avtomon's extractors
    """
    summary = run_extract(ctx, batch, reextract, limit, workers)
    click.echo(summary.line())
    if summary.failed:
        sys.exit(1)


def _read_input(source: str) -> str:
    """UTF-8 text from a file or stdin; unreadable or non-UTF-8 input is a usage error (exit 2)."""
    if source == "-":
        if sys.stdin.isatty():
            click.echo("reading text from stdin; finish with Ctrl-D (or give a FILE)", err=True)
        raw = sys.stdin.buffer.read()
        name = "stdin"
    else:
        try:
            with open(source, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise ConfigProblem(f"{source}: cannot read: {exc.strerror or exc}") from None
        name = source
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigProblem(f"{name}: not UTF-8 text at byte {exc.start} (convert it with iconv -f cp1251 -t utf-8)"
                            ) from None


def _analyze_jsonl(source: str, out: TextIO, batch: int) -> None:
    from avtomon.extractors.analyze import analyze_many, compose

    lines = [ln for ln in _read_input(source).splitlines() if ln.strip()]
    items = []
    for n, line in enumerate(lines, 1):
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigProblem(f"{source}:{n}: not valid JSON: {exc.msg}") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ConfigProblem(f"{source}:{n}: each line needs a 'text' string")
        items.append(item)
    for i in range(0, len(items), batch):
        chunk = items[i : i + batch]
        texts = [compose(it.get("title"), it["text"]) for it in chunk]
        ends = [len(it["title"]) if it.get("title") else 0 for it in chunk]
        for item, analysis in zip(chunk, analyze_many(texts, ends, batch=batch), strict=True):
            out.write(json.dumps({"id": item.get("id"), **analysis.to_json()}, ensure_ascii=False) + "\n")


@click.command()
@click.argument("source", default="-", metavar="[FILE|-]")
@click.option("--jsonl", "jsonl", is_flag=True,
              help="SOURCE is JSON Lines ({id, title?, text}); write one result per line.")
@click.option("--compact", is_flag=True, help="One line of JSON instead of indented.")
@click.option("--batch", default=32, show_default=True, help="Texts per NER batch (with --jsonl).")
def analyze(source: str, jsonl: bool, compact: bool, batch: int) -> None:
    """Extract companies, regions, categories, persons and events from Russian text; print JSON.

    Reads UTF-8 text from FILE or stdin. Offsets are indices into exactly the text read.

    \b
    Example:
      echo "КАМАЗ запустил производство в Набережных Челнах" | avtomon analyze
      avtomon analyze --jsonl news.jsonl > results.jsonl
    """
    if jsonl:
        _analyze_jsonl(source, sys.stdout, batch)
        return
    from avtomon.extractors.analyze import analyze_text

    text = _read_input(source)
    result = analyze_text(text).to_json()
    click.echo(json.dumps(result, ensure_ascii=False, indent=None if compact else 2))


@click.command("eval")
@click.argument("gold", type=click.Path(exists=True))
@click.option("--errors", "show_errors", is_flag=True, help="Also list, per text, what was missed or extra.")
@click.option("--relevant", "relevant_file", type=click.Path(exists=True, dir_okay=False),
              help="With a factRuEval folder: file listing its auto-industry documents, to score `relevant`.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default=None,
              help="Output format (table on a terminal, csv when piped).")
def evaluate(gold: str, show_errors: bool, relevant_file: str | None, fmt: str | None) -> None:
    """Score the extractors on a gold JSON Lines file: P/R/F1 per field.

    GOLD may also be a factRuEval-2016 folder (book_N.txt/.spans/.objects): then ORG, PER and LOC
    spans are scored beside raw natasha on the same texts.

    \b
    Example:
      avtomon eval tests/gold/auto.jsonl
      avtomon eval tests/gold/auto.jsonl --errors
      avtomon eval ../shared/data/factru2016/devset --relevant tests/gold/factru_relevant.txt
    """
    from avtomon.extractors.evaluate import evaluate as run_eval
    from avtomon.extractors.evaluate import load_gold
    from avtomon.output import print_table, resolve_format

    fmt = resolve_format(fmt)
    aside = fmt != "table"  # CSV and JSON on stdout stay parseable: the summary line goes to stderr

    if os.path.isdir(gold):
        from avtomon.extractors.ner_eval import evaluate_factru, load_relevant_ids

        try:
            ner = evaluate_factru(gold, load_relevant_ids(relevant_file) if relevant_file else None)
        except AvtomonError as exc:
            raise click.ClickException(str(exc)) from None
        print_table(["type", "precision", "recall", "f1", "natasha P", "natasha R", "natasha F1", "F1 gain"],
                    ner.table(), title=f"{gold}: {ner.documents} documents", fmt=fmt)
        if ner.relevance:
            r = ner.relevance
            click.echo(f"relevance accuracy: {r.accuracy:.3f} on {r.total} documents "
                       f"(tp {r.tp}, fp {r.fp}, fn {r.fn}, tn {r.tn})", err=aside)
        return

    try:
        report = run_eval(load_gold(gold))
    except AvtomonError as exc:
        raise click.ClickException(str(exc)) from None
    print_table(["field", "tp", "fp", "fn", "precision", "recall", "f1"], report.table(),
                title=f"{gold}: {report.texts} texts", fmt=fmt)
    if report.relevance.total:
        click.echo(f"relevance accuracy: {report.relevance.accuracy:.3f} on {report.relevance.total} texts",
                   err=aside)
    if show_errors:
        for err in report.errors:
            click.echo(json.dumps(err, ensure_ascii=False), err=True)
