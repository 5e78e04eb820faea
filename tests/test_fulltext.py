"""Full text from article pages, against a loopback server with realistic Russian news pages."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug import Request, Response

from avtomon.cli import cli
from avtomon.db import open_store
from avtomon.models import Article
from avtomon.pipeline.config import FeedConfig
from avtomon.pipeline.fulltext import looks_cut, wants_page
from avtomon.pipeline.parse import EntryRecord
from tests.conftest import DATA, write_feeds

PAGES = DATA / "pages"
CLUTTER = ["cookie", "Читайте также", "Комментарии", "Поделиться", "Иван Петров", "Политика", "Все права защищены",
           "Курс рубля", "dataLayer", "Подписка"]


def item(title: str, link: str, text: str, guid: str) -> str:
    return (f"<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>"
            f"<pubDate>Tue, 10 Feb 2026 10:00:00 +0300</pubDate><description>{text}</description></item>")


def feed(*items: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Анонсы</title>'
            f"<link>https://biz.example/</link>{''.join(items)}</channel></rss>").encode()


class Counter:
    """Counts requests in flight on the server, to check per-host politeness."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.agents: set[str] = set()

    def wrap(self, body: bytes, content_type: str, delay: float = 0.2):  # type: ignore[no-untyped-def]
        def handler(request: Request) -> Response:
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
                self.agents.add(request.headers.get("User-Agent", ""))
            time.sleep(delay)
            with self.lock:
                self.now -= 1
            return Response(body, content_type=content_type)
        return handler


def serve(server: HTTPServer, counter: Counter) -> None:
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n",
                                                           content_type="text/plain")
    server.expect_request("/n/avtotor").respond_with_handler(
        counter.wrap((PAGES / "avtotor-batteries.html").read_bytes(), "text/html; charset=utf-8"))
    # windows-1251, charset only in <meta>: the server says nothing
    server.expect_request("/n/gaz").respond_with_handler(counter.wrap((PAGES / "gaz-cp1251.html").read_bytes(),
                                                                      "text/html"))
    server.expect_request("/n/old-kamaz").respond_with_data("", status=301, headers={"Location": "/n/kamaz"})
    server.expect_request("/n/kamaz").respond_with_handler(
        counter.wrap((PAGES / "kamaz-leasing.html").read_bytes(), "text/html; charset=utf-8"))
    server.expect_request("/n/paywall").respond_with_data((PAGES / "paywall.html").read_bytes(),
                                                          content_type="text/html; charset=utf-8")
    server.expect_request("/n/gone").respond_with_data("Страница не найдена", status=404)
    server.expect_request("/private/secret").respond_with_data("секрет", content_type="text/html")


def leads(server: HTTPServer) -> bytes:
    u = server.url_for
    return feed(
        item("Автотор запустил сборку батарей", u("/n/avtotor"), "Калининградский холдинг открыл участок…", "1"),
        item("ГАЗ запустит выпуск электрической «Газели»", u("/n/gaz"), "Выпуск начнётся в третьем квартале.", "2"),
        item("КАМАЗ и «Европлан» подписали соглашение", u("/n/old-kamaz"), "Речь о 3 тысячах тягачей.", "3"),
        item("Ценовая война на рынке кроссоверов", u("/n/paywall"), "Дилеры снижают цены на кроссоверы.", "4"),
        item("АвтоВАЗ сократит рабочую неделю", u("/n/gone"), "АвтоВАЗ переходит на четырёхдневку.", "5"),
        item("Автотор: закрытые данные", u("/private/secret"), "Подробности — на сайте…", "6"),
    )


def run(db_url: str, tmp: Path, server: HTTPServer, body: bytes, **feed_opts: object) -> Result:
    server.expect_request("/feed.xml").respond_with_data(body, content_type="application/rss+xml")
    feeds = write_feeds(tmp / "feeds.yaml", [{"name": "Деловая газета", "url": server.url_for("/feed.xml"),
                                              "tags": ["business"], **feed_opts}], {"host_delay": 0.05})
    return CliRunner().invoke(cli, ["--db", db_url, "--feeds", str(feeds), "ingest"], catch_exceptions=False)


def stored(db_url: str) -> dict[str, Article]:
    engine = open_store(db_url)
    with Session(engine) as s:
        out = {a.guid: a for a in s.scalars(select(Article))}
    engine.dispose()
    return out


def test_pages_give_full_text_without_clutter(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    counter = Counter()
    serve(httpserver, counter)
    res = run(db_url, tmp_path, httpserver, leads(httpserver))
    assert res.exit_code == 0, res.output
    assert "3 full texts from pages, 1 kept from feed, 2 pages failed" in res.output
    a = stored(db_url)
    avtotor = a["1"]
    assert avtotor.text_source == "page" and avtotor.page_status == "ok"
    assert avtotor.text.startswith("Калининградский автосборочный холдинг «Автотор» запустил участок сборки")
    assert "уровень локализации электромобилей калининградской сборки вырастет до 60%" in avtotor.text
    assert avtotor.text.count("\n\n") == 3  # four paragraphs
    for article in (a["1"], a["2"], a["3"]):
        assert not [c for c in CLUTTER if c in article.text], article.text
    assert a["2"].text.startswith("Группа ГАЗ в третьем квартале начнёт серийный выпуск")  # cp1251 via <meta>
    assert a["3"].text_source == "page" and "3 тысяч магистральных тягачей" in a["3"].text  # behind a redirect
    assert a["4"].page_status == "short" and a["4"].text == "Дилеры снижают цены на кроссоверы."  # paywall stub
    assert a["5"].page_status == "failed" and a["5"].page_error == "HTTP 404"
    assert a["5"].text == "АвтоВАЗ переходит на четырёхдневку."  # the feed's text stays
    assert a["6"].page_status == "robots" and not any(r.path == "/private/secret" for r, _ in httpserver.log)
    assert sum(1 for r, _ in httpserver.log if r.path == "/robots.txt") == 1  # cached per host
    assert counter.peak <= 2  # at most two requests at once to one host
    assert all(agent.startswith("avtomon/") for agent in counter.agents)
    # extracted from the page text: the facts of the full article
    assert all(x.extract_status == "done" for x in a.values())
    assert a["1"].relevant


def test_fulltext_never_and_always(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    serve(httpserver, Counter())
    run(db_url, tmp_path, httpserver, leads(httpserver), fulltext="never")
    assert {x.page_status for x in stored(db_url).values()} == {None}
    assert not any(r.path.startswith("/n/") for r, _ in httpserver.log)


def test_long_entries_and_clearly_irrelevant_ones_fetch_no_page(db_url: str, tmp_path: Path,
                                                                httpserver: HTTPServer) -> None:
    serve(httpserver, Counter())
    long_text = "КАМАЗ выпустил тягач. " * 40
    body = feed(item("КАМАЗ: полный текст в ленте", httpserver.url_for("/n/kamaz"), long_text, "a"),
                item("ЦБ сохранил ключевую ставку", httpserver.url_for("/n/avtotor"),
                     "Совет директоров Банка России сохранил ставку.", "b"))
    run(db_url, tmp_path, httpserver, body)
    assert {x.page_status for x in stored(db_url).values()} == {None}
    assert not any(r.path.startswith("/n/") for r, _ in httpserver.log)


def test_refetch_updates_text_and_queues_extraction(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    serve(httpserver, Counter())
    feeds_yaml = tmp_path / "feeds.yaml"
    run(db_url, tmp_path, httpserver, leads(httpserver))
    httpserver.clear()
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    page = (PAGES / "kamaz-leasing.html").read_text(encoding="utf-8").replace(
        "Первые машины клиенты получат уже в марте.", "Первые машины клиенты получат уже в апреле.")
    httpserver.expect_request("/n/old-kamaz").respond_with_data("", status=301, headers={"Location": "/n/kamaz"})
    httpserver.expect_request("/n/kamaz").respond_with_data(page, content_type="text/html; charset=utf-8")
    res = CliRunner().invoke(cli, ["--db", db_url, "--feeds", str(feeds_yaml), "refetch", "--company", "КАМАЗ"])
    assert res.exit_code == 0 and "1 articles chosen; 1 full texts from pages" in res.output
    kamaz = stored(db_url)["3"]
    assert "в апреле" in kamaz.text and kamaz.extract_status == "pending"


@pytest.mark.parametrize(("text", "cut"), [("Полный текст новости.", False), ("Начало новости…", True),
                                           ("Начало... ", True), ("Текст. Читать далее", True)])
def test_looks_cut(text: str, cut: bool) -> None:
    assert looks_cut(text) is cut


def test_wants_page_rules() -> None:
    entry = EntryRecord("f", "https://x.ru/1", None, "Т", "Короткий анонс.", None, False, None, "h")  # type: ignore[arg-type]
    auto = FeedConfig("f", "https://x.ru/rss", tags=("auto",))
    assert wants_page(entry, auto) and not wants_page(entry, FeedConfig("f", "u", fulltext="never"))
    assert not wants_page(entry, FeedConfig("f", "u"), quick=lambda _t: 0.0)  # clearly irrelevant
    assert wants_page(entry, FeedConfig("f", "u"), quick=lambda _t: 0.5)
    no_link = EntryRecord("f", None, None, "Т", "Анонс", None, False, None, "h")  # type: ignore[arg-type]
    assert not wants_page(no_link, FeedConfig("f", "u", fulltext="always"))
