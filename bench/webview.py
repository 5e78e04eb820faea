"""`avtomon serve` at 100 000 articles: the server time of every page on SQLite and PostgreSQL.

The store is the one `make bench-scale` builds (bench/scale.py: two years of 40 feeds, Zipf-popular
companies), at 100k articles. The application runs on a real uvicorn server on loopback; each page is
asked RUNS times and the median of its `Server-Timing` (the time inside the application, from the
request to the response) is reported; the baseline is the same figure for the style sheet (routing,
middleware and the thread pool, no query). Run alone: `python -m bench.webview [--size N] [--backends …]`.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import Figure, table

SIZE = 100_000
RUNS = 5
TARGET_MS = 300.0
PAGES = {
    "dashboard, 7 days": "/",
    "dashboard, 30 days": "/?days=30",
    "search, no filter (facets of every article)": "/search",
    "search, a word in half the articles": "/search?q=батареи",
    "search, a word in no article": "/search?q=квазикристаллы",
    "search, company + region facets": "/search?company=kamaz&region=RU-TA",
    "search, page 50": "/search?page=50",
    "company page, the most named company": "/company/kamaz",
    "company page, a rare company": "/company/co2500",
    "region page": "/region/RU-TA",
    "category page": "/category/trucks",
    "article page": "/article/5000",
}


def server_ms(client: httpx.Client, path: str) -> float:
    r = client.get(path)
    r.raise_for_status()
    return float(re.match(r"app;dur=([\d.]+)", r.headers["server-timing"]).group(1))  # type: ignore[union-attr]


def measure(url: str) -> dict[str, float]:
    """Page name → median server time in ms (the style sheet under "baseline")."""
    from avtomon.db import open_readonly
    from avtomon.web import create_app
    from tests.serving import serving

    engine = open_readonly(url)
    out = {}
    with serving(create_app(engine)) as base, httpx.Client(base_url=base, timeout=120) as client:
        server_ms(client, "/company/kamaz")  # the gazetteer and templates load once per process
        for name, path in {"baseline": "/static/style.css", **PAGES}.items():
            out[name] = statistics.median(server_ms(client, path) for _ in range(RUNS))
            print(f"  {name}: {out[name]:.0f} ms", file=sys.stderr, flush=True)
    engine.dispose()
    return out


def stores(tmp: Path, backends: list[str], size: int) -> dict[str, str]:
    from bench.scale import _pg_url, generate

    urls = {}
    for backend in backends:
        url = f"sqlite:///{tmp}/web{size}.db" if backend == "sqlite" else _pg_url(f"avtomon_web_{size}")
        started = time.perf_counter()
        print(f"building a {backend} store of {size:,} articles …", file=sys.stderr, flush=True)
        generate(url, size)
        print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        urls[backend] = url
    return urls


def drop(urls: dict[str, str]) -> None:
    import psycopg

    from bench.scale import PG_ADMIN

    for backend, url in urls.items():
        if backend == "postgresql":
            with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def run(size: int = SIZE, backends: tuple[str, ...] = ("sqlite", "postgresql")) -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        urls = stores(Path(tmp), list(backends), size)
        try:
            for backend, url in urls.items():
                print(f"pages on {backend} …", file=sys.stderr, flush=True)
                times = measure(url)
                base = times.pop("baseline")
                for name, ms in times.items():
                    figures.append(Figure(f"web page on {backend} {size // 1000}k: {name}", f"{ms:.0f} ms",
                                          f"style sheet {base:.1f} ms", ms / max(base, 0.1),
                                          f"≤ {TARGET_MS:.0f} ms server time", ms <= TARGET_MS))
        finally:
            drop(urls)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--backends", default="sqlite,postgresql")
    opts = parser.parse_args()
    figures = run(opts.size, tuple(opts.backends.split(",")))
    print(table([f.row() for f in figures], ["figure", "measured", "baseline (same run)", "ratio", "target", "met"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
