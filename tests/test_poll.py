"""End-to-end polling into a real store (SQLite file and PostgreSQL) from a loopback server."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug import Request, Response

from avtomon.cli import cli
from avtomon.db import open_store
from avtomon.models import Article, Feed, PollRun
from tests.conftest import feed_bytes, write_feeds


def run(db_url: str, feeds: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", db_url, "--feeds", str(feeds), *args], catch_exceptions=False)


def count(db_url: str, model: type = Article) -> int:
    engine = open_store(db_url)
    with Session(engine) as s:
        n = s.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return n or 0


def feed_row(db_url: str, name: str) -> Feed:
    engine = open_store(db_url)
    with Session(engine) as s:
        row = s.scalars(select(Feed).where(Feed.name == name)).one()
    engine.dispose()
    return row


def serve_good_and_bad(httpserver: HTTPServer) -> list[dict]:
    """Nine feeds on loopback: five good ones in every encoding trouble, four broken ones."""

    def etag_feed(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"k1"':
            return Response(status=304)
        return Response(feed_bytes("komtrans_rss20.xml"), content_type="application/rss+xml; charset=utf-8",
                         headers={"ETag": '"k1"'})

    httpserver.expect_request("/komtrans").respond_with_handler(etag_feed)
    httpserver.expect_request("/autostat").respond_with_data(feed_bytes("autostat_atom.xml"),
                                                             content_type="application/atom+xml")
    # windows-1251 body served as utf-8: the server lies
    httpserver.expect_request("/drom").respond_with_data(feed_bytes("drom_cp1251.xml"),
                                                         content_type="text/xml; charset=utf-8")
    httpserver.expect_request("/broken").respond_with_data(feed_bytes("malformed.xml"), content_type="text/xml")
    httpserver.expect_request("/rdf").respond_with_data(feed_bytes("rss10.rdf"), content_type="application/rdf+xml")
    httpserver.expect_request("/html").respond_with_data(feed_bytes("page.html"), content_type="text/html")
    httpserver.expect_request("/gone").respond_with_data("Not here", status=404)
    httpserver.expect_request("/oops").respond_with_data("Server error", status=500)
    httpserver.expect_request("/busy").respond_with_data("busy", status=429, headers={"Retry-After": "3600"})
    names = ["komtrans", "autostat", "drom", "broken", "rdf", "html", "gone", "oops", "busy"]
    return [{"name": n, "url": httpserver.url_for(f"/{n}"), "tags": ["auto"]} for n in names]


def test_poll_stores_good_feeds_and_reports_bad_ones(db_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", serve_good_and_bad(httpserver))
    result = run(db_url, feeds, "poll")
    assert result.exit_code == 1, result.output
    assert "9 feeds polled, 5 ok, 4 failed, 11 new articles" in result.output
    assert "FAIL html: not a feed: got an HTML page" in result.output
    assert "FAIL gone: HTTP 404" in result.output
    assert count(db_url) == 11
    engine = open_store(db_url)
    with Session(engine) as s:
        titles = set(s.scalars(select(Article.title)))
        assert "Шинный завод Cordiant в Ярославле нарастил производство" in titles  # cp1251 served as utf-8
        runs = {r.feed: r for r in s.scalars(select(PollRun))}
        assert runs["broken"].status == "ok" and "malformed XML" in runs["broken"].error
        assert runs["gone"].status == "error" and runs["gone"].http_status == 404
        assert runs["komtrans"].items_seen == 4 and runs["komtrans"].items_new == 4
        assert all(r.duration_ms >= 0 for r in runs.values())
    engine.dispose()
    busy = feed_row(db_url, "busy")
    now = datetime.now(UTC).replace(tzinfo=None)
    assert busy.failures == 1 and busy.next_poll_at and busy.next_poll_at > now + timedelta(minutes=50)
    assert feed_row(db_url, "html").last_error == "not a feed: got an HTML page (check the feed URL)"
    assert feed_row(db_url, "komtrans").etag == '"k1"'

    # Second run: 304 for the ETag feed, nothing new anywhere, the 429 feed waits out Retry-After.
    second = run(db_url, feeds, "--quiet", "poll")
    assert second.exit_code == 1
    assert second.output.strip() == ("8 feeds polled, 5 ok, 3 failed, 0 new articles, 1 skipped (1 waiting out a "
                                     "backoff after failures)")
    assert count(db_url) == 11
    engine = open_store(db_url)
    with Session(engine) as s:
        last = s.scalars(select(PollRun).where(PollRun.feed == "komtrans").order_by(PollRun.id.desc())).first()
        assert last is not None and last.status == "not_modified" and last.http_status == 304
    engine.dispose()
    assert feed_row(db_url, "gone").failures == 2 and feed_row(db_url, "gone").next_poll_at is not None


def test_backoff_and_force(db_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/oops").respond_with_data("err", status=500)
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "oops", "url": httpserver.url_for("/oops")}])
    run(db_url, feeds, "poll")
    assert feed_row(db_url, "oops").next_poll_at is None  # first failure: retry next run
    run(db_url, feeds, "poll")
    row = feed_row(db_url, "oops")
    assert row.failures == 2 and row.next_poll_at is not None
    waited = run(db_url, feeds, "poll")
    # nothing could be polled: its own exit status, and the reason
    assert waited.exit_code == 4 and "0 feeds polled" in waited.output
    assert "1 skipped (1 waiting out a backoff after failures)" in waited.output
    assert "state" in run(db_url, feeds, "feeds").output.splitlines()[0]
    assert ",waiting out a backoff after failures," in run(db_url, feeds, "feeds").output
    forced = run(db_url, feeds, "poll", "--force")
    assert forced.exit_code == 4 and feed_row(db_url, "oops").failures == 3  # every feed polled failed
    assert feed_row(db_url, "oops").last_error == "HTTP 500 INTERNAL SERVER ERROR"


def test_recovery_resets_failures(db_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    state = {"fail": True}

    def flaky(_r: Request) -> Response:
        return Response("down", status=503) if state["fail"] else Response(feed_bytes("rss10.rdf"))

    httpserver.expect_request("/flaky").respond_with_handler(flaky)
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "flaky", "url": httpserver.url_for("/flaky")}])
    run(db_url, feeds, "poll")
    state["fail"] = False
    assert run(db_url, feeds, "poll").exit_code == 0
    row = feed_row(db_url, "flaky")
    assert row.failures == 0 and row.last_error is None and row.last_success_at is not None


def test_permanent_redirect_updates_stored_url(db_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=308, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data(feed_bytes("rss10.rdf"))
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "moved", "url": httpserver.url_for("/old")}])
    assert run(db_url, feeds, "poll").exit_code == 0
    assert feed_row(db_url, "moved").url == httpserver.url_for("/new")
    # editing feeds.yaml wins over the remembered redirect, on the first run after the edit, even when
    # the same edit changes the feed's tags
    httpserver.expect_request("/other").respond_with_data(feed_bytes("rss10.rdf"))
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "moved", "url": httpserver.url_for("/other"),
                                                   "tags": ["auto"]}])
    run(db_url, feeds, "poll")
    row = feed_row(db_url, "moved")
    assert row.url == httpserver.url_for("/other") and row.tags == "auto"


def test_dedup_across_feeds_guids_and_hashes(db_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    body = feed_bytes("komtrans_rss20.xml")
    # a second feed carries the same articles (same canonical URLs after utm stripping)
    httpserver.expect_request("/a").respond_with_data(body)
    httpserver.expect_request("/b").respond_with_data(body.replace(b"#comments", b"&amp;utm_campaign=x"))
    # the guid stays but the link changes between runs
    state = {"link": "https://example.ru/news/1"}

    def guid_feed(_r: Request) -> Response:
        return Response(f"""<rss version="2.0"><channel><title>t</title><item><title>ГАЗ обновил «Соболь»</title>
            <link>{state['link']}</link><guid isPermaLink="false">gaz-1</guid><description>Текст</description>
            </item></channel></rss>""".encode())

    httpserver.expect_request("/guid").respond_with_handler(guid_feed)
    # entries with no link and no guid: only the title+text hash identifies them
    nolink = """<rss version="2.0"><channel><title>t</title>
        <item><title>Без ссылки</title><description>Текст новости о заводе КАМАЗ без ссылки</description></item>
        <item><title>Без ссылки</title><description>Текст новости о заводе КАМАЗ без ссылки</description></item>
        </channel></rss>""".encode()
    httpserver.expect_request("/nolink").respond_with_data(nolink)
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": n, "url": httpserver.url_for(f"/{n}")}
                                                  for n in ("a", "b", "guid", "nolink")])
    assert run(db_url, feeds, "poll").exit_code == 0
    assert count(db_url) == 4 + 1 + 1
    state["link"] = "https://example.ru/news/1-renamed"
    assert "0 new articles" in run(db_url, feeds, "poll").output
    assert count(db_url) == 6


def test_interval_skips_recently_polled_feed(db_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/rdf").respond_with_data(feed_bytes("rss10.rdf"))
    feeds = write_feeds(tmp_path / "feeds.yaml",
                        [{"name": "hourly", "url": httpserver.url_for("/rdf"), "interval": "1h"},
                         {"name": "off", "url": httpserver.url_for("/rdf"), "enabled": False}])
    assert "1 feeds polled" in run(db_url, feeds, "poll").output
    again = run(db_url, feeds, "poll")
    assert "0 feeds polled" in again.output and "2 skipped" in again.output
    assert "1 feeds polled" in run(db_url, feeds, "poll", "--force").output
    assert "1 feeds polled" in run(db_url, feeds, "poll", "--feed", "hourly", "--force").output
    unknown = run(db_url, feeds, "poll", "--feed", "nope")
    assert unknown.exit_code == 2 and "no such feed" in unknown.output


def test_feeds_health_and_check(db_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/rdf").respond_with_data(feed_bytes("rss10.rdf"))
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "Авторевю", "url": httpserver.url_for("/rdf")},
                                                  {"name": "Пропавшая", "url": httpserver.url_for("/gone")}])
    before = run(db_url, feeds, "feeds")
    if db_url.startswith("sqlite"):  # a command that reads never creates a store
        assert before.exit_code == 2 and "no such store" in before.output
    run(db_url, feeds, "poll")
    health = run(db_url, feeds, "feeds")
    assert "Авторевю,due,20" in health.output and ",0,—,1," in health.output
    assert "Пропавшая,due,—,1,—,0,HTTP 404 NOT FOUND" in health.output
    failing = run(db_url, feeds, "feeds", "--failing", "1")
    assert "Пропавшая" in failing.output and "Авторевю" not in failing.output
    stored = count(db_url)
    check = run(db_url, feeds, "feeds", "check")
    assert check.exit_code == 1
    assert "Авторевю,ok,200,1,2026-02-06 09:00," in check.output
    assert "Пропавшая,error,404,0,—,HTTP 404 NOT FOUND" in check.output
    assert count(db_url) == stored and count(db_url, PollRun) == 2  # check stores nothing


@pytest.mark.parametrize("quiet", [True, False])
def test_demo_feeds_twice(db_url: str, quiet: bool) -> None:
    demo = Path(__file__).parent / "data" / "demo" / "feeds.yaml"
    args = ["--quiet"] if quiet else []
    first = run(db_url, demo, *args, "poll")
    assert first.exit_code == 0 and "15 new articles" in first.output
    second = run(db_url, demo, *args, "poll")
    assert second.exit_code == 0 and "0 new articles" in second.output
    if quiet:
        assert len(second.output.strip().splitlines()) == 1


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from avtomon import cli as cli_module
    from avtomon.cli_common import Context
    from avtomon.pipeline.run import FeedOutcome

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    update, stop = cli_module._progress_printer(Context(db="", feeds="", quiet=False))
    assert update is not None
    update(FeedOutcome("Комтранс", "ok", 200, 4, 4, None), 2)
    update(FeedOutcome("Автостат", "ok", 200, 2, 2, None), 2)
    stop()
    assert "polling" in screen.getvalue() and "2/2" in screen.getvalue()
    assert cli_module._progress_printer(Context(db="", feeds="", quiet=True))[0] is None
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # piped: no bar
    assert cli_module._progress_printer(Context(db="", feeds="", quiet=False))[0] is None
