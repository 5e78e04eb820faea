"""The XLSX writer's rows against XlsxWriter's own: the same cells, the same XML, read back alike."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from openpyxl import load_workbook

from avtomon.pipeline import xlsx

HEADERS = ["id", "published", "day", "guessed", "title", "url", "relevance", "text", "empty"]
UGLY = [
    [1, datetime(2026, 11, 30, 23, 59, 59, 500_000), date(2026, 2, 28), False,
     "КАМАЗ & «Соллерс» <итоги> года", "https://news.example.ru/a?x=1&y=2", 0.875,
     "  ведущие и хвостовые пробелы\tтабуляция\r\nперевод строки  ", None],
    [2, datetime(2025, 1, 1), date(2025, 1, 1), True, "=HYPERLINK(\"http://evil.example\",\"x\")",
     'https://news.example.ru/"quoted"', 1.0, "управляющие \x00\x01\x1f символы и литерал _x0041_ внутри", ""],
    [3, datetime(2024, 2, 29, 12, 0), date(2024, 2, 29), False, "-5 % продаж", "ftp://not.a.link/", 0.0,
     "я" * 40_000, "+7 (495) 000-00-00"],
    [10**12, datetime(2026, 6, 1, 0, 0, 0, 1), date(2026, 6, 1), True, "@упоминание", "https://x.ru/" + "a" * 300,
     1e-9, "ok", "обычный текст"],
]
WRAPPED = frozenset({"title"})


def ours(path: Path) -> dict[str, int]:
    table = xlsx.Table("Articles", HEADERS, HEADERS, [10.0] * len(HEADERS), WRAPPED, iter(UGLY))
    return xlsx.write(path, [table, xlsx.Table("Empty", ["name"], ["name"], [30.0], WRAPPED, iter([]))])


def theirs(path: Path) -> None:
    """The same rows written cell by cell by XlsxWriter in constant-memory mode (the writer before)."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    header, st = xlsx._formats(wb)
    fmt = {f._get_xf_index(): f for f in wb.formats}
    ws = wb.add_worksheet("Articles")
    for c, h in enumerate(HEADERS):
        ws.write_string(0, c, h, header)
    for r, row in enumerate(UGLY, 1):
        for c, (h, v) in enumerate(zip(HEADERS, row, strict=True)):
            if v is None:
                ws.write_blank(r, c, None, fmt[st.text])
            elif isinstance(v, str) and h == "url" and v.startswith("https://") and len(v) <= xlsx.HYPERLINK_MAX:
                safe = v.replace('"', "%22")
                ws.write_formula(r, c, f'=HYPERLINK("{safe}","{safe}")', fmt[st.link], safe)
            elif isinstance(v, str):
                ws.write_string(r, c, xlsx.neutralize(v)[: xlsx.XLSX_CELL_MAX], fmt[st.wrapped if h in WRAPPED
                                                                                  else st.text])
            elif isinstance(v, bool):
                ws.write_boolean(r, c, v, fmt[st.text])
            elif isinstance(v, datetime):
                ws.write_datetime(r, c, v, fmt[st.datetime])
            elif isinstance(v, date):
                ws.write_datetime(r, c, datetime(v.year, v.month, v.day), fmt[st.date])
            else:
                ws.write_number(r, c, v, fmt[st.float] if isinstance(v, float) else fmt[st.text])
    wb.close()


def data_rows(path: Path) -> list[str]:
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    return re.findall(r"<row r=\"(?:[2-9]|\d\d+)\"[^>]*>.*?</row>", sheet, re.S)


def test_rows_as_xlsxwriter_writes_them(tmp_path: Path) -> None:
    assert ours(tmp_path / "ours.xlsx") == {"Articles": len(UGLY), "Empty": 0}
    theirs(tmp_path / "theirs.xlsx")
    mine, reference = data_rows(tmp_path / "ours.xlsx"), data_rows(tmp_path / "theirs.xlsx")
    assert len(mine) == len(UGLY)
    number = re.compile(r'(<c r="B\d+" s="\d+"><v>)([\d.E+-]+)(</v>)')  # times: the same to a microsecond
    for a, b in zip(mine, reference, strict=True):
        assert number.sub("", a) == number.sub("", b)
        assert abs(float(number.search(a)[2]) - float(number.search(b)[2])) < 1e-11


def test_read_back(tmp_path: Path) -> None:
    ours(tmp_path / "ours.xlsx")
    wb = load_workbook(tmp_path / "ours.xlsx")
    ws = wb["Articles"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I5" and ws.max_row == 5
    assert ws.cell(1, 1).font.bold and ws.column_dimensions["E"].width > 9
    first = [c.value for c in ws[2]]
    assert first[:5] == [1, datetime(2026, 11, 30, 23, 59, 59, 500_000), datetime(2026, 2, 28), False,
                         "КАМАЗ & «Соллерс» <итоги> года"]
    assert first[5] == '=HYPERLINK("https://news.example.ru/a?x=1&y=2","https://news.example.ru/a?x=1&y=2")'
    assert first[7].startswith("  ведущие") and first[7].endswith("строки  ") and first[8] is None
    assert ws["E2"].alignment.wrap_text and not ws["H2"].alignment.wrap_text
    assert ws["B2"].number_format == "yyyy-mm-dd hh:mm" and ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["G2"].number_format == "0.000"
    second = [c.value for c in ws[3]]
    assert second[4] == "'=HYPERLINK(\"http://evil.example\",\"x\")" and ws["E3"].data_type == "s"
    # control characters and a literal _xHHHH_ escaped as Excel does (Excel undoes it; openpyxl shows it raw)
    assert second[7] == "управляющие _x0000__x0001__x001F_ символы и литерал _x005F_x0041_ внутри"
    third = [c.value for c in ws[4]]
    assert third[4] == "'-5 % продаж" and third[5] == "ftp://not.a.link/" and len(third[7]) == xlsx.XLSX_CELL_MAX
    assert third[8] == "'+7 (495) 000-00-00"
    assert ws.cell(5, 1).value == 10**12 and ws.cell(5, 6).value.startswith("https://x.ru/aaa")
    empty = wb["Empty"]
    assert empty.max_row == 1 and empty.freeze_panes == "A2" and empty.cell(1, 1).value == "name"
    values = load_workbook(tmp_path / "ours.xlsx", data_only=True)["Articles"]
    assert values["F2"].value == "https://news.example.ru/a?x=1&y=2"  # the link's stored result


def test_column_letters() -> None:
    assert xlsx.column_letters(28)[-3:] == ["Z", "AA", "AB"]
    assert xlsx.column_letters(703)[-1] == "AAA"
