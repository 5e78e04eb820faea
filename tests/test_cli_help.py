"""Every command and option explains itself: a description, and an example for each command."""

from __future__ import annotations

import click
from click.testing import CliRunner

from avtomon.cli import cli


def commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, command in group.commands.items():
        out.append(((*path, name), command))
        if isinstance(command, click.Group):
            out += commands(command, (*path, name))
    return out


def test_every_command_and_option_has_help() -> None:
    found = commands(cli)
    assert len(found) >= 20
    for path, command in found:
        assert command.help and "Example:" in command.help, f"avtomon {' '.join(path)}: no description or example"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"avtomon {' '.join(path)} {param.opts[0]}: no help"


def test_group_help_lists_every_subcommand() -> None:
    res = CliRunner().invoke(cli, ["db", "--help"])
    for name in ("upgrade", "stats", "backup", "check"):
        assert f"  {name}" in res.output
    res = CliRunner().invoke(cli, ["query", "companies", "--help"])
    assert "Top companies" in res.output and "avtomon query companies --since 30d" in res.output


def test_eval_csv_is_csv_only() -> None:
    import csv
    import io

    res = CliRunner().invoke(cli, ["eval", "tests/gold/long.jsonl", "--format", "csv"])
    assert res.exit_code == 0, res.output
    table = list(csv.reader(io.StringIO(res.stdout)))
    assert table[0][0] == "field" and all(len(row) == 7 for row in table)
    assert "relevance accuracy" in res.stderr


def test_analyze_refuses_text_that_is_not_utf8(tmp_path) -> None:  # type: ignore[no-untyped-def]
    res = CliRunner().invoke(cli, ["analyze"], input="КАМАЗ запустил завод".encode("cp1251"))
    assert res.exit_code == 2 and "not UTF-8" in res.output and "iconv" in res.output
    path = tmp_path / "news.txt"
    path.write_bytes("Автотор".encode("cp1251"))
    res = CliRunner().invoke(cli, ["analyze", str(path)])
    assert res.exit_code == 2 and "news.txt: not UTF-8" in res.output


def test_analyze_says_it_reads_a_terminal() -> None:
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "avtomon", "analyze", "--compact"], stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(slave)
    os.write(master, "КАМАЗ запустил завод в Набережных Челнах\n".encode())
    os.write(master, b"\x04")  # Ctrl-D at the start of a line: the end of the input
    out, err = proc.communicate(timeout=300)
    os.close(master)
    assert "reading text from stdin" in err and '"key": "kamaz"' in out
