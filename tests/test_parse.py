"""Parsing: feed formats, Russian encodings with honest, missing and lying charsets, clean text."""

from datetime import datetime

import pytest

from avtomon.pipeline.clean import canonical_url, html_to_text
from avtomon.pipeline.parse import parse_feed
from tests.conftest import feed_bytes

FETCHED = datetime(2026, 2, 7, 12, 0)
BASE = "https://news.example.ru/rss"

RSS_TEMPLATE = """<?xml version="1.0" encoding="{decl}"?>
<rss version="2.0"><channel><title>Новости автопрома</title><link>https://news.example.ru/</link>
<item><title>Завод «Москвич» локализует выпуск двигателей</title>
<link>https://news.example.ru/1</link><pubDate>Fri, 06 Feb 2026 14:20:00 +0300</pubDate>
<description>Ёмкость склада — 300 моторов; уровень локализации вырастет до 50%.</description></item>
</channel></rss>
"""


def _parse(body: bytes, content_type: str | None) -> tuple[str, str, str | None]:
    headers = {"content-type": content_type} if content_type else {}
    parsed = parse_feed(body, headers, "feed", BASE, FETCHED)
    assert parsed.error is None, parsed.error
    entry = parsed.entries[0]
    return entry.title, entry.text, parsed.note


@pytest.mark.parametrize("codec", ["utf-8", "windows-1251", "koi8-r"])
@pytest.mark.parametrize(
    "content_type",
    [
        "application/rss+xml; charset={codec}",  # honest
        "application/rss+xml",  # missing charset: the XML declaration decides
        "text/xml",  # RFC 3023 would say US-ASCII
        None,  # no Content-Type at all (file:// and broken servers)
        "text/xml; charset=utf-8",  # lying (or right, for utf-8)
        "application/xml; charset=windows-1251",
        "application/xml; charset=koi8-r",
    ],
)
def test_russian_encodings(codec: str, content_type: str | None) -> None:
    text = RSS_TEMPLATE.format(decl=codec)
    if codec == "koi8-r":  # KOI8-R has no «», — or №
        text = text.replace("«", '"').replace("»", '"').replace("—", "-")
    body = text.encode(codec)
    ct = content_type.format(codec=codec) if content_type else None
    title, description, _note = _parse(body, ct)
    assert "Москвич" in title and "локализует выпуск двигателей" in title
    assert description.startswith("Ёмкость склада")


def test_cp1251_without_any_declaration() -> None:
    body = RSS_TEMPLATE.format(decl="x").replace(' encoding="x"', "").encode("cp1251")
    title, _, _ = _parse(body, "text/xml")
    assert title == "Завод «Москвич» локализует выпуск двигателей"


def test_lying_charset_is_noted() -> None:
    _, _, note = _parse(feed_bytes("koi8r.xml"), "application/xml; charset=windows-1251")
    assert note and "koi8-r" in note


@pytest.mark.parametrize(
    ("name", "version", "count"),
    [("komtrans_rss20.xml", "rss20", 4), ("autostat_atom.xml", "atom10", 2), ("rss10.rdf", "rss10", 1),
     ("drom_cp1251.xml", "rss20", 2)],
)
def test_formats(name: str, version: str, count: int) -> None:
    parsed = parse_feed(feed_bytes(name), {}, "feed", BASE, FETCHED)
    assert parsed.version == version
    assert len(parsed.entries) == count
    assert parsed.error is None


def test_rss091() -> None:
    body = """<?xml version="1.0" encoding="utf-8"?><rss version="0.91"><channel><title>Старая лента</title>
    <link>https://old.example.ru/</link><description>x</description><language>ru</language>
    <item><title>УАЗ обновил «Патриот»</title><link>https://old.example.ru/uaz</link>
    <description>Ульяновский автозавод представил обновлённый внедорожник.</description></item>
    </channel></rss>""".encode()
    parsed = parse_feed(body, {}, "feed", BASE, FETCHED)
    assert parsed.version == "rss091u" or parsed.version.startswith("rss09")
    assert parsed.entries[0].title == "УАЗ обновил «Патриот»"


def test_malformed_xml_keeps_parsable_entries() -> None:
    parsed = parse_feed(feed_bytes("malformed.xml"), {"content-type": "application/rss+xml"}, "feed", BASE, FETCHED)
    assert parsed.error is None
    assert parsed.entries[0].title == "Нижегородский завод ГАЗ освоил выпуск электробусов"
    assert parsed.note and "malformed XML at line" in parsed.note


def test_html_page_is_not_a_feed() -> None:
    parsed = parse_feed(feed_bytes("page.html"), {"content-type": "text/html; charset=utf-8"}, "f", BASE, FETCHED)
    assert parsed.entries == []
    assert parsed.error == "not a feed: got an HTML page (check the feed URL)"


def test_empty_body() -> None:
    assert parse_feed(b"  ", {}, "f", BASE, FETCHED).error == "empty response body"


def test_entry_fields_clean_text_dates_urls() -> None:
    parsed = parse_feed(feed_bytes("komtrans_rss20.xml"), {}, "Комтранс", BASE, FETCHED)
    first, second, third, fourth = parsed.entries
    # HTML stripped, paragraphs kept
    assert first.text.startswith("В Калининграде на площадке Автотора заработал кластер из семи заводов.\n\nВ состав")
    assert "<" not in first.text
    # escaped HTML and &nbsp; unescaped
    assert second.text.startswith("ПАО «КАМАЗ» в январе выпустило 2\u00a0140") or "2 140" in second.text
    # +0300 converted to UTC
    assert first.published_at == datetime(2026, 2, 2, 6, 15) and not first.published_guessed
    # utm_*, from, yclid and the fragment removed
    assert first.url == "https://www.comtrans.ru/news/avtotor-klaster/"
    assert third.url == "https://www.comtrans.ru/news/gaz-prostoi/"
    # missing date: fetch time, flagged
    assert fourth.published_at == FETCHED and fourth.published_guessed
    assert fourth.guid is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Autostat.RU/news/1/?utm_source=x&id=5#top", "https://www.autostat.ru/news/1/?id=5"),
        ("http://example.ru:80/a?fbclid=1&from=rss", "http://example.ru/a"),
        ("https://example.ru:8443/a?b=1&yclid=7", "https://example.ru:8443/a?b=1"),
        ("https://example.ru", "https://example.ru/"),
        ("https://example.ru/Путь?q=Москва", "https://example.ru/Путь?q=%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Первый&nbsp;абзац</p><p>Второй &laquo;абзац&raquo;</p>", "Первый абзац\n\nВторой «абзац»"),
        ("Строка<br>ещё строка", "Строка\nещё строка"),
        ("<script>var x = 1;</script><div>Текст</div><style>p{}</style>", "Текст"),
        ("Нуле\u200bвой\u00adширины и \x07управляющие", "Нулевойширины и управляющие"),
        ("  много    пробелов \n\n\n\n абзац ", "много пробелов\n\nабзац"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text
