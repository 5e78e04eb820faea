"""Export 100 000 articles to XLSX and CSV: time and peak memory, and memory flat as rows grow."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.common import Figure, avtomon_cmd, run_child

ROWS = 100_000

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
    return figures


