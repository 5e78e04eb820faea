"""Render rows for people (rich tables on a terminal) or programs (csv, json, jsonl)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any


def plain_value(value: Any) -> Any:
    """Dates as ISO text, everything else as it is (for CSV and JSON)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


# the long text columns of a terminal table, and the width each gets before it is cut with «…»
TEXT_WIDTHS = {"title": 48, "snippet": 48, "sentence": 48, "text": 48, "url": 36, "last error": 40,
               "companies": 28, "categories": 24, "regions": 16, "source": 20, "name": 28}


FIXED = ("id", "date", "period", "first_seen", "last_seen", "published", "date_guessed", "key")


def _numeric(rows: Sequence[Sequence[Any]], i: int) -> bool:
    values = [r[i] for r in rows if r[i] is not None]
    return bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _fit(headers: Sequence[str], cells: list[list[str]], fixed: set[int], total: int) -> list[int]:
    """Column widths that fit `total` characters: fixed columns whole, text columns shared out in
    proportion to their caps (TEXT_WIDTHS), none under 6."""
    longest = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(headers)]
    widths = [n if i in fixed else min(n, TEXT_WIDTHS.get(headers[i], 32)) for i, n in enumerate(longest)]
    room = total - 3 * len(headers) - 1 - sum(widths[i] for i in fixed)  # borders and padding
    text = [i for i in range(len(headers)) if i not in fixed]
    want = sum(widths[i] for i in text)
    if text and want > room:
        for i in text:
            widths[i] = max(6, widths[i] * max(room, 0) // want)
    return widths


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)].rstrip() + "…"


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return " ".join(str(plain_value(value)).split())  # one line per row: newlines in titles would break it


def resolve_format(fmt: str | None) -> str:
    """The format asked for, else a table on a terminal and CSV when piped."""
    return fmt or ("table" if sys.stdout.isatty() else "csv")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None,
                fmt: str | None = None, wide: bool = False) -> None:
    """Print rows as a rich table on a terminal, else as CSV (or the format asked for).

    On a terminal long text is cut with «…» so the table fits (`wide`: whole cells, wrapped), numbers
    are right-aligned and dates never break; CSV and JSON always carry the full values.
    """
    fmt = resolve_format(fmt)
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table

        console = Console()
        table = Table(title=title, show_lines=wide)
        cells = [["" if v is None else _cell(v) for v in row] for row in rows]
        fixed = {i for i, h in enumerate(headers) if h in FIXED or _numeric(rows, i)}
        widths = _fit(headers, cells, fixed, console.width)
        for i, h in enumerate(headers):
            if i in fixed:  # never cut or broken: a number or a date is wrong when cut
                table.add_column(h, justify="right" if _numeric(rows, i) else "left", no_wrap=True,
                                 min_width=widths[i])
            elif wide:
                table.add_column(h, overflow="fold")
            else:
                table.add_column(h, no_wrap=True, width=widths[i])
        for row in cells:
            table.add_row(*(c if wide or i in fixed else _cut(c, widths[i]) for i, c in enumerate(row)))
        Console().print(table)
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([[plain_value(v) for v in row] for row in rows])
    elif fmt == "json":
        json.dump([dict(zip(headers, map(plain_value, row), strict=True)) for row in rows], sys.stdout,
                  ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif fmt == "jsonl":
        for row in rows:
            record = dict(zip(headers, map(plain_value, row), strict=True))
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        raise ValueError(f"unknown format {fmt!r}")
