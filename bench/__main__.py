"""`make bench`: run every benchmark, print one table with targets, write bench/RESULTS.md."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench import exporting, extraction, polling, startup
from bench.common import Figure, machine, table

MARKER = "\n## Margins, misses and fixes"
HEADERS = ["figure", "measured", "baseline (same run)", "ratio", "target", "met"]


def main() -> int:
    started = time.perf_counter()
    figures: list[Figure] = []
    for module in (startup, polling, exporting, extraction):
        print(f"running {module.__name__} …", file=sys.stderr, flush=True)
        figures.extend(module.run())
    text = "\n".join([
        "# avtomon benchmark results", "",
        f"Machine: {machine()}", f"Total bench time: {time.perf_counter() - started:.0f} s", "",
        table([f.row() for f in figures], HEADERS), "",
    ])
    print(text)
    out = Path(__file__).with_name("RESULTS.md")
    # keep the hand-written analysis below the generated table
    tail = out.read_text(encoding="utf-8").split(MARKER, 1)[1] if out.exists() and MARKER in out.read_text(
        encoding="utf-8") else ""
    out.write_text(text + NOTES + (MARKER + tail if tail else ""), encoding="utf-8")
    return 0


NOTES = """
How each figure is measured (`bench/*.py`):

- every timing of extraction and re-ingest is the best of two runs, baselines included (the machine
  is shared; a neighbour's burst only ever slows a run down). The extraction runs are interleaved,
  baseline and ours in turn in each round, so that a figure and its baseline meet the same machine.
- extraction: the factRuEval-2016 devset texts repeated to 3 MB. Baseline: natasha's razdel
  segmentation + `NewsNERTagger.map` on the same texts, models loaded before the clock. Ours: the
  library `extract()` into a fresh SQLite store (analysis, entities, mentions, events, status), models
  loaded before the clock (for `--workers 2` too, which then forks its workers on the clock). Every
  process runs with one BLAS thread (avtomon scales over processes; natasha is measured under the
  same setting). The reference line runs two natasha processes at once: what the 2 cores give.
- polling: 500 feeds of 10 entries from a loopback server in its own process that answers each
  request after 100 ms (ETag support, TCP_NODELAY like real web servers); ideal = 500 × 0.1 s ÷ 16.
  The 304 line is the CPU time of the polling process per feed when all 500 answer 304.
- re-ingest: `avtomon ingest` twice on the same 500 unchanged feeds (second time `--force`, so every
  feed is asked again), from a server that answers at once; whole commands, start-up included.
- export: `avtomon export --table articles` of a store with 25 000 and 100 000 articles (3 mentions
  and 1 event each); peak RSS of the export process.
- start-up: median of 5 runs of the whole command.
- memory: peak RSS of the `avtomon ingest` processes above.
"""

if __name__ == "__main__":
    raise SystemExit(main())
