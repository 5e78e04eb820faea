"""Filters as an analyst types them: names in any form, several values, unknown names, word forms,
time zones, guessed dates; on a store filled through the real pipeline (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner, Result
from openpyxl import load_workbook

from avtomon.cli import cli


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


def rows(result: Result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_brand_names_in_russian_resolve_to_their_owner(filled_store: str) -> None:
    expected = rows(run(filled_store, "query", "articles", "--company", "АвтоВАЗ"))
    assert expected
    for name in ("Лада", "ЛАДА", "Лады", "Lada", "avtovaz"):
        assert rows(run(filled_store, "query", "articles", "--company", name)) == expected, name


def test_a_repeated_filter_means_any_of_them(filled_store: str) -> None:
    kamaz = {r["id"] for r in rows(run(filled_store, "query", "articles", "--company", "КАМАЗ", "--limit", "500"))}
    avtotor = {r["id"] for r in rows(run(filled_store, "query", "articles", "--company", "Автотор", "--limit", "500"))}
    both = {r["id"] for r in rows(run(filled_store, "query", "articles", "--company", "КАМАЗ", "--company", "Автотор",
                                      "--limit", "500"))}
    assert kamaz and avtotor and both == kamaz | avtotor
    trend = rows(run(filled_store, "query", "trend", "--company", "КАМАЗ", "--company", "Автотор", "--by", "month"))
    assert sum(int(r["articles"]) for r in trend) == len(both - guessed(filled_store))
    compared = rows(run(filled_store, "query", "trend", "--company", "КАМАЗ", "--company", "Автотор", "--by",
                        "month", "--compare"))
    assert list(compared[0]) == ["period", "КАМАЗ", "Автотор"]
    assert sum(int(r["КАМАЗ"]) for r in compared) == len(kamaz - guessed(filled_store))
    regions = rows(run(filled_store, "query", "events", "--event", "launch", "--event", "suspension"))
    assert {r["type"] for r in regions} == {"launch", "suspension"}


def guessed(url: str) -> set[str]:
    return {r["id"] for r in rows(run(url, "query", "articles", "--limit", "500")) if r["date_guessed"] == "True"}


def test_known_name_without_articles_is_an_empty_answer(filled_store: str) -> None:
    quiet = run(filled_store, "query", "events", "--company", "Лада-Имидж")
    assert quiet.exit_code == 0 and rows(quiet) == []
    assert rows(run(filled_store, "query", "articles", "--region", "RU-CHU")) == []


def test_unknown_names_are_errors_with_suggestions(filled_store: str) -> None:
    res = run(filled_store, "query", "companies", "--company", "Автотрр")
    assert res.exit_code == 2 and "did you mean" in res.output and "Автотор" in res.output
    res = run(filled_store, "query", "articles", "--region", "Калиниградская облать")
    assert res.exit_code == 2 and "Калининградская область" in res.output
    res = run(filled_store, "export", "x.csv", "--source", "Новост")
    assert res.exit_code == 2 and "Новости" in res.output


def test_events_query_and_export_return_the_same_rows(filled_store: str, tmp_path: Path) -> None:
    for company in ("КАМАЗ", "Автотор"):
        queried = rows(run(filled_store, "query", "events", "--company", company, "--limit", "1000"))
        out = tmp_path / "events.csv"
        assert run(filled_store, "export", str(out), "--table", "events", "--company", company).exit_code == 0
        with out.open(encoding="utf-8-sig") as fh:
            exported = list(csv.DictReader(fh))
        assert queried and len(queried) == len(exported)
        # the export defuses formulas in text (a hostile title), the query prints text as it is
        assert [(r["type"], r["sentence"]) for r in queried] == [(r["type"], r["sentence"].removeprefix("'"))
                                                                  for r in exported]
        assert {r["company"] for r in queried} == {company}


def test_text_finds_any_word_form(filled_store: str) -> None:
    declined = rows(run(filled_store, "query", "articles", "--text", "тяговых батарей"))
    assert declined == rows(run(filled_store, "query", "articles", "--text", "тяговые батареи"))
    assert declined == rows(run(filled_store, "query", "articles", "--text", "ТЯГОВАЯ батарея"))
    assert declined and all("батаре" in (r["title"] + r["snippet"]).lower() for r in declined)
    narrowed = rows(run(filled_store, "query", "articles", "--text", "тяговых батарей", "--company", "Автотор"))
    assert narrowed and {r["id"] for r in narrowed} <= {r["id"] for r in declined}
    assert rows(run(filled_store, "query", "articles", "--text", "ничегоподобногонет")) == []


def test_time_zone_of_dates_and_day_boundaries(filled_store: str) -> None:
    moscow = rows(run(filled_store, "query", "articles", "--limit", "500"))
    utc = rows(run(filled_store, "query", "articles", "--limit", "500", "--tz", "UTC"))
    assert [r["id"] for r in moscow] == [r["id"] for r in utc]
    bad = run(filled_store, "query", "articles", "--tz", "Mars/Olympus")
    assert bad.exit_code == 2 and "unknown time zone" in bad.output


def test_trend_labels_months_and_keeps_empty_periods(filled_store: str) -> None:
    trend = rows(run(filled_store, "query", "trend", "--by", "month", "--since", "2025-06-01", "--until",
                     "2027-01-31"))
    assert trend[0]["period"] == "2025-06" and trend[-1]["period"] == "2027-01"
    assert len(trend) == 20 and any(r["articles"] == "0" for r in trend)


def test_russian_xlsx(filled_store: str, tmp_path: Path) -> None:
    out = tmp_path / "ru.xlsx"
    res = run(filled_store, "export", str(out), "--russian", "--tz", "Asia/Yekaterinburg")
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "Статьи"
    headers = [c.value for c in wb["Статьи"][1]]
    assert headers[1] == "дата публикации (Asia/Yekaterinburg)" and "заголовок" in headers
    events = list(wb["События"].iter_rows(min_row=2, values_only=True))
    assert any(e[4] == "запуск производства" for e in events)
    assert any("Калининградская область" in (e[5] or "") for e in events)


def test_limits_say_when_rows_were_left_out(filled_store: str) -> None:
    res = CliRunner().invoke(cli, ["--db", filled_store, "query", "events", "--limit", "3"])
    assert res.exit_code == 0 and len(list(csv.DictReader(io.StringIO(res.stdout)))) == 3
    assert "the first 3 rows; --limit N shows more" in res.stderr
    res = CliRunner().invoke(cli, ["--db", filled_store, "query", "events", "--limit", "100000"])
    assert "--limit N shows more" not in res.stderr
    helps = CliRunner().invoke(cli, ["query", "events", "--help"]).output
    assert "default 100" in " ".join(helps.split())


def test_default_limits_agree() -> None:
    from avtomon.cli_query import DEFAULT_LIMITS as SHOWN
    from avtomon.pipeline.query import DEFAULT_LIMITS

    assert SHOWN == DEFAULT_LIMITS
