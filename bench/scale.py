"""`make bench-scale`: stores of 100 000 and 1 000 000 articles, and the whole-command time of the
analyst's queries and exports on each, on SQLite and PostgreSQL, with the ratio 1M / 100k.

The stores are shaped like two years of 40 Russian feeds: Zipf-popular companies (a few in most
news, most in a handful), 7–8 mentions and one event per article, ids in the order of publication
(as polling stores them), bulk-inserted in the project's schema (`generate`), then the rollups
counted by the project's own code. Both stores of a backend are built first, then each command's runs
alternate between them (a shared host's speed drifts over the minutes between two stores). Run:
`python -m bench.scale [--sizes 100000,1000000] [--backends sqlite,postgresql]`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from avtomon.cli_query import EVENT_TYPES
from bench.common import ROOT, avtomon_cmd, compile_project, machine, run_child, table

PG_ADMIN = os.environ.get("AVTOMON_BENCH_PG", "postgresql+psycopg://root@127.0.0.1:5432/test")
DAYS = 730
FEEDS = 40
COMPANIES = 3000
BATCH = 20_000
VOCAB = ["завод", "выпуск", "автомобиль", "грузовик", "автобус", "производство", "поставка", "рынок", "продажа",
         "рост", "снижение", "цена", "модель", "двигатель", "локализация", "инвестиция", "партнер", "сборка",
         "линия", "конвейер", "дилер", "спрос", "экспорт", "импорт", "кузов", "шина", "компонент", "батарея",
         "электромобиль", "прицеп", "тягач", "самосвал", "кроссовер", "седан", "фургон", "рубль", "миллиард",
         "проект"]
REGIONS = ["RU-MOW", "RU-SPE", "RU-TA", "RU-SAM", "RU-NIZ", "RU-KGD", "RU-YAR", "RU-KLU", "RU-LEN", "RU-SVE",
           "RU-CHE", "RU-ULY", "RU-VLA", "RU-TUL", "RU-BA", "RU-PER", "RU-ROS", "RU-KDA", "RU-NVS", "RU-PRI"]
CATEGORIES = ["passenger_cars", "trucks", "buses", "lcv", "special_machinery", "electric_vehicles", "batteries",
              "engines", "tires", "seats", "trailers", "components"]


def generate(url: str, n: int, seed: int = 7) -> None:
    """Fill an empty store at `url` with `n` articles over DAYS days ending now, then count the rollups."""
    from sqlalchemy import insert, text

    from avtomon.db import open_store
    from avtomon.models import Article, Entity, Event, Mention
    from avtomon.pipeline.rollups import rebuild
    from avtomon.pipeline.search import index_backlog, insert_entries, mark_backlog, marks

    rng = random.Random(seed)
    engine = open_store(url)
    companies = [dict(id=i + 1, kind="company", key="kamaz" if i == 0 else f"co{i}",
                      name="КАМАЗ" if i == 0 else f"Компания {i}", known=True) for i in range(COMPANIES)]
    regions = [dict(id=COMPANIES + i + 1, kind="region", key=r, name=r, known=True) for i, r in enumerate(REGIONS)]
    cats = [dict(id=COMPANIES + len(REGIONS) + i + 1, kind="category", key=c, name=c, known=True)
            for i, c in enumerate(CATEGORIES)]
    weights = [1 / (i + 1) for i in range(COMPANIES)]  # Zipf: КАМАЗ first
    end = datetime.now(UTC).replace(tzinfo=None)
    start = end - timedelta(days=DAYS)
    mark_backlog(engine)  # nothing to mark yet: the entries below carry their marks, as extraction writes them
    with engine.begin() as conn:
        conn.execute(insert(Entity), companies + regions + cats)
    aid = mid = eid = 0
    search: list[dict] = []
    for lo in range(0, n, BATCH):
        arts, ments, evs = [], [], []
        for _ in range(min(BATCH, n - lo)):
            aid += 1
            # ids follow the publication time, as in a store fed by polling (a tenth come up to 6 h late):
            # a period's articles lie together in the table, as they do in a real store
            late = timedelta(hours=rng.random() * 6) if rng.random() < 0.1 else timedelta(0)
            published = start + timedelta(seconds=(aid - 1 + rng.random()) * DAYS * 86400 / n) - late
            words = " ".join(rng.choices(VOCAB, k=30))
            cos = rng.choices(companies, weights=weights, k=rng.choice((2, 3, 3, 4)))
            arts.append(dict(id=aid, url=f"https://bench.example/{aid}", feed=f"Лента {aid % FEEDS}", guid=str(aid),
                             title=f"{cos[0]['name']}: {words[:60]}", text=words, published_at=published,
                             fetched_at=published, content_hash=str(aid), extract_status="done", relevance=0.9,
                             relevant=rng.random() > 0.05, published_guessed=False))
            for ent in [*cos, *rng.sample(regions, rng.choice((1, 2))), *rng.sample(cats, rng.choice((1, 2, 2)))]:
                mid += 1
                ments.append(dict(id=mid, article_id=aid, entity_id=ent["id"], start_char=0, end_char=5,
                                  text=ent["name"], passing=ent["kind"] == "category" and rng.random() < 0.3))
            eid += 1
            evs.append(dict(id=eid, article_id=aid, type=rng.choice(EVENT_TYPES), company_id=cos[0]["id"],
                            region_id=regions[0]["id"], categories=cats[0]["key"], sentence=words[:80],
                            start_char=0, end_char=80))
            search.append({"id": aid, "lemmas": f"{cos[0]['name'].lower()} {words}",
                           "marks": marks(published, False, arts[-1]["relevant"])})
        with engine.begin() as conn:
            conn.execute(insert(Article), arts)
            conn.execute(insert(Mention), ments)
            conn.execute(insert(Event), evs)
            insert_entries(conn, search)
        search.clear()
        print(f"  {aid:,} articles", file=sys.stderr, flush=True)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    rebuild(engine)
    index_backlog(engine)  # nothing to index: it records that the index is complete
    if engine.dialect.name == "postgresql":
        # what autovacuum does to a store in use (visibility map, statistics of the rollups); without it,
        # autovacuum would run on the millions of new rows while the commands are being timed
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def copy_period(src: str, dst: str, days: int) -> int:
    """Copy the articles of the last `days` days (with their mentions, events and every entity) from the
    store at `src` to the empty store at `dst`, then count its rollups: a store holding only those rows."""
    from sqlalchemy import func, insert, select

    from avtomon.db import open_store
    from avtomon.models import Article, Entity, Event, Mention
    from avtomon.pipeline.rollups import rebuild

    source, target = open_store(src), open_store(dst)
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
    chosen = select(Article.id).where(Article.published_at >= since)
    with source.connect() as read, target.begin() as write:
        for model, stmt in ((Entity, select(Entity)), (Article, select(Article).where(Article.published_at >= since)),
                            (Mention, select(Mention).where(Mention.article_id.in_(chosen))),
                            (Event, select(Event).where(Event.article_id.in_(chosen)))):
            result = read.execute(stmt.execution_options(yield_per=BATCH))
            for rows in result.mappings().partitions(BATCH):
                write.execute(insert(model), [dict(r) for r in rows])
        n = write.scalar(select(func.count()).select_from(Article))
    rebuild(target)  # (no search index: the export does not read it)
    source.dispose()
    target.dispose()
    return n


COMMANDS = {
    "query companies --since 30d --limit 20": ["query", "companies", "--since", "30d", "--limit", "20"],
    "query companies --since 1y --limit 20": ["query", "companies", "--since", "1y", "--limit", "20"],
    "query trend --company КАМАЗ --by month --since 2y": ["query", "trend", "--company", "КАМАЗ", "--by", "month",
                                                         "--since", "2y"],
    "query pairs --kind company-region --since 1y": ["query", "pairs", "--kind", "company-region", "--since", "1y"],
    "query articles --text <word in no article> --since 1y": ["query", "articles", "--text", "квазикристалл",
                                                              "--since", "1y"],
    "query events --company КАМАЗ --since 30d": ["query", "events", "--company", "КАМАЗ", "--since", "30d"],
    # beyond the table: other shapes an analyst types
    "query trend --company КАМАЗ --by day --since 30d": ["query", "trend", "--company", "КАМАЗ", "--by", "day",
                                                         "--since", "30d"],
    "query trend --by week --since 1y": ["query", "trend", "--by", "week", "--since", "1y"],
    "query companies --count stories --since 30d": ["query", "companies", "--count", "stories", "--since", "30d"],
    "query events": ["query", "events"],
    "query articles --text <word in half the articles>": ["query", "articles", "--text", "батареи"],
    "query categories --company КАМАЗ --since 30d": ["query", "categories", "--company", "КАМАЗ", "--since", "30d"],
    "query events --category trucks": ["query", "events", "--category", "trucks"],
    "query regions --company КАМАЗ --since 1y": ["query", "regions", "--company", "КАМАЗ", "--since", "1y"],
    "query companies --count stories --since 1y": ["query", "companies", "--count", "stories", "--since", "1y"],
    "query companies --region RU-TA --since 1y": ["query", "companies", "--region", "RU-TA", "--since", "1y"],
    "query trend --text <word in half> --by month --since 1y": ["query", "trend", "--text", "батареи", "--by",
                                                                "month", "--since", "1y"],
    "query trend --company КАМАЗ --by day --since 1y": ["query", "trend", "--company", "КАМАЗ", "--by", "day",
                                                        "--since", "1y"],
}
XLSX_30D = "export x.xlsx --since 30d"
EXPORTS = {
    XLSX_30D: ["export", "{out}.xlsx", "--since", "30d"],
    "export x.csv --table events --since 1y": ["export", "{out}.csv", "--table", "events", "--since", "1y"],
}


def interleaved_times(dbs: dict[int, str], args: list[str], tmp: Path, runs: int = 3) -> dict[int, float]:
    """The median time of a command on each store, the stores' runs taken in turn: a shared host's speed
    drifts over minutes, and a ratio of runs minutes apart would measure the drift."""
    times: dict[int, list[float]] = {n: [] for n in dbs}
    for i in range(runs):
        for n, db in dbs.items():
            filled = [a.format(out=str(tmp / f"x{n}-{i}")) for a in args]
            wall, _, _ = run_child(avtomon_cmd("--db", db, *filled, "--format", "csv") if args[0] == "query"
                                   else avtomon_cmd("--db", db, *filled))
            times[n].append(wall)
    return {n: statistics.median(found) for n, found in times.items()}


def _pg_url(name: str) -> str:
    import psycopg

    plain = PG_ADMIN.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"


def _drop_pg(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop(db: str, backend: str, name: str) -> None:
    if backend == "sqlite":
        Path(db.removeprefix("sqlite:///")).unlink()
    else:  # gigabytes on a shared server: dropped like the SQLite file is deleted
        _drop_pg(name)


def export_of_only_those_rows(db: str, backend: str, tmp: Path) -> tuple[int, float]:
    """The 30-day XLSX from a store holding only the last 31 days of `db`: (its articles, median time)."""
    small = f"sqlite:///{tmp}/only.db" if backend == "sqlite" else _pg_url("avtomon_scale_only")
    n = copy_period(db, small, 31)
    wall = interleaved_times({0: small}, EXPORTS[XLSX_30D], tmp)[0]
    print(f"  {XLSX_30D} from a store of those {n:,} articles only: {wall:.2f} s", file=sys.stderr, flush=True)
    _drop(small, backend, "avtomon_scale_only")
    return n, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    opts = parser.parse_args()
    compile_project()
    sizes = [int(x) for x in opts.sizes.split(",")]
    results: dict[tuple[str, str, int], float] = {}
    builds: dict[tuple[str, int], float] = {}
    only: dict[str, tuple[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for backend in opts.backends.split(","):
            dbs = {}
            for n in sizes:
                dbs[n] = f"sqlite:///{tmp}/scale{n}.db" if backend == "sqlite" else _pg_url(f"avtomon_scale_{n}")
                print(f"building {backend} {n:,} …", file=sys.stderr, flush=True)
                started = time.perf_counter()
                generate(dbs[n], n)
                builds[(backend, n)] = time.perf_counter() - started
            for name, args in {**COMMANDS, **EXPORTS}.items():
                for n, wall in interleaved_times(dbs, args, tmp).items():
                    results[(name, backend, n)] = wall
                print(f"  {name}: " + " / ".join(f"{results[(name, backend, n)]:.2f} s" for n in sizes),
                      file=sys.stderr, flush=True)
            only[backend] = export_of_only_those_rows(dbs[max(sizes)], backend, tmp)
            for n, db in dbs.items():
                _drop(db, backend, f"avtomon_scale_{n}")
    report(results, builds, sizes, opts.backends.split(","), only)
    return 0


def report(results: dict, builds: dict, sizes: list[int], backends: list[str],
           only: dict[str, tuple[int, float]]) -> None:
    headers = ["command"] + [f"{b} {n // 1000}k" for b in backends for n in sizes]
    if len(sizes) == 2:
        headers += [f"{b} ratio" for b in backends]
    rows = []
    for name in {**COMMANDS, **EXPORTS}:
        row = [f"`{name}`"] + [f"{results[(name, b, n)]:.2f} s" for b in backends for n in sizes]
        if len(sizes) == 2:
            row += [f"{results[(name, b, sizes[1])] / results[(name, b, sizes[0])]:.2f}" for b in backends]
        rows.append(row)
    text = "\n".join(["# avtomon at scale", "", f"Machine: {machine()}", "",
                      "Whole-command medians of 3 runs (start-up included), stores generated by `bench/scale.py`.",
                      "", table(rows, headers), "",
                      "Store build (bulk insert and rollups): " + ", ".join(
                          f"{b} {n // 1000}k {builds[(b, n)]:.0f} s" for b in backends for n in sizes), "",
                      *[f"`{XLSX_30D}` from the {max(sizes) // 1000}k store against a store holding only the last "
                        f"31 days ({n:,} articles), {b}: {results[(XLSX_30D, b, max(sizes))]:.2f} s / {wall:.2f} s "
                        f"= {results[(XLSX_30D, b, max(sizes))] / wall:.2f} (target ≤ 1.5)"
                        for b, (n, wall) in only.items()], ""])
    print(text)
    (ROOT / "bench" / "SCALE.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
