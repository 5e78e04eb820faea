"""The store: migrations on both backends, SQLite WAL, `avtomon db upgrade`, clear errors."""

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import inspect, text

from avtomon.cli import cli
from avtomon.db import current_revision, head_revision, make_engine, open_store

CONTRACT = {
    "feeds": {"name", "url", "etag", "last_modified", "failures", "next_poll_at", "last_error", "last_success_at"},
    "poll_runs": {"feed", "started_at", "status", "http_status", "items_seen", "items_new", "error", "duration_ms"},
    "articles": {"url", "guid", "feed", "title", "text", "published_at", "fetched_at", "content_hash",
                 "extract_status", "extractor_version"},
    "entities": {"kind", "key", "name"},
    "mentions": {"article_id", "entity_id", "start_char", "end_char", "text"},
    "events": {"article_id", "type", "company_id", "region_id", "categories", "sentence"},
}


def test_new_store_is_migrated_with_contract_tables(db_url: str) -> None:
    engine = open_store(db_url)
    assert current_revision(engine) == head_revision(engine)
    insp = inspect(engine)
    for table, columns in CONTRACT.items():
        assert columns <= {c["name"] for c in insp.get_columns(table)}, table
    engine.dispose()


def test_schema_head_constant_matches_migrations(sqlite_url: str) -> None:
    from avtomon.db import SCHEMA_HEAD

    assert head_revision(make_engine(sqlite_url)) == SCHEMA_HEAD


def test_sqlite_uses_wal(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_db_upgrade_command(db_url: str) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", db_url, "db", "upgrade"])
    assert first.exit_code == 0 and "(was empty)" in first.output
    second = runner.invoke(cli, ["--db", db_url, "db", "upgrade"])
    assert second.exit_code == 0 and "schema already at" in second.output
    assert current_revision(make_engine(db_url)) == head_revision(make_engine(db_url))


def test_postgres_url_without_driver_uses_psycopg3() -> None:
    assert make_engine("postgresql://u@127.0.0.1/x").url.drivername == "postgresql+psycopg"


def test_bad_urls_give_clear_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", "nonsense", "db", "upgrade"])
    assert res.exit_code == 2 and "is not a database URL" in res.output
    res = runner.invoke(cli, ["--db", f"sqlite:///{tmp_path}/no/such/dir/a.db", "db", "upgrade"])
    assert res.exit_code == 2 and "does not exist" in res.output
    res = runner.invoke(cli, ["--db", "postgresql+psycopg://nobody@127.0.0.1:9/x", "--feeds", "feeds.yaml", "feeds"])
    assert res.exit_code == 2 and "cannot open the store" in res.output and "is the server running" in res.output
    res = runner.invoke(cli, ["--db", "mysql://u@127.0.0.1/x", "query", "companies"])
    assert res.exit_code == 2 and "unsupported database" in res.output
