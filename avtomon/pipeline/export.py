"""Export the store to XLSX, CSV or JSON Lines with the query filters, streaming rows.

Rows are read from the database in chunks and written as they come (openpyxl write-only mode), so
memory does not grow with the number of articles. Any text cell that a spreadsheet would run as a
formula (it starts with =, +, -, @, tab or CR — a hostile feed can put that in a title) gets a
leading apostrophe.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session, aliased

from avtomon.errors import AvtomonError
from avtomon.models import Article, Entity, Event, Mention
from avtomon.output import plain_value as _plain
from avtomon.pipeline.filters import Filters, article_conditions, resolve
from avtomon.pipeline.query import entities_of, top_entities

CHUNK = 1000
XLSX_CELL_MAX = 32_000  # Excel refuses cells over 32 767 characters
HYPERLINK_MAX = 250  # Excel's HYPERLINK takes at most 255 characters
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
TABLES = ("articles", "mentions", "companies", "regions", "categories", "events")
WIDTHS = {"date": 18, "published": 18, "source": 22, "title": 60, "url": 45, "text": 80, "sentence": 80,
          "snippet": 60, "companies": 30, "regions": 16, "categories": 30, "name": 32, "key": 18}


@dataclass
class Sheet:
    """A named table: headers and a row generator."""

    name: str
    headers: list[str]
    rows: Iterator[list[Any]]


def neutralize(value: Any) -> Any:
    """Defuse spreadsheet formulas in text cells (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _article_rows(engine: Engine, f: Filters) -> Iterator[list[Any]]:
    with Session(engine) as s:
        stmt = (select(Article.id, Article.published_at, Article.feed, Article.title, Article.url, Article.relevance,
                       Article.text_source, Article.text).where(and_(True, *article_conditions(f)))
                .order_by(Article.published_at.desc(), Article.id))
        if f.limit:
            stmt = stmt.limit(f.limit)
        result = s.execute(stmt.execution_options(yield_per=CHUNK))
        for chunk in result.partitions(CHUNK):
            entities = entities_of(s, [r[0] for r in chunk], f.passing)
            events = _event_types(s, [r[0] for r in chunk])
            for aid, published, feed, title, url, relevance, source, text in chunk:
                ent = entities.get(aid, {})
                yield [aid, published, feed, title, url, relevance, ", ".join(ent.get("company", [])),
                       ", ".join(ent.get("region", [])), ", ".join(ent.get("category", [])),
                       ", ".join(events.get(aid, [])), source, text]


def _event_types(s: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for aid, etype in s.execute(select(Event.article_id, Event.type).where(Event.article_id.in_(ids)).distinct()):
        out.setdefault(aid, []).append(etype)
    return out


def _mention_rows(engine: Engine, f: Filters) -> Iterator[list[Any]]:
    with Session(engine) as s:
        stmt = (select(Mention.article_id, Article.published_at, Article.feed, Article.title, Entity.kind, Entity.key,
                       Entity.name, Mention.text, Mention.start_char, Mention.end_char, Mention.passing)
                .join(Article, Article.id == Mention.article_id).join(Entity, Entity.id == Mention.entity_id)
                .where(and_(True, *article_conditions(f))).order_by(Mention.article_id, Mention.start_char))
        for row in s.execute(stmt.execution_options(yield_per=CHUNK)):
            yield list(row)


def _event_rows(engine: Engine, f: Filters) -> Iterator[list[Any]]:
    company, region = aliased(Entity), aliased(Entity)
    with Session(engine) as s:
        stmt = (select(Event.article_id, Article.published_at, Article.feed, company.name, Event.type, region.key,
                       Event.categories, Article.title, Event.sentence, Article.url)
                .join(Article, Article.id == Event.article_id)
                .outerjoin(company, company.id == Event.company_id).outerjoin(region, region.id == Event.region_id)
                .where(and_(True, *article_conditions(f))).order_by(Article.published_at.desc(), Event.id))
        for row in s.execute(stmt.execution_options(yield_per=CHUNK)):
            yield list(row)


def _entity_rows(engine: Engine, kind: str, f: Filters) -> Iterator[list[Any]]:
    table = top_entities(engine, kind, replace(f, limit=10**9))  # every entity, not a top N
    yield from table.rows


def sheets(engine: Engine, f: Filters) -> dict[str, Sheet]:
    """Every exportable table, lazily."""
    return {
        "articles": Sheet("Articles", ["id", "published", "source", "title", "url", "relevance", "companies",
                                       "regions", "categories", "events", "text_source", "text"],
                          _article_rows(engine, f)),
        "mentions": Sheet("Mentions", ["article_id", "published", "source", "title", "kind", "key", "name",
                                       "mention", "start", "end", "passing"], _mention_rows(engine, f)),
        "companies": Sheet("Companies", ["name", "key", "articles", "mentions", "first_seen", "last_seen"],
                           _entity_rows(engine, "company", f)),
        "regions": Sheet("Regions", ["name", "key", "articles", "mentions", "first_seen", "last_seen"],
                         _entity_rows(engine, "region", f)),
        "categories": Sheet("Categories", ["name", "key", "articles", "mentions", "first_seen", "last_seen"],
                            _entity_rows(engine, "category", f)),
        "events": Sheet("Events", ["article_id", "published", "source", "company", "type", "region", "categories",
                                   "title", "sentence", "url"], _event_rows(engine, f)),
    }


def _xlsx_cell(ws: Any, header: str, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        if header == "url" and value.startswith(("http://", "https://")) and len(value) <= HYPERLINK_MAX:
            # A HYPERLINK formula we build ourselves from a canonical http(s) URL (quotes escaped): a
            # cell hyperlink object would be kept in memory until the file is saved, for every row.
            safe = value.replace('"', "%22")
            cell = WriteOnlyCell(ws, value=f'=HYPERLINK("{safe}","{safe}")')
            cell.style = "Hyperlink"
            return cell
        cell = WriteOnlyCell(ws, value=neutralize(value)[:XLSX_CELL_MAX])
        cell.data_type = "s"  # never a formula, whatever the text
        return cell
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, float):
        cell.number_format = "0.000"
    return cell


def write_xlsx(path: Path, all_sheets: dict[str, Sheet]) -> dict[str, int]:
    """One workbook, one sheet per table: frozen header, autofilter, widths, real dates, links."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    counts = {}
    bold = Font(bold=True)
    for key, sheet in all_sheets.items():
        ws = wb.create_sheet(sheet.name)
        ws.freeze_panes = "A2"
        for i, h in enumerate(sheet.headers, 1):
            ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(h, 12)
        header = []
        for h in sheet.headers:
            cell = _xlsx_cell(ws, "", h)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        n = 0
        for row in sheet.rows:
            ws.append([_xlsx_cell(ws, h, v) for h, v in zip(sheet.headers, row, strict=True)])
            n += 1
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.headers))}{n + 1}"
        counts[key] = n
    wb.save(path)
    return counts


def write_csv(path: Path, sheet: Sheet, delimiter: str = ",") -> int:
    """UTF-8 with BOM so Excel reads Cyrillic; `;` suits Russian-locale Excel."""
    n = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(sheet.headers)
        for row in sheet.rows:
            writer.writerow([neutralize(_plain(v)) for v in row])
            n += 1
    return n


def write_jsonl(path: Path, sheet: Sheet) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in sheet.rows:
            fh.write(json.dumps(dict(zip(sheet.headers, map(_plain, row), strict=True)), ensure_ascii=False) + "\n")
            n += 1
    return n


def export(engine: Engine, f: Filters, out: str | Path, table: str | None = None,
           delimiter: str = ",") -> dict[str, int]:
    """Write the filtered store to `out` (.xlsx: every table; .csv/.jsonl: one table, articles by default).

    Args:
        engine: an open store.
        f: query filters.
        out: destination; the suffix picks the format.
        table: for CSV and JSON Lines, which table.
        delimiter: CSV delimiter.

    Returns:
        Rows written per table.
    """
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".jsonl"):
        raise AvtomonError(f"{out}: unknown format (use a .xlsx, .csv or .jsonl file name)")
    if table and table not in TABLES:
        raise AvtomonError(f"--table {table}: choose one of {', '.join(TABLES)}")
    if not path.parent.exists():
        raise AvtomonError(f"{out}: folder {path.parent} does not exist")
    with Session(engine) as s:
        resolve(s, f)
    all_sheets = sheets(engine, f)
    # write to a temporary name first: a crash never leaves half a file under the real name
    tmp = path.with_name(f".{path.name}.part")
    try:
        if suffix == ".xlsx":
            chosen = {table: all_sheets[table]} if table else all_sheets
            counts = write_xlsx(tmp, chosen)
        elif suffix == ".csv":
            name = table or "articles"
            counts = {name: write_csv(tmp, all_sheets[name], delimiter)}
        else:
            name = table or "articles"
            counts = {name: write_jsonl(tmp, all_sheets[name])}
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return counts
