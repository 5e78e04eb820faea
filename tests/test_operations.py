"""Unattended operation with real processes and signals: locks, SIGKILL recovery, concurrent workers,
logging, maintenance. Runs on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from werkzeug import Request, Response

from avtomon.cli import cli
from avtomon.db import open_store
from avtomon.models import Article, Entity, Event, Mention
from avtomon.pipeline.lock import store_lock
from tests.conftest import write_feeds
from tests.store_fixture import news_items, rss

ROOT = Path(__file__).parent.parent


def avtomon(db_url: str, feeds: Path | None, *args: str, wait: bool = True,
            env: dict | None = None) -> subprocess.Popen | subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "avtomon", "--db", db_url]
    if feeds:
        cmd += ["--feeds", str(feeds)]
    cmd += list(args)
    full_env = {**os.environ, **(env or {})}
    if wait:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env=full_env)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=full_env)


def serve_news(server: HTTPServer, feeds: int = 4, slow: float = 0.0) -> list[dict]:
    """`feeds` feeds, each with a quarter of the gold news under its own links."""
    items = news_items()
    out = []
    for n in range(feeds):
        part = [dict(i, link=f"{i['link']}-{n}") for i in items[n::feeds]]

        def handler(_r: Request, body: bytes = rss(part)) -> Response:
            time.sleep(slow)
            return Response(body, content_type="application/rss+xml")

        server.expect_request(f"/feed{n}").respond_with_handler(handler)
        out.append({"name": f"Лента {n}", "url": server.url_for(f"/feed{n}")})
    return out


def store_counts(db_url: str) -> dict[str, int]:
    engine = open_store(db_url)
    with Session(engine) as s:
        out = {
            "articles": s.scalar(select(func.count()).select_from(Article)),
            "done": s.scalar(select(func.count()).where(Article.extract_status == "done")),
            "mentions": s.scalar(select(func.count()).select_from(Mention)),
            "distinct_mentions": s.scalar(select(func.count()).select_from(
                select(Mention.article_id, Mention.entity_id, Mention.start_char, Mention.end_char).distinct()
                .subquery())),
            "events": s.scalar(select(func.count()).select_from(Event)),
            "distinct_events": s.scalar(select(func.count()).select_from(
                select(Event.article_id, Event.type, Event.company_id, Event.start_char).distinct().subquery())),
            "entities": s.scalar(select(func.count()).select_from(Entity)),
            "distinct_urls": s.scalar(select(func.count(func.distinct(Article.url)))),
        }
    engine.dispose()
    return out


def wait_until(db_url: str, condition, proc: subprocess.Popen, timeout: float = 120) -> bool:  # type: ignore[no-untyped-def]
    """Poll the store until `condition(counts)` holds or the process ends (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if condition(store_counts(db_url)):
                return True
        except Exception:  # the schema may not exist yet
            pass
        time.sleep(0.05)
    return False


def assert_complete(db_url: str, expected_articles: int) -> None:
    c = store_counts(db_url)
    assert c["articles"] == expected_articles == c["distinct_urls"]
    assert c["done"] == expected_articles
    assert c["mentions"] == c["distinct_mentions"] and c["mentions"] > 0
    assert c["events"] == c["distinct_events"]


@pytest.mark.slow
def test_sigkill_at_several_points_loses_nothing(db_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", serve_news(httpserver, feeds=4, slow=0.4),
                        {"concurrency": 1})
    expected = len(news_items())
    kill_points = [
        lambda c: c["articles"] > 0,  # during the poll: some feeds stored, others not yet
        lambda c: c["done"] > 0,  # during extraction
        lambda c: c["done"] > expected // 2,  # later in extraction
    ]
    for point in kill_points:
        proc = avtomon(db_url, feeds, "ingest", "--force", "--batch", "4", wait=False)
        reached = wait_until(db_url, point, proc)
        assert reached and proc.poll() is None  # killed mid-run, not after it had finished
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        c = store_counts(db_url)
        assert c["mentions"] == c["distinct_mentions"]  # never half-written, never doubled
    final = avtomon(db_url, feeds, "ingest")
    assert final.returncode == 0, final.stderr
    assert_complete(db_url, expected)


def test_overlapping_run_exits_at_once(db_url: str, tmp_path: Path) -> None:
    demo = ROOT / "tests" / "data" / "demo" / "feeds.yaml"
    engine = open_store(db_url)
    with store_lock(engine):
        busy = avtomon(db_url, demo, "ingest")
        assert busy.returncode == 3
        assert "another avtomon ingest is running" in busy.stderr
        assert store_counts(db_url)["articles"] == 0
    engine.dispose()
    assert avtomon(db_url, demo, "--quiet", "ingest").returncode == 0


def test_lock_of_a_killed_run_never_blocks(db_url: str, tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom avtomon.db import open_store\nfrom avtomon.pipeline.lock import store_lock\n"
        f"with store_lock(open_store({db_url!r})):\n    print('locked', flush=True)\n    time.sleep(600)\n")],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout.readline().strip() == "locked"
    demo = ROOT / "tests" / "data" / "demo" / "feeds.yaml"
    assert avtomon(db_url, demo, "poll").returncode == 3
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert avtomon(db_url, demo, "poll").returncode == 0


@pytest.mark.slow
def test_concurrent_extract_workers_share_the_backlog(db_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", serve_news(httpserver, feeds=2))
    assert avtomon(db_url, feeds, "poll").returncode == 0
    expected = store_counts(db_url)["articles"]
    # two extract commands at once (as on two machines), one of them with two worker processes
    a = avtomon(db_url, None, "extract", "--batch", "3", "--workers", "2", wait=False)
    b = avtomon(db_url, None, "extract", "--batch", "3", wait=False)
    out_a, out_b = a.communicate(timeout=600), b.communicate(timeout=600)
    assert a.returncode == 0 and b.returncode == 0, (out_a, out_b)
    done = [int(o[0].split(" articles extracted")[0]) for o in (out_a, out_b)]
    assert sum(done) == expected  # every article extracted exactly once
    assert_complete(db_url, expected)


def test_dead_worker_claims_are_taken_back(db_url: str) -> None:
    demo = ROOT / "tests" / "data" / "demo" / "feeds.yaml"
    avtomon(db_url, demo, "poll")
    engine = open_store(db_url)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    owner = f"{socket.gethostname()}:{dead.stdout.strip()}:abcdef"
    with Session(engine) as s, s.begin():
        s.execute(text("UPDATE articles SET extract_status='working', claimed_by=:o, claimed_at=CURRENT_TIMESTAMP"),
                  {"o": owner})
    engine.dispose()
    out = avtomon(db_url, None, "extract")
    assert out.returncode == 0 and "15 articles extracted" in out.stdout


def test_log_file_json(db_url: str, tmp_path: Path) -> None:
    demo = ROOT / "tests" / "data" / "demo" / "feeds.yaml"
    log = tmp_path / "avtomon.log"
    res = CliRunner().invoke(cli, ["--db", db_url, "--feeds", str(demo), "--quiet", "--log-file", str(log),
                                   "--log-format", "json", "poll"])
    assert res.exit_code == 0
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    feeds = [x for x in lines if x.get("feed")]
    assert len(feeds) == 6 and all(x["status"] == "ok" and "items_new" in x for x in feeds)


def test_db_stats_and_prune(db_url: str) -> None:
    demo = ROOT / "tests" / "data" / "demo" / "feeds.yaml"
    runner = CliRunner()
    runner.invoke(cli, ["--db", db_url, "--feeds", str(demo), "ingest"])
    stats = runner.invoke(cli, ["--db", db_url, "db", "stats", "--format", "csv"]).output
    assert "table,articles,15" in stats and "extraction,backlog,0" in stats and "store,size_bytes," in stats
    assert "table,stories,15" in stats and "stories,grouping backlog,0" in stats  # 15 different news
    assert "alerts,deliveries waiting,0" in stats
    dry = runner.invoke(cli, ["--db", db_url, "prune", "--older-than", "2026-02-05", "--dry-run"])
    assert dry.output.startswith("would delete 3 articles")
    assert "table,articles,15" in runner.invoke(cli, ["--db", db_url, "db", "stats", "--format", "csv"]).output
    real = runner.invoke(cli, ["--db", db_url, "prune", "--older-than", "2026-02-05"])
    assert real.output.startswith("deleted 3 articles")
    engine = open_store(db_url)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 12
        orphans = s.scalar(select(func.count()).select_from(Mention).where(~Mention.article_id.in_(
            select(Article.id))))
        assert orphans == 0
    # the feeds still carry the three pruned articles: polling again must not bring them back
    again = runner.invoke(cli, ["--db", db_url, "--feeds", str(demo), "poll", "--force"])
    assert again.exit_code == 0 and "0 new articles" in again.output, again.output
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 12
    engine.dispose()


def test_sqlite_online_backup_while_ingest_writes(sqlite_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", serve_news(httpserver, feeds=2))
    writer = avtomon(sqlite_url, feeds, "ingest", "--batch", "2", wait=False)
    while not has_schema(Path(sqlite_url.removeprefix("sqlite:///"))) and writer.poll() is None:
        time.sleep(0.05)  # a backup of a store not yet created is an error
    backups = []
    while writer.poll() is None and len(backups) < 5:
        backup = tmp_path / f"copy{len(backups)}.db"
        res = CliRunner().invoke(cli, ["--db", sqlite_url, "db", "backup", str(backup)])
        assert res.exit_code == 0, res.output
        backups.append(backup)
    writer.wait()
    assert writer.returncode == 0
    backup = tmp_path / "final.db"
    assert CliRunner().invoke(cli, ["--db", sqlite_url, "db", "backup", str(backup)]).exit_code == 0
    backups.append(backup)
    for path in backups:
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            done = conn.execute("SELECT count(*) FROM articles WHERE extract_status = 'done'").fetchone()[0]
            mentions = conn.execute("SELECT count(DISTINCT article_id) FROM mentions").fetchone()[0]
            assert mentions <= done  # a copy never holds facts of an article not marked done
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == len(news_items())


def has_schema(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with sqlite3.connect(path) as conn:
            return bool(conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0])
    except sqlite3.Error:
        return False


def test_backup_refuses_postgres(pg_url: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["--db", pg_url, "db", "backup", str(tmp_path / "x.db")])
    assert res.exit_code == 2 and "pg_dump" in res.output
