"""Shared helpers: the machine, timing, child-process peak memory, results table."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


@dataclass
class Figure:
    """One benchmark line: what, the measured value, the baseline, the ratio and the target."""

    name: str
    value: str
    baseline: str
    ratio: float | None
    target: str
    ok: bool

    def row(self) -> list[str]:
        return [self.name, self.value, self.baseline, "" if self.ratio is None else f"{self.ratio:.2f}",
                self.target, "yes" if self.ok else "NO"]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.node()} · {cpu} · {os.cpu_count()} cores · Python {platform.python_version()} · "
            f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}")


def run_child(args: list[str], env: dict | None = None, cwd: Path = ROOT, ok: tuple[int, ...] = (0,)
              ) -> tuple[float, int, str]:
    """Run a command; returns (wall seconds, peak RSS in MiB of that child, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env={**os.environ, **(env or {})})
    out, err = "", ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        raise RuntimeError(f"{args} failed ({proc.returncode}): {err[-2000:]}")
    return wall, usage.ru_maxrss // 1024, out


def compile_project() -> None:
    """Byte-compile the project before commands are timed. An installed package comes with its bytecode,
    but a checkout run with PYTHONDONTWRITEBYTECODE (set on some hosts and CI images) compiles every
    module again at each start: 0.2–0.3 s more per command, which is not what a user's command costs."""
    import compileall

    compileall.compile_dir(str(ROOT / "avtomon"), quiet=1)


def avtomon_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "avtomon", *args]


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([line, sep, *body])


def self_peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
