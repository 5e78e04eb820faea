"""HTTP behaviour against a real server on loopback (pytest-httpserver), and local files."""

import asyncio
import gzip
import socket
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from avtomon.pipeline.fetch import FetchLimits, FetchRequest, fetch_all, fetch_many, parse_retry_after
from tests.conftest import FEEDS, feed_bytes

LIMITS = FetchLimits(timeout=2.0, connect_timeout=2.0, max_body_bytes=1024 * 1024)


def fetch(req: FetchRequest, limits: FetchLimits = LIMITS):  # type: ignore[no-untyped-def]
    (result,) = fetch_all([req], limits)
    return result


def test_ok_with_validators_and_user_agent(httpserver: HTTPServer) -> None:
    body = feed_bytes("komtrans_rss20.xml")
    httpserver.expect_request("/rss", headers={"User-Agent": LIMITS.user_agent}).respond_with_data(
        body, content_type="application/rss+xml; charset=utf-8",
        headers={"ETag": '"v1"', "Last-Modified": "Mon, 02 Feb 2026 09:15:00 GMT"})
    res = fetch(FetchRequest("Комтранс", httpserver.url_for("/rss")))
    assert res.status == "ok" and res.http_status == 200 and res.body == body
    assert res.etag == '"v1"' and res.last_modified == "Mon, 02 Feb 2026 09:15:00 GMT"
    assert res.headers["content-type"].startswith("application/rss+xml")


def test_conditional_get_304(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"' and request.headers.get("If-Modified-Since"):
            return Response(status=304)
        return Response(b"<rss/>", status=200)

    httpserver.expect_request("/rss").respond_with_handler(handler)
    res = fetch(FetchRequest("f", httpserver.url_for("/rss"), etag='"v1"', last_modified="Mon, 02 Feb 2026"))
    assert res.status == "not_modified" and res.http_status == 304 and res.body == b""


@pytest.mark.parametrize(("code", "phrase"), [(404, "NOT FOUND"), (500, "INTERNAL SERVER ERROR")])
def test_http_errors(httpserver: HTTPServer, code: int, phrase: str) -> None:
    httpserver.expect_request("/rss").respond_with_data("нет", status=code)
    res = fetch(FetchRequest("f", httpserver.url_for("/rss")))
    assert res.status == "error" and res.http_status == code
    assert res.error == f"HTTP {code} {phrase}"


def test_429_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rss").respond_with_data("slow down", status=429, headers={"Retry-After": "120"})
    res = fetch(FetchRequest("f", httpserver.url_for("/rss")))
    assert res.status == "error" and res.retry_after == 120


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412420.0) == 60.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("999999999") == 24 * 3600


def test_permanent_redirect_reports_new_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data(feed_bytes("rss10.rdf"))
    res = fetch(FetchRequest("f", httpserver.url_for("/old")))
    assert res.status == "ok" and res.final_url == httpserver.url_for("/new")


def test_temporary_redirect_keeps_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=302, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data(feed_bytes("rss10.rdf"))
    res = fetch(FetchRequest("f", httpserver.url_for("/old")))
    assert res.status == "ok" and res.final_url is None


def test_redirect_loop_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    res = fetch(FetchRequest("f", httpserver.url_for("/loop")))
    assert res.status == "error" and "more than 5 redirects" in (res.error or "")


def test_answer_slower_than_timeout(httpserver: HTTPServer) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(1.5)
        return Response(b"<rss/>")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    res = fetch(FetchRequest("f", httpserver.url_for("/slow")), FetchLimits(timeout=0.5, connect_timeout=0.5))
    assert res.status == "error" and "timed out" in (res.error or "")


def test_body_over_cap_is_cut_and_reported(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 300_000)
    res = fetch(FetchRequest("f", httpserver.url_for("/big")), FetchLimits(max_body_bytes=100_000))
    assert res.status == "ok" and res.truncated and len(res.body) == 100_000
    assert "cut off" in (res.error or "")


def test_gzip_is_decoded_and_bomb_is_capped(httpserver: HTTPServer) -> None:
    body = feed_bytes("komtrans_rss20.xml")
    httpserver.expect_request("/gz").respond_with_data(gzip.compress(body), headers={"Content-Encoding": "gzip"})
    assert fetch(FetchRequest("f", httpserver.url_for("/gz"))).body == body
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 MB of zeros in ~50 KB
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    res = fetch(FetchRequest("f", httpserver.url_for("/bomb")), FetchLimits(max_body_bytes=1_000_000))
    assert res.truncated and len(res.body) == 1_000_000


@pytest.mark.parametrize(("answer", "message"), [(None, "closed the connection without an answer"),
                                                  (b"HELLO THIS IS NOT HTTP\r\n\r\n", "not a valid HTTP answer")])
def test_broken_servers_give_clear_errors(answer: bytes | None, message: str) -> None:
    """A raw socket server: closes at once, or answers something that is not HTTP."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:  # the same to every connection (a client may try again)
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.recv(1000)
            if answer:
                conn.sendall(answer)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    res = fetch(FetchRequest("f", f"http://127.0.0.1:{server.getsockname()[1]}/rss"))
    server.close()
    assert res.status == "error" and message in (res.error or ""), res.error
    assert "\n" not in (res.error or "")


def test_connection_refused_is_an_error() -> None:
    res = fetch(FetchRequest("f", "http://127.0.0.1:9/rss"))
    assert res.status == "error" and "cannot connect" in (res.error or "")


def test_file_url_and_local_path(tmp_path: Path) -> None:
    path = FEEDS / "autostat_atom.xml"
    assert fetch(FetchRequest("f", path.as_uri())).body == path.read_bytes()
    assert fetch(FetchRequest("f", str(path))).body == path.read_bytes()
    missing = fetch(FetchRequest("f", (tmp_path / "нет.xml").as_uri()))
    assert missing.status == "error" and "No such file" in (missing.error or "")


def test_many_feeds_concurrently(httpserver: HTTPServer) -> None:
    for i in range(20):
        httpserver.expect_request(f"/f{i}").respond_with_data(f"<rss>{i}</rss>")
    results = fetch_all([FetchRequest(f"f{i}", httpserver.url_for(f"/f{i}")) for i in range(20)],
                        FetchLimits(concurrency=4))
    assert sorted(r.body for r in results) == sorted(f"<rss>{i}</rss>".encode() for i in range(20))


def test_fetching_pauses_while_the_consumer_falls_behind(httpserver: HTTPServer) -> None:
    """Bodies must not pile up in memory when storing is slower than fetching."""
    for i in range(40):
        httpserver.expect_request(f"/f{i}").respond_with_data(f"<rss>{i}</rss>")
    limits = FetchLimits(concurrency=3)

    async def take_one_then_stall() -> int:
        results = fetch_many([FetchRequest(f"f{i}", httpserver.url_for(f"/f{i}")) for i in range(40)], limits)
        await anext(results)
        await asyncio.sleep(0.5)  # a slow consumer; the fetchers must wait for it
        served = len(httpserver.log)
        await results.aclose()
        return served

    served = asyncio.run(take_one_then_stall())
    # one taken, 3 waiting in the queue, 3 fetchers each holding one more finished result
    assert served <= 1 + 3 + 3 < 40


def test_reset_connection_is_no_timeout() -> None:
    """A server that answers once, then resets every connection (the case of a reused keep-alive connection
    that the server dropped): a connection error, not a «ConnectTimeout» after no time at all."""
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    server = socket.create_server(("127.0.0.1", 0))
    answered = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            if conn.recv(65536) and not answered.is_set():
                answered.set()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                conn.recv(65536)  # the next request on the kept-alive connection
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    port = server.getsockname()[1]
    limits = FetchLimits(timeout=5, connect_timeout=5, concurrency=1)
    results = fetch_all([FetchRequest(f"f{i}", f"http://127.0.0.1:{port}/f{i}") for i in range(3)], limits)
    server.close()
    by_feed = {r.feed: r for r in results}
    assert by_feed["f0"].status == "ok"
    for name in ("f1", "f2"):
        assert by_feed[name].status == "error" and "reset" in (by_feed[name].error or "")
        assert "timed out" not in (by_feed[name].error or "") and "Timeout" not in (by_feed[name].error or "")
