"""Watch-lists that notify: each new story matching a watch is sent once, through a real HTTP receiver
that checks signatures, a real SMTP server with STARTTLS and login (aiosmtpd), and an HTTP server
answering as the Telegram Bot API; outages, retries, SIGKILL during delivery; spikes; digests; Atom."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from avtomon.alerts.channels import DELIVERY_HEADER, SIGNATURE_HEADER, sign
from avtomon.db import open_store
from avtomon.models import Delivery
from tests.conftest import write_feeds
from tests.store_fixture import fresh_store, rss
from tests.test_stories import OUTLET_B, rewrites

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-webhook-key"
TOKEN = "123456:TEST-token"
KAMAZ = ("d037", "d039", "d050", "d097")  # four pieces of news about КАМАЗ


def recent(rows: list[dict], host: str, hours_ago: float) -> list[dict]:
    """Feed items dated a few hours ago (watches look back two days from now)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return [{"title": r["title"], "text": r["text"], "link": f"https://{host}.example.ru/{r['group']}-{i}",
             "date": now - timedelta(hours=hours_ago, minutes=7 * i)} for i, r in enumerate(rows)]


def first_versions() -> list[dict]:
    first: dict[str, dict] = {}
    for r in rewrites():
        first.setdefault(r["group"], r)
    return list(first.values())


class Receiver:
    """A webhook endpoint on loopback: records every request, checks its signature, answers `status`;
    with `hold` set it never answers (a receiver that hangs while the sender is killed)."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict, dict]] = []
        self.bad_signatures = 0
        self.status = 200
        self.hold = threading.Event()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers[SIGNATURE_HEADER] != sign(SECRET, body):
                    receiver.bad_signatures += 1
                receiver.requests.append((dict(self.headers), json.loads(body)))
                receiver.arrived.set()
                if receiver.hold.is_set():
                    time.sleep(60)
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def delivered(self) -> dict[str, dict]:
        """Alerts by delivery id, copies dropped (what a receiver keyed on the id keeps)."""
        return {h[DELIVERY_HEADER]: body for h, body in self.requests}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_store(request, tmp_path) as url:
        yield url


def run(url: str, feeds: Path, watches: Path, *args: str, env: dict | None = None,
        wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
    cmd = [sys.executable, "-m", "avtomon", "--db", url, "--feeds", str(feeds), "--watches", str(watches), *args]
    full = {**os.environ, "AVTOMON_HOOK_SECRET": SECRET, "AVTOMON_TG_TOKEN": TOKEN, "AVTOMON_SMTP_PASSWORD": "pw",
            **(env or {})}
    if not wait:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=full)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env=full)


def write_watches(path: Path, watches: list[dict], channels: dict, settings: dict | None = None) -> Path:
    path.write_text(yaml.safe_dump({"settings": settings or {}, "channels": channels, "watches": watches},
                                   allow_unicode=True), encoding="utf-8")
    return path


def hook(receiver: Receiver) -> dict:
    return {"type": "webhook", "url": receiver.url, "secret_env": "AVTOMON_HOOK_SECRET", "timeout": 3,
            "retries": 2}


def feeds_for(server: HTTPServer, tmp: Path, outlets: dict[str, list[dict]]) -> Path:
    for name, items in outlets.items():
        server.expect_request(f"/{name}.xml").respond_with_data(rss(items))
    return write_feeds(tmp / "feeds.yaml", [{"name": f"Outlet {n}", "url": server.url_for(f"/{n}.xml")}
                                            for n in outlets])


def test_each_new_story_is_sent_once_across_runs_and_outlets(store: str, httpserver: HTTPServer,
                                                             receiver: Receiver, tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    watches = write_watches(tmp_path / "watches.yaml", [{"name": "Всё", "channels": ["team"]},
                                                        {"name": "КАМАЗ", "company": ["КАМАЗ"], "channels": ["team"]}],
                            {"team": hook(receiver)})
    a = first_versions()
    feeds = feeds_for(httpserver, tmp_path, {"a": recent(a, "a", 6)})
    first = run(store, feeds, watches, "ingest")
    assert first.returncode == 0, first.stderr
    assert f"alerts: {len(a) + len(KAMAZ)} new stories matched watches; {len(a) + len(KAMAZ)} alerts sent" in \
        first.stdout
    assert receiver.bad_signatures == 0
    got = receiver.delivered()
    assert sorted(b["title"] for b in got.values() if b["watch"] == "Всё") == sorted(r["title"] for r in a)
    kamaz = [b for b in got.values() if b["watch"] == "КАМАЗ"]
    assert len(kamaz) == len(KAMAZ) and all("КАМАЗ" in b["companies"] for b in kamaz)
    # outlet B's versions of three stories join them: no second alert; a third run sends nothing
    second = [{"group": g, "title": t, "text": x} for g, (t, x) in OUTLET_B.items()]
    httpserver.clear()
    feeds = feeds_for(httpserver, tmp_path, {"a": recent(a, "a", 6), "b": recent(second, "b", 4)})
    for _ in range(2):
        again = run(store, feeds, watches, "ingest")
        assert again.returncode == 0 and "alerts: 0 new stories matched watches; 0 alerts sent" in again.stdout
    assert len(receiver.requests) == len(a) + len(KAMAZ)


def test_a_channel_down_keeps_alerts_for_the_next_run(httpserver: HTTPServer, receiver: Receiver, tmp_path: Path,
                                                      nlp) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    watches = write_watches(tmp_path / "watches.yaml", [{"name": "КАМАЗ", "company": "КАМАЗ", "channels": ["team"]}],
                            {"team": hook(receiver)})
    kamaz = [r for r in first_versions() if r["group"] in KAMAZ]
    feeds = feeds_for(httpserver, tmp_path, {"a": recent(kamaz, "a", 3)})
    receiver.status = 503
    down = run(url, feeds, watches, "ingest")
    assert down.returncode == 0, down.stderr  # the ingest itself succeeded
    assert f"0 alerts sent, {len(kamaz)} waiting for the next run (team:" in down.stdout and "HTTP 503" in down.stdout
    assert len(receiver.requests) == 2  # two tries of the first alert, then the channel is left alone this run
    status = run(url, feeds, watches, "alerts", "--status")
    assert status.returncode == 1 and "HTTP 503" in status.stdout
    health = run(url, feeds, watches, "feeds")  # the feeds' health says it too
    assert health.returncode == 0 and f"alerts waiting for channel team: {len(kamaz)} (" in health.stderr
    receiver.status = 200
    up = run(url, feeds, watches, "ingest")
    assert f"{len(kamaz)} alerts sent" in up.stdout
    assert len(receiver.delivered()) == len(kamaz)  # each alert once, whatever the failed tries
    assert run(url, feeds, watches, "alerts", "--status").returncode == 0
    assert "alerts waiting" not in run(url, feeds, watches, "feeds").stderr


def test_sigkill_during_delivery_loses_and_doubles_nothing(httpserver: HTTPServer, receiver: Receiver,
                                                           tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    watches = write_watches(tmp_path / "watches.yaml", [{"name": "КАМАЗ", "company": "КАМАЗ", "channels": ["team"]}],
                            {"team": hook(receiver) | {"timeout": 60}})
    kamaz = [r for r in first_versions() if r["group"] in KAMAZ]
    feeds = feeds_for(httpserver, tmp_path, {"a": recent(kamaz, "a", 3)})
    empty = tmp_path / "none.yaml"
    write_watches(empty, [], {})
    assert run(url, feeds, empty, "ingest").returncode == 0  # stories stored, nothing to watch yet
    receiver.hold.set()
    proc = run(url, feeds, watches, "alerts", wait=False)
    assert receiver.arrived.wait(60), "the first alert never reached the receiver"
    os.kill(proc.pid, signal.SIGKILL)  # while the receiver holds the request
    proc.wait()
    receiver.hold.clear()
    done = run(url, feeds, watches, "alerts")
    assert done.returncode == 0, done.stderr
    # the interrupted alert came twice under one delivery id; every alert is there once by id
    assert len(receiver.requests) == len(kamaz) + 1
    assert len(receiver.delivered()) == len(kamaz)
    engine = open_store(url, migrate=False)
    try:
        with Session(engine) as s:
            assert set(s.scalars(select(Delivery.status))) == {"sent"}
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[dict]:
    """aiosmtpd on loopback with STARTTLS (a self-signed certificate) and login required."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    seen: dict = {"messages": [], "logins": []}

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            message = message_from_bytes(envelope.content, policy=policy.default)
            seen["messages"].append((envelope.rcpt_tos, message, session.ssl is not None))
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, data):  # type: ignore[no-untyped-def]
        seen["logins"].append((data.login, data.password))
        return AuthResult(success=data.login == b"avtomon" and data.password == b"pw")

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True)
    controller.start()
    seen["channel"] = {"type": "email", "host": "127.0.0.1", "port": port, "starttls": True, "username": "avtomon",
                       "password_env": "AVTOMON_SMTP_PASSWORD", "sender": "avtomon@example.ru",
                       "to": ["analyst@example.ru"], "ca_file": str(cert), "timeout": 10}
    yield seen
    controller.stop()


def test_email_over_starttls_with_login(smtp: dict, httpserver: HTTPServer, tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    watches = write_watches(tmp_path / "watches.yaml", [{"name": "КАМАЗ", "company": "КАМАЗ", "channels": ["mail"]}],
                            {"mail": smtp["channel"]})
    kamaz = [r for r in first_versions() if r["group"] in KAMAZ]
    feeds = feeds_for(httpserver, tmp_path, {"a": recent(kamaz, "a", 3)})
    res = run(url, feeds, watches, "ingest")
    assert f"{len(kamaz)} alerts sent" in res.stdout, res.stdout + res.stderr
    assert smtp["logins"] and all(login == (b"avtomon", b"pw") for login in smtp["logins"])
    titles = {r["title"] for r in kamaz}
    for rcpt, msg, over_tls in smtp["messages"]:
        assert rcpt == ["analyst@example.ru"] and over_tls
        assert msg["Subject"].startswith("[avtomon] КАМАЗ: ") and msg["Subject"][len("[avtomon] КАМАЗ: "):] in titles
        parts = {p.get_content_type(): p.get_content() for p in msg.walk() if not p.is_multipart()}
        assert set(parts) == {"text/plain", "text/html"} and "КАМАЗ" in parts["text/plain"]
    assert len(smtp["messages"]) == len(kamaz)
    # a mail server that is not there: the digest says so in one line, exit 1
    gone = write_watches(tmp_path / "gone.yaml", [], {"mail": {**smtp["channel"], "port": _free_port()}})
    down = run(url, feeds, gone, "digest", "--since", "1d", "--email", "mail")
    assert down.returncode == 1 and "digest not sent" in down.stderr and "Connection refused" in down.stderr
    ok = run(url, feeds, watches, "digest", "--since", "1d", "--email", "mail")
    assert ok.returncode == 0 and "digest sent to analyst@example.ru" in ok.stdout
    digest = smtp["messages"][-1][1]
    assert digest["Subject"].startswith("[avtomon] сюжеты с ")


def test_telegram_through_a_bot_api_on_loopback(httpserver: HTTPServer, tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    sent: list[dict] = []

    def bot(request):  # type: ignore[no-untyped-def]
        from werkzeug import Response

        sent.append(request.get_json())
        return Response(json.dumps({"ok": True, "result": {"message_id": len(sent)}}), content_type="application/json")

    httpserver.expect_request(f"/bot{TOKEN}/sendMessage", method="POST").respond_with_handler(bot)
    watches = write_watches(tmp_path / "watches.yaml", [{"name": "КАМАЗ", "company": "КАМАЗ", "channels": ["tg"]}],
                            {"tg": {"type": "telegram", "token_env": "AVTOMON_TG_TOKEN", "chat_id": "-1001234",
                                    "api": httpserver.url_for("/").rstrip("/")}})
    kamaz = [r for r in first_versions() if r["group"] in KAMAZ]
    feeds = feeds_for(httpserver, tmp_path, {"a": recent(kamaz, "a", 3)})
    res = run(url, feeds, watches, "ingest")
    assert f"{len(kamaz)} alerts sent" in res.stdout, res.stdout + res.stderr
    assert len(sent) == len(kamaz) and all(m["chat_id"] == "-1001234" and "[КАМАЗ]" in m["text"] for m in sent)
    # a refused message leaves the alert waiting, and the token never shows in the reason
    httpserver.clear()
    httpserver.expect_request(f"/bot{TOKEN}/sendMessage").respond_with_data("busy", status=502)
    extra = {"group": "extra", "title": "КАМАЗ отправил первую партию самосвалов в Узбекистан",
             "text": "Автозавод КАМАЗ отгрузил узбекской горнодобывающей компании первые 120 карьерных самосвалов."}
    feeds = feeds_for(httpserver, tmp_path, {"a": recent([*kamaz, extra], "a", 2)})
    down = run(url, feeds, watches, "ingest")
    assert "1 waiting for the next run" in down.stdout and TOKEN not in down.stdout + down.stderr


def test_spike_of_a_company(httpserver: HTTPServer, receiver: Receiver, tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    watches = write_watches(tmp_path / "watches.yaml", [{"name": "Всплески", "spikes": True, "channels": ["team"],
                                                         "event": ["recall"]}],
                            {"team": hook(receiver)}, {"spike_min": 3, "spike_multiple": 3})
    kamaz = [r for r in first_versions() if r["group"] in KAMAZ]
    feeds = feeds_for(httpserver, tmp_path, {"a": recent(kamaz, "a", 3)})
    assert run(url, feeds, watches, "ingest").returncode == 0
    # the watch's filter (recall events) matches none of the КАМАЗ news: no spike for it …
    assert not [b for b in receiver.delivered().values() if b["kind"] == "spike"]
    watches = write_watches(tmp_path / "watches.yaml", [{"name": "Всплески", "spikes": True, "channels": ["team"]}],
                            {"team": hook(receiver)}, {"spike_min": 3, "spike_multiple": 3})
    res = run(url, feeds, watches, "alerts")
    spikes = [b for b in receiver.delivered().values() if b["kind"] == "spike"]
    # … without it, four КАМАЗ stories in 24 h against none in the 30 days before are one
    assert [s["company"] for s in spikes] == ["КАМАЗ"] and spikes[0]["stories_24h"] == len(KAMAZ), res.stdout
    run(url, feeds, watches, "alerts")
    assert len([b for b in receiver.delivered().values() if b["kind"] == "spike"]) == 1  # once a day


def test_digest_and_atom(httpserver: HTTPServer, receiver: Receiver, tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    watches = write_watches(tmp_path / "watches.yaml", [{"name": "КАМАЗ", "company": "КАМАЗ", "channels": ["team"]},
                                                        {"name": "Отзывы", "event": "recall", "channels": []}],
                            {"team": hook(receiver)}, {"atom_dir": "atom"})
    a = first_versions()
    feeds = feeds_for(httpserver, tmp_path, {"a": recent(a, "a", 5)})
    assert run(url, feeds, watches, "ingest").returncode == 0
    md = run(url, feeds, watches, "digest", "--since", "1d")
    assert md.returncode == 0 and f"## КАМАЗ ({len(KAMAZ)})" in md.stdout
    assert all(r["title"] in md.stdout for r in a if r["group"] in KAMAZ)
    html = tmp_path / "d.html"
    assert run(url, feeds, watches, "digest", "--since", "1d", "--out", str(html)).returncode == 0
    assert "<h2>КАМАЗ (4)</h2>" in html.read_text(encoding="utf-8")
    book = tmp_path / "d.xlsx"
    res = run(url, feeds, watches, "digest", "--since", "1d", "--watch", "КАМАЗ", "--out", str(book))
    assert res.returncode == 0 and "4 stories in 1 sections" in res.stdout
    rows = list(load_workbook(book).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("watch", "story_id", "first_seen", "title") and len(rows) == 1 + len(KAMAZ)
    bad = run(url, feeds, watches, "digest", "--watch", "Нет такого")
    assert bad.returncode == 2 and "no such watch" in bad.stderr
    feed = (tmp_path / "atom" / "камаз.xml").read_text(encoding="utf-8")
    assert feed.count("<entry>") == len(KAMAZ) and "urn:avtomon:watch:камаз" in feed
    # the same feed from the web view
    import httpx

    from avtomon.db import open_readonly
    from avtomon.web.app import create_app
    from tests.serving import serving

    engine = open_readonly(url)
    try:
        with serving(create_app(engine)) as base:
            served = httpx.get(f"{base}/watch/камаз.atom")
            assert served.status_code == 200 and served.headers["content-type"].startswith("application/atom+xml")
            assert served.text.count("<entry>") == len(KAMAZ)
            assert httpx.get(f"{base}/watch/нет.atom").status_code == 404
    finally:
        engine.dispose()


def test_watches_file_mistakes_are_clear(httpserver: HTTPServer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    feeds = feeds_for(httpserver, tmp_path, {"a": []})
    cases = [
        ({"hook": {"type": "webhook", "url": "https://h.example/x", "secret_env": "NOT_SET_ANYWHERE"}},
         [{"name": "W", "channels": ["hook"]}], "NOT_SET_ANYWHERE is not set"),
        ({}, [{"name": "W", "channels": ["mail"]}], "unknown channel 'mail'"),
        ({}, [{"name": "W", "event": ["crash"]}], "unknown event type 'crash'"),
        ({"x": {"type": "pigeon"}}, [], "channels.x.type"),
    ]
    for channels, watch_list, message in cases:
        watches = write_watches(tmp_path / "watches.yaml", watch_list, channels)
        res = run(url, feeds, watches, "alerts")
        assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr, res.stderr
    # in ingest a broken watches file is said, and the news is still stored
    res = run(url, feeds, watches, "ingest")
    assert res.returncode == 0 and "alerts skipped" in res.stdout
    missing = run(url, feeds, tmp_path / "nope.yaml", "alerts")
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_the_documented_watches_files_are_valid() -> None:
    """docs/alerts.md's and the README's examples load as they are (with their secrets set)."""
    import re

    from avtomon.alerts.config import parse_watches

    env = {"AVTOMON_HOOK_SECRET": "x", "AVTOMON_SMTP_PASSWORD": "x", "AVTOMON_TELEGRAM_TOKEN": "x"}
    for doc in (ROOT / "docs" / "alerts.md", ROOT / "README.md"):
        blocks = re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
        found = [b for b in blocks if "watches:" in b]
        assert found, doc
        for block in found:
            config = parse_watches(yaml.safe_load(block), ROOT, env)
            assert config.watches and all(set(w.channels) <= set(config.channels) for w in config.watches)


def test_digest_text_is_russian_and_safe() -> None:
    from avtomon.alerts.digest import Section, html, markdown
    from avtomon.labels import plural

    assert [plural(n, "статья", "статьи", "статей") for n in (1, 3, 5, 11, 21, 112)] == [
        "1 статья", "3 статьи", "5 статей", "11 статей", "21 статья", "112 статей"]
    story = {"story_id": 1, "title": "[Завод](http://evil.example) <script>x</script> *важно*", "url": "https://a.ru/1",
             "first_seen": "2026-12-01T10:00:00Z", "articles": 2, "sources": ["Лента 1", "Лента 2"],
             "companies": ["КАМАЗ"], "events": [{"type": "launch", "company": "КАМАЗ"}]}
    md = markdown([Section("КАМАЗ", [story])], datetime(2026, 12, 1))
    assert "2 статьи, 2 источника" in md and "<script>" not in md and "\\[Завод\\](http://evil.example)" in md
    page = html([Section("КАМАЗ", [story])], datetime(2026, 12, 1))
    assert "<script>" not in page and "&lt;script&gt;" in page
