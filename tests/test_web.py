"""`avtomon serve` over HTTP: every page, filter and error case against a real uvicorn server on loopback
and a real store (SQLite file and PostgreSQL), filled through the real pipeline."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
import lxml.html
import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from avtomon.cli import cli
from avtomon.db import open_readonly
from avtomon.extractors.events import TYPES
from avtomon.labels import EVENT_TYPES_RU, category_names, region_names
from avtomon.models import Article, Entity, Mention
from avtomon.pipeline.filters import Filters
from avtomon.pipeline.overview import count_articles, related
from avtomon.pipeline.query import articles, top_entities
from avtomon.web import create_app
from tests.web_fixture import IMG_TITLE, SCRIPT_TITLE, serving

pytestmark = pytest.mark.slow


def get(base: str, path: str, **kw) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.get(base + path, timeout=60, **kw)


def page(base: str, path: str, status: int = 200):  # type: ignore[no-untyped-def]
    r = get(base, path)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    assert "Traceback" not in r.text
    return lxml.html.fromstring(r.text)


def result_ids(doc) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(a.get("href").rsplit("/", 1)[1]) for a in doc.cssselect("ol.articles a.title")]


def test_dashboard(site: str, web_store: str) -> None:
    doc = page(site, "/?days=30")
    engine = open_readonly(web_store)
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30)
    assert doc.get_element_by_id("total").text_content().replace("\u202f", "") == str(
        count_articles(engine, Filters(since=since)))
    top = top_entities(engine, "company", Filters(since=since, limit=10))
    ranked = [a.text_content() for a in doc.xpath("//h2[text()='Компании']/following-sibling::table[1]//td[1]/a")]
    assert ranked == [r[0] for r in top.rows] and ranked
    regions = doc.xpath("//h2[text()='Регионы']/following-sibling::table[1]//td[1]/a")
    assert regions and all(a.text_content() in region_names().values() for a in regions)  # Russian labels
    assert regions[0].get("href").startswith("/region/RU-")  # English keys stay in URLs
    bars = doc.cssselect("svg.chart rect.bar")
    assert len(bars) == 31 and any(float(b.get("height")) > 0 for b in bars)  # a bar per day, some articles
    assert doc.cssselect("svg.spark polyline")
    by_type = doc.xpath("//h2[text()='События по типам']/following-sibling::table[1]//td[1]")
    events = [td.text_content() for td in by_type]
    assert events and set(events) <= set(EVENT_TYPES_RU.values())
    latest = doc.xpath("//h2[text()='Последние события']/following-sibling::table[1]//tbody/tr")
    assert latest and all(len(tr.cssselect("td")) == 5 for tr in latest)
    companies = [tr.cssselect("td")[2] for tr in latest]
    linked = [td.cssselect("a")[0] for td in companies if td.cssselect("a")]
    assert linked and all(a.get("href").startswith("/company/") for a in linked)
    assert page(site, linked[0].get("href")).cssselect("h1")[0].text_content() == linked[0].text_content()
    week = page(site, "/")
    assert int(week.get_element_by_id("total").text_content().replace("\u202f", "")) < int(
        doc.get_element_by_id("total").text_content().replace("\u202f", ""))


def test_search_finds_any_word_form(site: str, web_store: str) -> None:
    doc = page(site, "/search?q=тяговые+батареи")
    found = result_ids(doc)
    engine = open_readonly(web_store)
    with Session(engine) as s:
        stmt = select(Article.id, Article.title + " " + Article.text).where(Article.id.in_(found))
        texts = {i: t for i, t in s.execute(stmt)}
    assert found and all("тягов" in texts[i].lower() and "батаре" in texts[i].lower() for i in found)
    assert any("тяговых батарей" in t for t in texts.values())  # the declined form was found
    expected = articles(engine, Filters(text="тяговые батареи", limit=100))
    assert found == [r[0] for r in expected.rows]
    assert f"Найдено статей: {len(found)}" in doc.get_element_by_id("found").text_content()
    assert result_ids(page(site, "/search?q=ТЯГОВЫХ+БАТАРЕЙ")) == found
    assert result_ids(page(site, "/search?q=тяговых+батареи+ёлка")) == []


def test_facets_combine_and_count(site: str, web_store: str) -> None:
    doc = page(site, "/search")
    links = {a.get("data-facet"): a for a in reversed(doc.cssselect("a[data-facet]"))}  # the first of each kind
    assert {"company", "region", "category", "event", "source"} <= set(links)
    company = links["company"]
    count = int(company.getnext().text_content())
    narrowed = page(site, company.get("href"))
    assert f"Найдено статей: {count}" in narrowed.get_element_by_id("found").text_content()
    region = next(a for a in narrowed.cssselect("a[data-facet=region]"))
    both = page(site, region.get("href"))
    params = parse_qsl(urlsplit(region.get("href")).query)
    assert {k for k, _ in params} == {"company", "region"}  # bookmarkable: the filters are in the URL
    engine = open_readonly(web_store)
    f = Filters(**{k: (v,) for k, v in params})
    total = count_articles(engine, f)
    assert total == int(region.getnext().text_content()) > 0
    assert len(result_ids(both)) == min(total, 20)
    chip = both.cssselect(".chips a.chip")
    assert len(chip) == 2
    assert len(result_ids(page(site, chip[0].get("href")))) >= len(result_ids(both))  # removing a filter widens


def test_event_and_date_filters(site: str, web_store: str) -> None:
    engine = open_readonly(web_store)
    for event in ("launch", "localization"):
        doc = page(site, f"/search?event={event}")
        assert result_ids(doc) == [r[0] for r in articles(engine, Filters(event=(event,), limit=20)).rows]
        assert doc.cssselect("a.chip")[0].text_content().split(":")[1].strip().startswith(EVENT_TYPES_RU[event])
    day = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    doc = page(site, f"/search?since={day}")
    ids = result_ids(doc)
    with Session(engine) as s:
        dates = {i: d for i, d in s.execute(select(Article.id, Article.published_at).where(Article.id.in_(ids)))}
    assert ids and min(dates.values()) >= datetime.fromisoformat(day) - timedelta(hours=3)  # Moscow midnight


def test_pagination(site: str) -> None:
    first = page(site, "/search")
    total = int(re.search(r"Найдено статей: (\d+)", first.text_content()).group(1))  # type: ignore[union-attr]
    assert total > 40
    seen = result_ids(first)
    nxt = first.cssselect("a[rel=next]")[0].get("href")
    second = page(site, nxt)
    assert len(seen) == 20 and not set(seen) & set(result_ids(second))
    assert second.cssselect("a[rel=prev]")
    last = -(-total // 20)
    assert len(result_ids(page(site, f"/search?page={last}"))) == total - 20 * (last - 1)
    assert f"{last} pages" in page(site, f"/search?page={last + 1}", 400).get_element_by_id("message").text_content()


def test_company_page(site: str, web_store: str) -> None:
    doc = page(site, "/company/kamaz")
    assert doc.cssselect("h1")[0].text_content() == "КАМАЗ"
    about = doc.cssselect("dl.about")[0].text_content()
    assert "KAMAZ" in about and "Республика Татарстан" in about
    bars = doc.cssselect("svg.chart rect.bar")
    assert {b.get("data-series") for b in bars} == {"статьи", "события"} and any(float(b.get("height")) for b in bars)
    engine = open_readonly(web_store)
    total = count_articles(engine, Filters(company=("kamaz",)))
    assert doc.get_element_by_id("articles-total").text_content() == str(total)
    sentences = [td.text_content() for td in doc.cssselect("table.events tbody td:nth-child(5)")]
    assert sentences and all("КАМАЗ" in s or "Камаз" in s or "КамАЗ" in s for s in sentences)
    regions = doc.xpath("//h2[text()='Регионы']/following-sibling::table[1]//a")
    assert regions[0].text_content() == "Республика Татарстан"
    assert doc.xpath("//h2[text()='Компании рядом']")
    assert len(result_ids(doc)) == min(total, 15)
    assert "КАМАЗ" in page(site, "/company/kamaz?since=7d").cssselect("h1")[0].text_content()


@pytest.mark.parametrize("path", ["/region/RU-TA", "/category/buses", "/category/electric_vehicles"])
def test_region_and_category_pages(site: str, web_store: str, path: str) -> None:
    doc = page(site, path)
    kind, key = path.strip("/").split("/")
    title = region_names()[key] if kind == "region" else category_names()[key]
    assert doc.cssselect("h1")[0].text_content() == title
    engine = open_readonly(web_store)
    assert doc.get_element_by_id("articles-total").text_content() == str(count_articles(
        engine, Filters(**{kind: (key,)})))
    assert doc.cssselect("svg.chart rect.bar")
    listed = [(a.text_content(), int(a.getparent().getnext().text_content()))
              for a in doc.xpath("//h2[text()='Компании']/following-sibling::table[1]//a")]
    assert listed == [(name, n) for name, _, n in related(engine, kind, key, "company", Filters())] and listed
    assert result_ids(doc)


def test_article_page_marks_every_mention(site: str, web_store: str) -> None:
    engine = open_readonly(web_store)
    with Session(engine) as s:
        aid = s.scalar(select(Article.id).where(Article.title.like("Автотор запустил производство тяговых%")))
        art = s.get(Article, aid)
        kinds = {k for (k,) in s.execute(select(Entity.kind).join(Mention).where(Mention.article_id == aid))}
        full = f"{art.title}\n\n{art.text}"  # type: ignore[union-attr]
        marked = [full[a:b] for a, b in s.execute(select(Mention.start_char, Mention.end_char)
                                                 .where(Mention.article_id == aid))]
    doc = page(site, f"/article/{aid}")
    text_ = doc.cssselect("article.story h1")[0].text_content() + "\n\n" + doc.cssselect("div.text")[0].text_content()
    assert text_ == full  # every character, escaped and shown back unchanged
    marks = [m.text_content() for m in doc.cssselect("article.story mark") if m.getparent().tag != "p"]
    assert marks and set(marks) <= set(marked)
    assert {c.split("-")[1] for m in doc.cssselect("div.text mark, h1 mark") for c in [m.get("class")]} <= kinds
    assert doc.cssselect("mark.m-company a[href='/company/avtotor']")
    assert doc.cssselect("ul.event-list li .tag")
    assert doc.cssselect(f"a[href='{art.url}']")  # type: ignore[union-attr]


def test_feed_text_is_escaped(site: str) -> None:
    for path in ("/", "/search?q=КАМАЗ", "/search?q=Автотор", "/search?q=%3Cscript%3E"):
        r = get(site, path)
        assert r.status_code == 200
        assert "<script" not in r.text and "<img" not in r.text
    doc = page(site, "/search?q=открыл+линию")
    assert SCRIPT_TITLE in [a.text_content() for a in doc.cssselect("a.title")]  # shown as text
    r = get(site, "/search?q=Автотор+расширил")
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in r.text or "&quot;&gt;&lt;img" in r.text
    assert IMG_TITLE in [a.text_content() for a in lxml.html.fromstring(r.text).cssselect("a.title")]
    aid = result_ids(lxml.html.fromstring(get(site, "/search?q=открыл+линию").text))[0]
    r = get(site, f"/article/{aid}")
    assert "<script" not in r.text and "&lt;script&gt;" in r.text


@pytest.mark.parametrize(("path", "status", "says"), [
    ("/search?since=вчера", 400, "expected a date"),
    ("/search?until=2026-13-01", 400, "expected a date"),
    ("/search?since=2026-02-01&until=2026-01-01", 400, "before"),
    ("/search?event=launch%27%20OR%201=1", 400, "unknown event type"),
    ("/search?company=Камаззз", 400, "did you mean КАМАЗ"),
    ("/search?region=Мордор", 400, "no region"),
    ("/search?page=0", 400, "from 1 to"),
    ("/search?page=два", 400, "whole number"),
    ("/search?all=yes", 400, "use 1"),
    ("/search?q=" + "а" * 201, 400, "at most"),
    ("/?days=0", 400, "from 1 to"),
    ("/export?format=pdf", 400, "xlsx or csv"),
    ("/export?table=users", 400, "one of"),
    ("/company/no-such-company", 404, "нет в базе"),
    ("/company/kamaz'%20OR%20'1'='1", 404, "нет в базе"),
    ("/article/999999", 404, "нет в базе"),
    ("/article/abc", 404, "такой страницы нет"),
    ("/person/x", 404, "такой страницы нет"),
    ("/admin", 404, "такой страницы нет"),
    ("/static/../../etc/passwd", 404, ""),
])
def test_errors_are_pages_with_a_reason(site: str, path: str, status: int, says: str) -> None:
    r = get(site, path)
    assert r.status_code == status
    assert "Traceback" not in r.text and "sqlalchemy" not in r.text.lower()
    if says:
        assert says in lxml.html.fromstring(r.text).get_element_by_id("message").text_content()


def test_odd_searches_are_not_errors(site: str) -> None:
    for q in ('"КАМАЗ', "КАМАЗ OR", "NEAR(КАМАЗ", "*", "' OR 1=1 --", "%_", "ё"):
        r = get(site, "/search", params={"q": q})
        assert r.status_code == 200, (q, r.text[:300])


def test_security_headers(site: str) -> None:
    r = get(site, "/")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert re.match(r"app;dur=\d+(\.\d+)?$", r.headers["server-timing"])
    assert get(site, "/static/style.css").headers["content-type"].startswith("text/css")


def test_export_of_a_page(site: str, web_store: str) -> None:
    doc = page(site, "/search?q=электробусы")
    href = next(a.get("href") for a in doc.cssselect(".export a") if a.text_content() == "XLSX")
    r = get(site, href)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    engine = open_readonly(web_store)
    expected = count_articles(engine, Filters(text="электробусы"))
    assert wb.sheetnames[0] == "Статьи" and wb["Статьи"].max_row - 1 == expected > 0  # Russian labels
    r = get(site, "/export?company=kamaz&format=csv&table=events")
    rows = r.content.decode("utf-8-sig").splitlines()
    assert r.status_code == 200 and ",type," in rows[0] and len(rows) > 1
    assert all("КАМАЗ" in line for line in rows[1:])


def test_the_view_cannot_write(web_store: str) -> None:
    engine = open_readonly(web_store)
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text("DELETE FROM articles"))
    assert re.search(r"read.?only|readonly", str(caught.value), re.I)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Article))


def test_token(web_store: str) -> None:
    engine = open_readonly(web_store)
    with serving(create_app(engine, token="s3cret")) as base, httpx.Client(base_url=base, timeout=60) as client:
        r = client.get("/search?q=КАМАЗ")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        assert client.get("/static/style.css").status_code == 200
        login = client.get(r.headers["location"])
        assert login.status_code == 401 and 'type="password"' in login.text
        wrong = client.post("/login?next=%2Fsearch", data={"token": "guess"})
        assert wrong.status_code == 401 and "Неверный токен" in wrong.text
        ok = client.post("/login?next=%2Fsearch%3Fq%3D%D0%9A%D0%90%D0%9C%D0%90%D0%97", data={"token": "s3cret"})
        assert ok.status_code == 303 and unquote(ok.headers["location"]) == "/search?q=КАМАЗ"
        assert "s3cret" not in ok.headers["set-cookie"] and "HttpOnly" in ok.headers["set-cookie"]
        assert client.get("/search?q=КАМАЗ").status_code == 200  # the cookie
        evil = client.post("/login?next=//evil.example/", data={"token": "s3cret"})
        assert evil.headers["location"] == "/"
        assert httpx.get(base + "/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert httpx.get(base + "/", headers={"Authorization": "Bearer nope"}).status_code == 303


def test_serve_refuses_other_hosts_without_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--token" in result.output
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "serve"])
    assert result.exit_code == 2 and "no such store" in result.output
    assert not (tmp_path / "x.db").exists()  # the view never creates a store


def test_serve_says_when_the_port_is_taken(web_store: str) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["--db", web_store, "serve", "--port", str(port)])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output


def test_url_events_match_the_extractor() -> None:
    assert list(EVENT_TYPES_RU) == list(TYPES)


def test_date_facet(site: str) -> None:
    doc = page(site, "/search?q=завод")
    months = doc.cssselect("a[data-facet=month]")
    assert months
    for link in months[:2]:
        shown = int(link.getnext().text_content())
        narrowed = page(site, link.get("href"))
        params = dict(parse_qsl(urlsplit(link.get("href")).query))
        assert params["q"] == "завод" and params["since"].endswith("-01")
        assert f"Найдено статей: {shown}" in narrowed.get_element_by_id("found").text_content()


def test_a_big_search_says_it_found_more_than_it_counted(site: str, web_store: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond COUNTED a word is counted only that far («больше N»); an entity's count comes from the
    rollups and stays exact however large (here with a sample of 3 and a cap of 5)."""
    from avtomon.web import pages

    monkeypatch.setattr(pages, "SAMPLE", 3)
    monkeypatch.setattr(pages, "COUNTED", 5)
    engine = open_readonly(web_store)
    assert count_articles(engine, Filters(text="завод")) > 5
    found = page(site, "/search?q=завод").get_element_by_id("found").text_content()
    assert found.startswith("Найдено статей: больше 5"), found
    company = top_entities(engine, "company", Filters(limit=1)).rows[0]
    assert company[2] > 5
    found = page(site, f"/search?company={company[1]}").get_element_by_id("found").text_content()
    assert found.startswith(f"Найдено статей: {company[2]}"), found
    engine.dispose()
