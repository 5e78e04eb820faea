"""The README and docs/ stay true: every example is run or parsed here.

- ```console blocks: each `$ ` line is run by bash in a scratch folder (the demo store prepared, except
  for the README, whose tour builds it), and the lines under it are its output; `…` in an expected line
  stands for any text, and a last line `…` for any further lines.
- ```sh blocks: every `avtomon …` line must parse: its commands and options must exist.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from avtomon.cli import cli

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def blocks(path: Path, kind: str) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) if lang == kind]


def sessions(body: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of a console block."""
    out: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    if expected and expected[-1] == "…":
        expected, actual = expected[:-1], actual[: len(expected) - 1]
    if len(expected) != len(actual):
        return False
    return all(re.fullmatch(".*".join(map(re.escape, e.split("…"))), a) for e, a in zip(expected, actual,
                                                                                          strict=True))


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    (folder / "tests").symlink_to(ROOT / "tests")
    res = run_line("avtomon --db sqlite:///demo.db --feeds tests/data/demo/feeds.yaml --quiet ingest", folder)
    assert res.returncode == 0, res.stdout
    return folder / "demo.db"


def run_line(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "PYTHONUNBUFFERED": "1",
           "COLUMNS": "200"}
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=600)  # one stream, in the order a terminal shows it


@pytest.mark.parametrize("path", [p for p in DOCS if blocks(p, "console")], ids=lambda p: p.name)
def test_console_examples_print_what_they_say(path: Path, demo_store: Path, tmp_path: Path) -> None:
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    for name in ("feeds.yaml",):
        shutil.copy(ROOT / name, tmp_path / name)
    if path.name != "README.md":  # the README's tour builds the demo store itself
        shutil.copy(demo_store, tmp_path / "demo.db")
    for body in blocks(path, "console"):
        for command, expected in sessions(body):
            res = run_line(command, tmp_path)
            actual = res.stdout.rstrip("\n").splitlines()
            assert matches([e for e in expected if e != ""], [a for a in actual if a != ""]), (
                f"{path.name}: $ {command}\n--- expected\n" + "\n".join(expected) + "\n--- got\n" + "\n".join(actual))


def unparsed(ctx: click.Context) -> list[str]:
    # the subcommand and its arguments: click 8 keeps the name apart (protected_args, deprecated), click 9 not
    return [*getattr(ctx, "_protected_args", []), *ctx.args]


def parses(args: list[str]) -> None:
    """Walk the command line through click without running it: unknown commands or options raise."""
    ctx = cli.make_context("avtomon", list(args), resilient_parsing=False)
    command: click.Command = cli
    rest = unparsed(ctx)
    while isinstance(command, click.Group) and rest:
        name, *rest = rest
        sub = command.get_command(ctx, name)
        assert sub is not None, f"no command {name!r}"
        ctx = sub.make_context(name, rest, parent=ctx, resilient_parsing=False)
        command, rest = sub, unparsed(ctx)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_sh_examples_use_real_commands_and_options(path: Path) -> None:
    for body in blocks(path, "sh"):
        for line in body.replace("\\\n", " ").splitlines():
            line = line.split("#", 1)[0].strip()
            if not line.startswith("avtomon "):
                continue
            line = line.split("|")[0].split(">")[0].split("&&")[0]
            try:
                parses(shlex.split(line)[1:])
            except (click.UsageError, click.BadParameter, AssertionError) as exc:
                pytest.fail(f"{path.name}: {line}: {exc}")
