"""Exports read back cell by cell: openpyxl for XLSX, csv for CSV, json for JSON Lines."""

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from avtomon.cli import cli
from avtomon.pipeline.export import neutralize
from tests.store_fixture import HOSTILE_TITLE


def export(url: str, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--db", url, "export", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_xlsx_every_sheet_cell_by_cell(filled_store: str, tmp_path: Path) -> None:
    out = tmp_path / "avtomon.xlsx"
    result = export(filled_store, "--out", str(out), "--all")
    assert "articles" in result.output and "events" in result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["Articles", "Mentions", "Companies", "Regions", "Categories", "Events"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        assert ws.cell(1, 1).font.bold
    articles = wb["Articles"]
    headers = [c.value for c in articles[1]]
    assert headers[:7] == ["id", "published (Europe/Moscow)", "published_guessed", "source", "title", "url",
                           "relevance"]
    assert articles.column_dimensions["E"].width > 59  # the title
    by_title = {row[4].value: row for row in articles.iter_rows(min_row=2)}
    kamaz = by_title["КАМАЗ запустил серийное производство электробусов нового поколения"]
    assert isinstance(kamaz[0].value, int)
    assert isinstance(kamaz[1].value, datetime) and kamaz[1].number_format == "yyyy-mm-dd hh:mm"
    assert kamaz[2].value is False and kamaz[3].value == "Новости"
    assert kamaz[4].alignment.wrap_text and kamaz[4].alignment.vertical == "top"  # wraps, shows the lead
    url = "https://news.example.ru/a01"
    assert kamaz[5].value == f'=HYPERLINK("{url}","{url}")' and kamaz[5].data_type == "f"  # clickable
    assert isinstance(kamaz[6].value, float) and 0 <= kamaz[6].value <= 1
    assert "КАМАЗ" in kamaz[7].value and "RU-TA" in kamaz[8].value and "launch" in kamaz[10].value
    hostile = by_title["'" + HOSTILE_TITLE]
    assert hostile[4].data_type == "s"  # text, never a formula
    formulas = [c for row in articles.iter_rows(min_row=2) for c in row if c.data_type == "f"]
    assert all(c.column_letter == "F" and c.value.startswith('=HYPERLINK("https://') for c in formulas)
    # the URL is also the cell's stored value: what pandas and openpyxl's data_only mode read
    values = {row[4]: row[5] for row in load_workbook(out, data_only=True)["Articles"].iter_rows(values_only=True)}
    assert values["КАМАЗ запустил серийное производство электробусов нового поколения"] == url
    assert len(by_title) == 61  # 60 gold texts + the hostile one (--all)
    companies = {r[1].value: r for r in wb["Companies"].iter_rows(min_row=2)}
    assert isinstance(companies["kamaz"][2].value, int) and companies["kamaz"][0].value == "КАМАЗ"
    events = list(wb["Events"].iter_rows(min_row=2, values_only=True))
    assert ("Автотор", "launch", "RU-KGD") in {(e[3], e[4], e[5]) for e in events}
    mentions = list(wb["Mentions"].iter_rows(min_row=2, values_only=True))
    assert any(m[4] == "region" and m[7] == "Тольятти" for m in mentions)


def test_xlsx_respects_filters(filled_store: str, tmp_path: Path) -> None:
    out = tmp_path / "kgd.xlsx"
    export(filled_store, "--out", str(out), "--region", "Калининградской области")
    articles = list(load_workbook(out)["Articles"].iter_rows(min_row=2, values_only=True))
    assert articles and all("RU-KGD" in a[8] for a in articles)
    assert all("ЦБ" not in a[4] for a in articles)


def test_csv_excel_friendly(filled_store: str, tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    export(filled_store, "--out", str(out), "--delimiter", ";")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8 Cyrillic
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    titles = {r["title"] for r in rows}
    assert "Автотор запустил производство тяговых батарей для электромобилей" in titles
    assert "'" + HOSTILE_TITLE in titles and HOSTILE_TITLE not in titles
    assert all(r["published"][:4] == "2026" for r in rows)


def test_csv_table_choice(filled_store: str, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    export(filled_store, "--out", str(out), "--table", "events", "--event", "suspension")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {r["type"] for r in rows} == {"suspension"}


def test_jsonl(filled_store: str, tmp_path: Path) -> None:
    out = tmp_path / "companies.jsonl"
    export(filled_store, "--out", str(out), "--table", "companies")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {"name", "key", "articles", "mentions", "first_seen", "last_seen"} == set(rows[0])
    assert any(r["name"] == "Автотор" for r in rows)


def test_destination_as_argument_or_default_name(filled_store: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    export(filled_store, str(tmp_path / "report.csv"), "--table", "companies")
    assert "Автотор" in (tmp_path / "report.csv").read_text(encoding="utf-8-sig")
    monkeypatch.chdir(tmp_path)
    result = export(filled_store, "--all")
    written = list(tmp_path.glob("avtomon-*.xlsx"))
    assert len(written) == 1 and written[0].name in result.output
    assert load_workbook(written[0]).sheetnames[0] == "Articles"
    res = CliRunner().invoke(cli, ["--db", filled_store, "export", "a.csv", "--out", "b.csv"])
    assert res.exit_code == 2 and "two destinations" in res.output


def test_bad_destination(filled_store: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["--db", filled_store, "export", "--out", str(tmp_path / "x.pdf")])
    assert res.exit_code == 2 and "use a .xlsx, .csv or .jsonl" in res.output
    res = CliRunner().invoke(cli, ["--db", filled_store, "export", "--out", str(tmp_path / "no" / "x.csv")])
    assert res.exit_code == 2 and "does not exist" in res.output


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+7 999", "'+7 999"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("КАМАЗ", "КАМАЗ"), (5, 5), (None, None)],
)
def test_neutralize(value: object, expected: object) -> None:
    assert neutralize(value) == expected
