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
            table.add_row(*["" if v is None else str(plain_value(v)) for v in row])
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
