"""`avtomon query …` on a store filled through the real pipeline, on SQLite and PostgreSQL."""

import csv
import io
import json

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from avtomon.cli import cli
from avtomon.db import open_store


def q(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, "query", *args], catch_exceptions=False)


def rows(result: Result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_top_companies(filled_store: str) -> None:
    top = rows(q(filled_store, "companies", "--limit", "3"))
    assert len(top) == 3
    assert {"КАМАЗ", "АвтоВАЗ"} <= {r["name"] for r in top} and int(top[0]["articles"]) >= 6
    assert [int(r["articles"]) for r in top] == sorted((int(r["articles"]) for r in top), reverse=True)
    assert int(top[0]["mentions"]) >= int(top[0]["articles"])
    assert top[0]["first_seen"] <= top[0]["last_seen"]


@pytest.mark.parametrize("region", ["RU-KGD", "ru-kgd", "Калининградская область", "Калининградской области",
                                    "Калининград"])
def test_region_filter_any_form(filled_store: str, region: str) -> None:
    found = rows(q(filled_store, "companies", "--region", region))
    assert found[0]["name"] == "Автотор"


@pytest.mark.parametrize("company", ["Автотор", "Автотора", "avtotor", "АВТОТОР"])
def test_company_filter_any_form(filled_store: str, company: str) -> None:
    found = rows(q(filled_store, "regions", "--company", company))
    assert "RU-KGD" in {r["key"] for r in found}


def test_events_of_avtotor_in_kaliningrad(filled_store: str) -> None:
    found = rows(q(filled_store, "events", "--company", "Автотор", "--region", "RU-KGD", "--since", "2026-01-01"))
    assert found and {r["company"] for r in found} == {"Автотор"} and {r["region"] for r in found} == {"RU-KGD"}
    assert all(r["url"].startswith("https://news.example.ru/") and r["sentence"] for r in found)


def test_categories_being_localized(filled_store: str) -> None:
    found = rows(q(filled_store, "categories", "--event", "localization"))
    keys = {r["key"] for r in found}
    assert {"lighting", "electric_motors"} <= keys


def test_event_type_and_source_and_text_filters(filled_store: str) -> None:
    suspensions = rows(q(filled_store, "events", "--event", "suspension"))
    assert suspensions and {r["type"] for r in suspensions} == {"suspension"}
    assert rows(q(filled_store, "articles", "--source", "Новости", "--limit", "5"))
    unknown = q(filled_store, "articles", "--source", "Новостии")
    assert unknown.exit_code == 2 and "did you mean Новости?" in unknown.output
    batteries = rows(q(filled_store, "articles", "--text", "тяговых батарей"))
    assert batteries and all("батаре" in (r["title"] + r["snippet"]).lower() for r in batteries)


def test_category_filter(filled_store: str) -> None:
    found = rows(q(filled_store, "companies", "--category", "tires"))
    assert {"Cordiant", "Нижнекамскшина"} <= {r["name"] for r in found}
    assert rows(q(filled_store, "companies", "--category", "Шины")) == found


def test_dates_and_spans(filled_store: str) -> None:
    january = rows(q(filled_store, "articles", "--since", "2026-01-01", "--until", "2026-01-31", "--limit", "100"))
    assert january and all("2026-01-01" <= r["date"] <= "2026-01-31" for r in january)
    assert rows(q(filled_store, "articles", "--since", "1d")) == []  # every fixture article is older
    bad = q(filled_store, "articles", "--since", "вчера")
    assert bad.exit_code == 2 and "expected a date such as 2026-01-31" in bad.output


def test_relevant_by_default_all_on_request(filled_store: str) -> None:
    default = {r["title"] for r in rows(q(filled_store, "articles", "--limit", "1000"))}
    everything = {r["title"] for r in rows(q(filled_store, "articles", "--all", "--limit", "1000"))}
    assert "ЦБ сохранил ключевую ставку на уровне 16%" in everything - default
    assert "КАМАЗ запустил серийное производство электробусов нового поколения" in default


def test_persons(filled_store: str) -> None:
    assert "Сергей Когогин" in {r["name"] for r in rows(q(filled_store, "persons"))}


def test_trend_by_month(filled_store: str) -> None:
    found = rows(q(filled_store, "trend", "--by", "month", "--company", "КАМАЗ"))
    assert found[0]["period"] == "2026-01"
    kamaz = next(r for r in rows(q(filled_store, "companies")) if r["name"] == "КАМАЗ")
    assert sum(int(r["articles"]) for r in found) == int(kamaz["articles"])
    weeks = rows(q(filled_store, "trend", "--by", "week", "--all"))
    assert all(r["period"] for r in weeks) and len(weeks) > 20


def test_pairs(filled_store: str) -> None:
    found = rows(q(filled_store, "pairs", "--kind", "company-region"))
    assert ("Автотор", "RU-KGD") in {(r["company"], r["region"]) for r in found}
    cats = rows(q(filled_store, "pairs", "--kind", "company-category", "--company", "Автотор"))
    assert ("Автотор", "batteries") in {(r["company"], r["category"]) for r in cats}
    assert rows(q(filled_store, "pairs", "--kind", "region-category"))


@pytest.mark.parametrize("fmt", ["json", "jsonl", "table"])
def test_formats(filled_store: str, fmt: str) -> None:
    out = q(filled_store, "companies", "--limit", "2", "--format", fmt)
    assert out.exit_code == 0
    if fmt == "json":
        assert len(json.loads(out.stdout)) == 2 and "articles" in json.loads(out.stdout)[0]
    elif fmt == "jsonl":
        assert len([json.loads(x)["name"] for x in out.stdout.splitlines()]) == 2
    else:
        assert "Companies" in out.output and "articles" in out.output


def test_unknown_names_are_clear_errors(filled_store: str) -> None:
    out = q(filled_store, "events", "--region", "Атлантида")
    assert out.exit_code == 2 and "--region 'Атлантида': no region by that name" in out.output


def test_views_for_analysts(filled_store: str) -> None:
    engine = open_store(filled_store)
    with engine.connect() as conn:
        art = conn.execute(text("SELECT title, companies, regions FROM v_articles WHERE companies LIKE '%Автотор%'")
                           ).all()
        assert art and any("RU-KGD" in (r.regions or "") for r in art)
        men = conn.execute(text("SELECT kind, name, mention_text FROM v_mentions WHERE key = 'kamaz'")).all()
        assert {m.mention_text for m in men} >= {"КАМАЗ"} and {m.kind for m in men} == {"company"}
        ev = conn.execute(text("SELECT type, company, region FROM v_events WHERE company = 'Автотор'")).all()
        assert ("launch", "Автотор", "RU-KGD") in {tuple(r) for r in ev}
    engine.dispose()
