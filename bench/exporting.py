"""Export 100 000 articles to XLSX and CSV: time and peak memory, and memory flat as rows grow; and the
XLSX writer's time per cell against openpyxl's write-only mode writing the same cells and formats."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Figure, avtomon_cmd, run_child

ROWS = 100_000
CELL_ROWS = 40_000  # mention-like rows of 11 cells (the biggest sheet of an export)
HEADERS = ["article_id", "published", "source", "title", "kind", "key", "name", "mention", "start", "end", "passing"]

FILL = r'''
import sys
from datetime import datetime, timedelta
from sqlalchemy import insert
from avtomon.db import open_store
from avtomon.models import Article, Entity, Mention, Event
engine = open_store(sys.argv[1])
n = int(sys.argv[2])
start = datetime(2025, 1, 1)
text = ("ПАО «КАМАЗ» увеличило выпуск магистральных тягачей в Набережных Челнах. " * 12).strip()
with engine.begin() as conn:
    conn.execute(insert(Entity), [dict(id=1, kind="company", key="kamaz", name="КАМАЗ", known=True),
                                  dict(id=2, kind="region", key="RU-TA", name="Республика Татарстан", known=True),
                                  dict(id=3, kind="category", key="trucks", name="Грузовые автомобили", known=True)])
    for lo in range(0, n, 10_000):
        ids = range(lo + 1, min(n, lo + 10_000) + 1)
        conn.execute(insert(Article), [dict(id=i, url=f"https://bench.example/{i}", feed="Лента", guid=str(i),
            title=f"КАМАЗ нарастил выпуск тягачей, новость {i}", text=text, published_at=start + timedelta(minutes=i),
            fetched_at=start, content_hash=str(i), extract_status="done", relevance=0.9, relevant=True) for i in ids])
        conn.execute(insert(Mention), [dict(article_id=i, entity_id=e, start_char=0, end_char=5, text="КАМАЗ")
                                       for i in ids for e in (1, 2, 3)])
        conn.execute(insert(Event), [dict(article_id=i, type="sales", company_id=1, region_id=2, categories="trucks",
                                          sentence=text[:70], start_char=0, end_char=70) for i in ids])
'''


def run() -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        stores = {}
        for n in (ROWS // 4, ROWS):
            db = f"sqlite:///{tmp}/export{n}.db"
            run_child([sys.executable, "-c", FILL, db, str(n)])
            stores[n] = db
        results: dict[tuple[str, int], tuple[float, int]] = {}
        for fmt in ("xlsx", "csv"):
            for n, db in stores.items():
                out = Path(tmp) / f"out{n}.{fmt}"
                wall, peak, _ = run_child(avtomon_cmd("--db", db, "export", "--out", str(out), "--table", "articles"))
                results[(fmt, n)] = (wall, peak)
        for fmt in ("xlsx", "csv"):
            wall, peak = results[(fmt, ROWS)]
            small_wall, small_peak = results[(fmt, ROWS // 4)]
            growth = peak / small_peak
            figures.append(Figure(f"export {ROWS:,} articles to {fmt.upper()} (Articles sheet)".replace(",", " "),
                                  f"{wall:.1f} s, peak {peak} MiB", f"{ROWS // 4:,} rows: {small_wall:.1f} s, "
                                  f"peak {small_peak} MiB".replace(",", " "), growth,
                                  "memory flat: peak ≤ 1.2× at 4× rows", growth <= 1.2))
    figures.append(cell_writing())
    return figures




def cell_rows() -> list[list[Any]]:
    start = datetime(2026, 11, 1, 9)
    return [[i, start + timedelta(minutes=i), f"Лента {i % 40}", f"КАМАЗ нарастил выпуск тягачей, новость {i}",
             "company", f"co{i % 3000}", f"Компания {i % 3000}", "КАМАЗа", i % 900, i % 900 + 6, i % 7 == 0]
            for i in range(CELL_ROWS)]


def openpyxl_cells(path: Path, rows: list[list[Any]]) -> None:
    """The writer the export had before (openpyxl write-only mode, a styled cell each)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Mentions")
    ws.freeze_panes = "A2"
    top, wrap = Alignment(vertical="top"), Alignment(vertical="top", wrap_text=True)
    header = []
    for h in HEADERS:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in rows:
        cells = []
        for h, v in zip(HEADERS, row, strict=True):
            cell = WriteOnlyCell(ws, value=v)
            cell.alignment = wrap if h == "title" else top
            if isinstance(v, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            cells.append(cell)
        ws.append(cells)
    ws.auto_filter.ref = f"A1:K{len(rows) + 1}"
    wb.save(path)


def ours_cells(path: Path, rows: list[list[Any]]) -> None:
    from avtomon.pipeline import xlsx

    xlsx.write(path, [xlsx.Table("Mentions", HEADERS, HEADERS, [12.0] * len(HEADERS), frozenset({"title"}),
                                 iter(rows))])


def cell_writing() -> Figure:
    """Best of two interleaved runs each (a neighbour's burst only slows a run down)."""
    rows = cell_rows()
    best = {"openpyxl": float("inf"), "ours": float("inf")}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(2):
            for name, write in (("openpyxl", openpyxl_cells), ("ours", ours_cells)):
                started = time.perf_counter()
                write(Path(tmp) / f"{name}.xlsx", rows)
                best[name] = min(best[name], time.perf_counter() - started)
    cells = CELL_ROWS * len(HEADERS)
    ratio = best["openpyxl"] / best["ours"]
    return Figure(f"XLSX writing per cell ({cells:,} cells with formats)".replace(",", " "),
                  f"{best['ours'] / cells * 1e6:.2f} µs",
                  f"openpyxl write-only: {best['openpyxl'] / cells * 1e6:.2f} µs",
                  ratio, "≥ 3× faster than openpyxl", ratio >= 3)
