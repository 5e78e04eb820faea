"""Polling 500 feeds that each answer after 100 ms: wall time against the ideal, CPU per 304, re-ingest."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import yaml

from bench import feedserver
from bench.common import Figure, avtomon_cmd, run_child

FEEDS = 500
DELAY = 0.1
CONCURRENCY = 16
REPEAT = 2

POLL = r'''
import json, sys, time, resource
from avtomon.db import open_store
from avtomon.pipeline.config import load_feeds
from avtomon.pipeline.run import poll
engine = open_store(sys.argv[1])
config = load_feeds(sys.argv[2])
c0 = time.process_time(); w0 = time.perf_counter()
summary = poll(engine, config, force=True)
nm = sum(o.status == "not_modified" for o in summary.outcomes)
print(json.dumps({"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0,
                  "new": summary.new_articles, "not_modified": nm, "failed": len(summary.failed)}))
'''


def write_feeds(path: Path, port: int) -> Path:
    feeds = [{"name": f"Лента {n}", "url": f"http://127.0.0.1:{port}/feed{n}", "tags": ["auto"],
              "fulltext": "never"} for n in range(FEEDS)]
    path.write_text(yaml.safe_dump({"settings": {"concurrency": CONCURRENCY}, "feeds": feeds}, allow_unicode=True),
                    encoding="utf-8")
    return path


def _ingest_twice(db: str, feeds: Path) -> tuple[float, float, int, int, str]:
    """`avtomon ingest` into a fresh store, then again with --force: (seconds, seconds, MiB, MiB, output)."""
    first, peak1, _ = run_child(avtomon_cmd("--db", db, "--feeds", str(feeds), "--quiet", "ingest"))
    again, peak2, out = run_child(avtomon_cmd("--db", db, "--feeds", str(feeds), "--quiet", "ingest", "--force"))
    return first, again, peak1, peak2, out


def run() -> list[Figure]:
    server, port = feedserver.start(DELAY)
    fast, fast_port = feedserver.start(0.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            feeds = write_feeds(Path(tmp) / "feeds.yaml", port)
            db = f"sqlite:///{tmp}/poll.db"
            _, _, out = run_child([sys.executable, "-c", POLL, db, str(feeds)])
            first = json.loads(out)
            _, _, out = run_child([sys.executable, "-c", POLL, db, str(feeds)])
            again = json.loads(out)
            # re-ingest: the whole `avtomon ingest` (poll + extract) twice on the same unchanged feeds, from a
            # server that answers at once, so the figure is our work and not the 100 ms waits
            fast_feeds = write_feeds(Path(tmp) / "fast.yaml", fast_port)
            runs = [_ingest_twice(f"sqlite:///{tmp}/ingest{i}.db", fast_feeds) for i in range(REPEAT)]
    finally:
        server.terminate()
        fast.terminate()
    # best of REPEAT for both the first ingest and the re-ingest (a shared machine only slows runs down)
    ingest1, ingest2 = min(r[0] for r in runs), min(r[1] for r in runs)
    peak1, peak2, out2 = max(r[2] for r in runs), max(r[3] for r in runs), runs[-1][4]
    ideal = FEEDS * DELAY / CONCURRENCY
    cpu_ms = again["cpu"] / FEEDS * 1000
    assert first["new"] == FEEDS * 10 and again["not_modified"] == FEEDS, (first, again)
    assert "0 new articles" in out2
    return [
        Figure(f"poll {FEEDS} feeds, 100 ms each, concurrency {CONCURRENCY}", f"{first['wall']:.2f} s",
               f"ideal {ideal:.2f} s", first["wall"] / ideal, "≤ 1.5× ideal", first["wall"] <= 1.5 * ideal),
        Figure(f"poll {FEEDS} feeds all answering 304: CPU per feed", f"{cpu_ms:.2f} ms", "", None, "≤ 2 ms",
               cpu_ms <= 2.0),
        Figure("re-ingest of unchanged feeds (5000 articles stored the first time)", f"{ingest2:.1f} s",
               f"first ingest {ingest1:.1f} s", ingest2 / ingest1, "≤ 0.10× first", ingest2 / ingest1 <= 0.10),
        Figure("peak RSS of avtomon ingest (500 feeds, 5000 articles)", f"{max(peak1, peak2)} MiB", "", None,
               "≤ 500 MiB", max(peak1, peak2) <= 500),
    ]
