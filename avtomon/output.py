"""Render rows for people (rich tables on a terminal) or programs (csv, json, jsonl)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None,
                fmt: str | None = None) -> None:
    """Print rows as a rich table on a terminal, else as CSV (or the format asked for)."""
    fmt = fmt or ("table" if sys.stdout.isatty() else "csv")
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for h in headers:
            table.add_column(h, overflow="fold")
        for row in rows:
            table.add_row(*["" if v is None else str(_plain(v)) for v in row])
        Console().print(table)
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([[_plain(v) for v in row] for row in rows])
    elif fmt == "json":
        json.dump([dict(zip(headers, map(_plain, row), strict=True)) for row in rows], sys.stdout,
                  ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif fmt == "jsonl":
        for row in rows:
            sys.stdout.write(json.dumps(dict(zip(headers, map(_plain, row), strict=True)), ensure_ascii=False) + "\n")
    else:
        raise ValueError(f"unknown format {fmt!r}")
