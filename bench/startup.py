"""Start-up: `avtomon --help` and `avtomon feeds` load no NLP model."""

from __future__ import annotations

import statistics
import sys
import tempfile

from bench.common import ROOT, Figure, avtomon_cmd, run_child

REPEAT = 5


def _median(args: list[str]) -> float:
    return statistics.median(run_child(args)[0] for _ in range(REPEAT))


def run() -> list[Figure]:
    python = _median([sys.executable, "-c", "pass"])
    orm = _median([sys.executable, "-c", "import sqlalchemy.orm"])
    help_ = _median(avtomon_cmd("--help"))
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/s.db"
        feeds = str(ROOT / "feeds.yaml")
        run_child(avtomon_cmd("--db", db, "db", "upgrade"))  # creates the schema once (feeds only reads)
        feeds_cmd = _median(avtomon_cmd("--db", db, "--feeds", feeds, "feeds"))
    return [
        Figure("avtomon --help", f"{help_:.2f} s", f"python -c pass {python:.2f} s", None, "≤ 0.5 s", help_ <= 0.5),
        Figure("avtomon feeds (19 feeds, SQLite)", f"{feeds_cmd:.2f} s",
               f"python + import sqlalchemy.orm alone {orm:.2f} s", feeds_cmd / orm, "≤ 0.5 s", feeds_cmd <= 0.5),
    ]
