"""Hostile and broken input never crashes a run and never loses good data (real HTTP on loopback)."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from avtomon.cli import cli
from avtomon.db import open_store
from avtomon.models import Article, Feed
from avtomon.pipeline.parse import MAX_TEXT_CHARS
from tests.conftest import feed_bytes, write_feeds

GOOD = feed_bytes("rss10.rdf")  # one good article, served beside every hostile answer


def item(title: str = "", link: str = "", guid: str = "", date: str = "", text: str = "") -> str:
    parts = [f"<title>{title}</title>" if title else "", f"<link>{link}</link>" if link else "",
             f"<guid>{guid}</guid>" if guid else "", f"<pubDate>{date}</pubDate>" if date else "",
             f"<description>{text}</description>" if text else ""]
    return "<item>" + "".join(parts) + "</item>"


def channel(*items: str, head: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{head}<rss version="2.0"><channel><title>Лента</title>'
            f"<link>https://hostile.example/</link>{''.join(items)}</channel></rss>").encode()


def poll(db_url: str, tmp: Path, server: HTTPServer, body: bytes, headers: dict | None = None,
         cap: int = 15 * 1024 * 1024) -> Result:
    server.expect_request("/hostile").respond_with_data(body, headers=headers or {},
                                                        content_type="application/rss+xml")
    server.expect_request("/good").respond_with_data(GOOD, content_type="application/rss+xml")
    feeds = write_feeds(tmp / "feeds.yaml", [{"name": "hostile", "url": server.url_for("/hostile")},
                                             {"name": "good", "url": server.url_for("/good")}],
                        {"max_body_bytes": cap})
    return CliRunner().invoke(cli, ["--db", db_url, "--feeds", str(feeds), "poll"], catch_exceptions=False)


def articles(db_url: str, feed: str | None = None) -> list[Article]:
    engine = open_store(db_url)
    with Session(engine) as s:
        stmt = select(Article).order_by(Article.id)
        rows = list(s.scalars(stmt.where(Article.feed == feed) if feed else stmt))
    engine.dispose()
    return rows


def good_survived(db_url: str) -> None:
    assert [a.title for a in articles(db_url, "good")] == ["Haval расширит завод в Тульской области"]


def feed_error(db_url: str, name: str = "hostile") -> str | None:
    engine = open_store(db_url)
    with Session(engine) as s:
        err = s.scalars(select(Feed.last_error).where(Feed.name == name)).one()
    engine.dispose()
    return err


def test_entity_expansion_bomb(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    entities = '<!ENTITY a "ааааааааааа">' + "".join(
        f'<!ENTITY a{i} "{("&a;" if i == 1 else f"&a{i - 1};") * 10}">' for i in range(1, 10))
    body = channel(item("Бомба", "https://hostile.example/1", text="&a9;"),
                   item("Обычная новость", "https://hostile.example/2", text="КАМАЗ выпустил тягач."),
                   head=f"<!DOCTYPE rss [{entities}]>")
    res = poll(db_url, tmp_path, httpserver, body)
    assert res.exit_code == 0
    stored = articles(db_url, "hostile")
    assert all(len(a.text) < 1000 for a in stored)  # not expanded to a billion characters
    assert "Обычная новость" in {a.title for a in stored}
    good_survived(db_url)


def test_external_entities_read_no_file_and_call_no_host(db_url: str, tmp_path: Path,
                                                         httpserver: HTTPServer) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("СЕКРЕТНЫЙ ПАРОЛЬ", encoding="utf-8")
    httpserver.expect_request("/steal").respond_with_data("УКРАДЕНО")
    head = (f'<!DOCTYPE rss [<!ENTITY file SYSTEM "{secret.as_uri()}">'
            f'<!ENTITY web SYSTEM "{httpserver.url_for("/steal")}">]>')
    body = channel(item("XXE", "https://hostile.example/x", text="до &file; &web; после"), head=head)
    res = poll(db_url, tmp_path, httpserver, body)
    assert res.exit_code == 0
    texts = " ".join(a.title + a.text for a in articles(db_url))
    assert "СЕКРЕТНЫЙ" not in texts and "УКРАДЕНО" not in texts
    assert not any(req.path == "/steal" for req, _ in httpserver.log)
    good_survived(db_url)


def test_gigantic_body_is_cut(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    items = "".join(item(f"Новость {i}", f"https://hostile.example/{i}", text="х" * 1000) for i in range(5000))
    body = channel(items)
    assert len(body) > 5_000_000
    res = poll(db_url, tmp_path, httpserver, body, cap=2_000_000)
    assert res.exit_code == 0
    kept = articles(db_url, "hostile")
    assert 0 < len(kept) < 5000  # the entries before the cap
    assert "cut off" in (feed_error(db_url) or "")
    good_survived(db_url)


def test_binary_garbage(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    res = poll(db_url, tmp_path, httpserver, os.urandom(50_000))
    assert res.exit_code == 1 and "FAIL hostile: not a feed" in res.output
    good_survived(db_url)


def test_gzip_bomb(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * 200_000_000)
    res = poll(db_url, tmp_path, httpserver, bomb, {"Content-Encoding": "gzip"}, cap=2_000_000)
    assert res.exit_code in (0, 1) and "Traceback" not in res.output
    assert "body larger than 2000000 bytes, cut off" in (feed_error(db_url) or "")
    good_survived(db_url)


def test_html_page_instead_of_feed(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    res = poll(db_url, tmp_path, httpserver, feed_bytes("page.html"))
    assert res.exit_code == 1 and "got an HTML page" in res.output
    good_survived(db_url)


def test_ten_thousand_entries(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    body = channel("".join(item(f"Новость {i}", f"https://hostile.example/n/{i}", f"g{i}",
                                "Mon, 02 Feb 2026 09:15:00 +0300", f"Текст новости номер {i}.") for i in range(10_000)))
    assert poll(db_url, tmp_path, httpserver, body).exit_code == 0
    assert len(articles(db_url, "hostile")) == 10_000
    again = poll(db_url, tmp_path, httpserver, body)
    assert "0 new articles" in again.output and len(articles(db_url, "hostile")) == 10_000


def test_entries_missing_fields_and_odd_dates(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    future = "Mon, 01 Jan 2091 00:00:00 +0000"
    epoch = "Thu, 01 Jan 1970 00:00:00 +0000"
    body = channel(
        item("Без ссылки и guid", text="ГАЗ обновил «Соболь»."),
        item(link="https://hostile.example/no-title", text="Только текст без заголовка."),
        item("Только заголовок"),
        item(),  # nothing at all: skipped with a note
        item("Из будущего", "https://hostile.example/future", date=future, text="Дата в 2091 году."),
        item("Из 1970 года", "https://hostile.example/epoch", date=epoch, text="Нулевая дата."),
    )
    res = poll(db_url, tmp_path, httpserver, body)
    assert res.exit_code == 0
    stored = {a.title: a for a in articles(db_url, "hostile")}
    assert set(stored) == {"Без ссылки и guid", "", "Только заголовок", "Из будущего", "Из 1970 года"}
    assert stored["Без ссылки и guid"].url is None
    now = datetime.now(UTC).replace(tzinfo=None)
    for title in ("Из будущего", "Из 1970 года"):
        assert stored[title].published_guessed and abs((stored[title].published_at - now).total_seconds()) < 600
    assert "1 entries without title or text skipped" in (feed_error(db_url) or "")


def test_megabyte_article_and_invisible_characters(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    huge = "КАМАЗ запустил линию. " * 50_000  # ~1.1 MB
    body = channel(item("Огромная статья", "https://hostile.example/huge", text=huge),
                   item("Нуле\u200bвые\u200d сим\ufeffволы\x07", "https://hostile.example/zw",
                        text="Текст\u2028с\u00adуправляющими\x1b символами"))
    res = poll(db_url, tmp_path, httpserver, body)
    assert res.exit_code == 0
    stored = {a.url: a for a in articles(db_url, "hostile")}
    assert len(stored["https://hostile.example/huge"].text) <= MAX_TEXT_CHARS
    zw = stored["https://hostile.example/zw"]
    assert zw.title == "Нулевые символы" and zw.text == "Текстсуправляющими символами"
    extracted = CliRunner().invoke(cli, ["--db", db_url, "extract"], catch_exceptions=False)
    assert extracted.exit_code == 0 and "0 failed" in extracted.output


def test_duplicate_guids_inside_one_feed(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    body = channel(item("Первая", "https://hostile.example/d1", "same-guid", text="Один текст."),
                   item("Вторая", "https://hostile.example/d2", "same-guid", text="Другой текст."),
                   item("Третья", "https://hostile.example/d1", "other", text="Та же ссылка."))
    assert poll(db_url, tmp_path, httpserver, body).exit_code == 0
    assert [a.title for a in articles(db_url, "hostile")] == ["Первая"]
