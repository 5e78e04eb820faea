"""How failures reach the user: one line, a distinct exit status, never a traceback, nothing lost.

Real processes, a real SQLite file (damaged on purpose), the real PostgreSQL (its backends
terminated mid-run), real signals."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import psycopg
import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.exc import OperationalError

from avtomon.cli_common import EXIT_SIGINT, EXIT_SIGTERM, EXIT_STORE, EXIT_USAGE, explain
from tests.conftest import write_feeds
from tests.store_fixture import news_items
from tests.test_operations import ROOT, avtomon, serve_news, store_counts, wait_until

DEMO = ROOT / "tests" / "data" / "demo" / "feeds.yaml"


def one_line_error(res) -> str:  # type: ignore[no-untyped-def]
    """The error output of a failed command: short, and never a traceback."""
    assert "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert 1 <= len(lines) <= 3, res.stderr
    return res.stderr


def test_read_only_commands_never_create_a_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demoo.db'}"
    for args in (["query", "articles"], ["export", str(tmp_path / "x.xlsx")], ["feeds"], ["db", "stats"]):
        res = avtomon(url, DEMO, *args)
        assert res.returncode == EXIT_USAGE and "demoo.db: no such store" in one_line_error(res)
    assert not (tmp_path / "demoo.db").exists()


def test_unopenable_stores_exit_2(tmp_path: Path) -> None:
    for url, expected in (("mysql://u@127.0.0.1/x", "unsupported database"),
                          ("postgresql+psycopg://nobody@127.0.0.1:9/x", "is the server running"),
                          (f"sqlite:///{tmp_path}/missing/dir/a.db", "does not exist")):
        res = avtomon(url, DEMO, "ingest")
        assert res.returncode == EXIT_USAGE and expected in one_line_error(res)
    res = avtomon(f"sqlite:///{tmp_path / 'a.db'}", DEMO, "db", "upgrade")
    assert res.returncode == 0
    res = avtomon(f"sqlite:///{tmp_path / 'a.db'}", DEMO, "db", "backup", str(tmp_path / "no" / "b.db"))
    assert res.returncode == EXIT_USAGE and "does not exist" in one_line_error(res)


def test_a_file_that_is_no_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"PK\x03\x04 this is a zip archive, not a store" * 200)
    for args in (["query", "articles"], ["feeds"], ["ingest"]):
        res = avtomon(f"sqlite:///{bad}", DEMO, *args)
        assert res.returncode == EXIT_USAGE
        assert "file is not a database" in one_line_error(res) and "backup" in res.stderr


def test_damage_inside_the_file_is_found_before_ingest_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert avtomon(url, DEMO, "--quiet", "ingest").returncode == 0
    path = tmp_path / "demo.db"
    size = path.stat().st_size
    with path.open("r+b") as fh:  # zero a run of pages in the middle of the file
        fh.seek(size // 2 // 4096 * 4096)
        fh.write(b"\x00" * 4096 * 4)
    res = avtomon(url, DEMO, "ingest")
    assert res.returncode == EXIT_USAGE and ("integrity check" in one_line_error(res) or "malformed" in res.stderr)


def test_verbose_shows_the_trace(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 1000)
    res = avtomon(f"sqlite:///{bad}", DEMO, "-v", "query", "articles")
    assert res.returncode == EXIT_USAGE and "not a database" in res.stderr


def test_real_database_errors_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x TEXT)").connection.commit()
    from sqlalchemy import create_engine, text

    ro = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(OperationalError) as readonly, ro.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES ('x')"))
    failure = explain(readonly.value, f"sqlite:///{path}")
    assert failure is not None and failure.exit_code == EXIT_USAGE and "permissions" in failure.message

    full = create_engine(f"sqlite:///{path}")
    with pytest.raises(OperationalError) as disk_full, full.begin() as conn:
        conn.execute(text("PRAGMA max_page_count = 2"))  # SQLite's own "disk full", for real
        conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": "ё" * 4000}] * 20)
    failure = explain(disk_full.value, f"sqlite:///{path}")
    assert failure is not None and failure.exit_code == EXIT_STORE and "free some space" in failure.message
    assert explain(ValueError("a bug"), "") is None  # bugs keep their traceback


def test_log_file_in_a_new_folder_gets_one_summary_line(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "deep" / "avtomon.log"
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    res = avtomon(url, DEMO, "--quiet", "--log-file", str(log), "ingest")
    assert res.returncode == 0, res.stderr
    text = log.read_text(encoding="utf-8")
    assert text.count(" run: ") == 1 and "articles extracted" in text
    assert "Loading dictionaries" not in text
    res = avtomon(url, DEMO, "--log-file", "/proc/version/avtomon.log", "feeds")
    assert res.returncode == EXIT_USAGE and "--log-file" in one_line_error(res)


def test_feeds_yaml_rejects_infinite_and_negative_values(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    for settings, feed, field in (({"timeout": float("inf")}, {}, "settings.timeout"),
                                  ({"timeout": float("nan")}, {}, "settings.timeout"),
                                  ({}, {"interval": -5}, "interval"), ({}, {"interval": "0m"}, "interval")):
        feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "A", "url": "https://a.ru/rss", **feed}],
                            settings or None)
        res = avtomon(url, feeds, "poll")
        assert res.returncode == EXIT_USAGE and field in one_line_error(res) and "positive" in res.stderr


def test_offline_machine_is_said_once(tmp_path: Path) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": f"Лента {i}", "url": f"https://feed{i}.invalid/rss"}
                                                  for i in range(6)])
    res = avtomon(f"sqlite:///{tmp_path / 'a.db'}", feeds, "poll")
    assert res.returncode == 4  # every feed failed
    assert "offline?" in res.stderr and res.stderr.count("offline") == 1
    assert "(Лента 0: " in res.stderr  # one example, the first by name whichever failed first
    assert not any(f"Лента {i}" in res.stderr for i in range(1, 6))  # no line per feed
    assert "WARNING" not in res.stderr  # no raw log lines
    assert "6 feeds polled, 0 ok, 6 failed" in res.stdout


def test_each_failure_is_printed_once(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    feeds = write_feeds(tmp_path / "feeds.yaml", [*serve_news(httpserver, feeds=1),
                                                  {"name": "Пропавшая", "url": httpserver.url_for("/gone")}])
    res = avtomon(f"sqlite:///{tmp_path / 'a.db'}", feeds, "poll")
    assert res.returncode == 1
    assert res.stderr.count("Пропавшая") == 1 and "FAIL Пропавшая: HTTP 404" in res.stderr


@pytest.mark.parametrize("sig, status, word", [(signal.SIGTERM, EXIT_SIGTERM, "terminated"),
                                               (signal.SIGINT, EXIT_SIGINT, "interrupted")])
def test_signals_stop_the_run_and_its_workers(tmp_path: Path, httpserver: HTTPServer, sig: int, status: int,
                                              word: str) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    feeds = write_feeds(tmp_path / "feeds.yaml", serve_news(httpserver, feeds=2))
    proc = avtomon(url, feeds, "ingest", "--workers", "2", "--batch", "1", wait=False)
    assert wait_until(url, lambda c: c["done"] > 0, proc)
    workers = children(proc.pid)
    assert len(workers) == 2
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == status and word in err and "Traceback" not in err
    deadline = time.monotonic() + 60
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers)  # no worker goes on after the parent has stopped
    again = avtomon(url, feeds, "--quiet", "ingest")
    assert again.returncode == 0 and store_counts(url)["done"] == len(news_items())


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_postgres_lost_mid_run(pg_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", serve_news(httpserver, feeds=2))
    proc = avtomon(pg_url, feeds, "ingest", "--batch", "1", wait=False)
    assert wait_until(pg_url, lambda c: c["done"] > 0, proc)
    name = pg_url.rsplit("/", 1)[1]
    admin = pg_url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        # keep the database unreachable until the run gives up: forbid new connections, end the current ones
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                     "pg_backend_pid()", (name,))
        try:
            out, err = proc.communicate(timeout=300)
        finally:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    assert proc.returncode == EXIT_STORE, err
    assert "Traceback" not in err and "lost the store" in err and len(err.splitlines()) <= 3
    assert "extraction failed" in out  # the poll's summary is still printed
    again = avtomon(pg_url, feeds, "--quiet", "ingest")
    assert again.returncode == 0 and store_counts(pg_url)["done"] == len(news_items())


def test_timeout_reports_the_real_time(tmp_path: Path, httpserver: HTTPServer) -> None:
    def slow(_request):  # type: ignore[no-untyped-def]
        time.sleep(3)
        from werkzeug import Response

        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "Медленная", "url": httpserver.url_for("/slow")}],
                        {"timeout": 1.0})
    res = avtomon(f"sqlite:///{tmp_path / 'a.db'}", feeds, "poll")
    assert "timed out after 1." in res.stderr and "waiting for data (limit 1 s)" in res.stderr



def test_big_files_are_checked_once_a_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from avtomon import db
    from avtomon.db import check_integrity, open_store
    from avtomon.errors import StoreError

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert avtomon(url, DEMO, "--quiet", "ingest").returncode == 0
    monkeypatch.setattr(db, "ALWAYS_CHECK_BYTES", 0)  # every file counts as big
    engine = open_store(url)
    check_integrity(engine, when_due=True)  # checked, and the time remembered
    engine.dispose()
    path = tmp_path / "demo.db"
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size - 4096 * 3)  # pages of article text, not the schema or store_state
        fh.write(b"\x00" * 4096 * 3)
    engine = db.make_engine(url)
    check_integrity(engine, when_due=True)  # checked less than a day ago: not read again
    with pytest.raises(StoreError, match="integrity check"):
        check_integrity(engine)  # `avtomon db check` always reads it
    engine.dispose()


def test_a_reader_that_goes_away_is_no_error(tmp_path: Path) -> None:
    """`avtomon feeds | head -1`: the reader closes the pipe; no trace, no «internal error», status 0."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert avtomon(url, DEMO, "--quiet", "ingest").returncode == 0
    for args in (["feeds"], ["query", "articles", "--format", "csv"]):
        proc = subprocess.Popen([sys.executable, "-m", "avtomon", "--db", url, "--feeds", str(DEMO), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        proc.stdout.close()  # type: ignore[union-attr]  # gone before the command writes a line
        err = proc.stderr.read().decode()  # type: ignore[union-attr]
        assert proc.wait(timeout=120) == 0 and "Traceback" not in err and "internal error" not in err, err
