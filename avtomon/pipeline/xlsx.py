"""The XLSX writer of exports and digests: XlsxWriter makes the workbook, the rows are streamed here.

XlsxWriter writes everything but the data rows: styles, sheets, the frozen bold header, column
widths, the autofilter and its defined name, document properties. The data rows are written by
`_row` straight into the sheet's XML, in the form XlsxWriter's own constant-memory mode writes them
(inline strings, its escapes of control characters and of `_xHHHH_`, serial dates, a formula with its
stored result), and spliced into the sheets XlsxWriter made.

Why not XlsxWriter for the rows too: it spends 6–10 µs of Python a cell (argument checks, a cell
record, a write call per element), so a month from a big store (four million cells) took half a
minute; a row written here costs about a fifth of that (measured in docs/performance.md). Memory
stays flat: rows go to a temporary file as they come, as XlsxWriter's constant-memory mode does.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

XLSX_CELL_MAX = 32_000  # Excel refuses cells over 32 767 characters
HYPERLINK_MAX = 250  # Excel's HYPERLINK takes at most 255 characters
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's phantom 1900-02-29 is counted
# zlib level: 4 deflates a month from a big store (270 MB of XML) in 1.5 s, the default 6 in 3.2 s, for a
# file 12 % larger (27 MB against 24)
LEVEL = 4
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def neutralize(value: Any) -> Any:
    """Defuse spreadsheet formulas in text cells (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Styles:
    """The cell-format (xf) numbers of the workbook's styles, as XlsxWriter numbered them."""

    text: int
    wrapped: int
    datetime: int
    date: int
    float: int
    link: int


@dataclass(frozen=True)
class Table:
    """A sheet to write: its name, headers (with their column widths and which wrap) and rows."""

    name: str
    headers: list[str]
    labels: list[str]  # the header row as shown
    widths: list[float]
    wrapped: frozenset[str]
    rows: Iterable[list[Any]]


def column_letters(n: int) -> list[str]:
    """A, B, …, Z, AA, … for the first n columns."""
    out = []
    for i in range(n):
        name, i = "", i + 1
        while i:
            i, rest = divmod(i - 1, 26)
            name = chr(65 + rest) + name
        out.append(name)
    return out


def xml_text(s: str) -> str:
    """A string as Excel stores it in XML: control characters as _xHHHH_ (a literal _xHHHH_ escaped
    first, as Excel does), then &, < and > as entities."""
    if _SPECIAL.search(s) is None:
        return s
    s = _LITERAL_ESCAPE.sub(r"_x005F\1", s)
    s = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _string(ref: str, style: int, value: str) -> str:
    text = xml_text(neutralize(value)[:XLSX_CELL_MAX])
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _serial(value: datetime) -> float:
    """Excel's day number of a wall-clock time (Excel has no time zones)."""
    delta = value.replace(tzinfo=None) - EXCEL_EPOCH
    return delta.days + (delta.seconds * 1_000_000 + delta.microseconds) / 86_400_000_000


def _cell(ref: str, header: str, value: Any, st: Styles, wrapped: frozenset[str]) -> str:
    if value is None:
        return f'<c r="{ref}" s="{st.text}"/>'
    if isinstance(value, str):
        if header == "url" and value.startswith(("http://", "https://")) and len(value) <= HYPERLINK_MAX:
            # A HYPERLINK formula with the URL as its stored result: clickable, and pandas or openpyxl
            # (data_only) read the URL. Cell hyperlinks would be held in memory until the file is closed,
            # and Excel takes at most 65 530 of them per sheet.
            url = xml_text(value.replace('"', "%22"))
            return f'<c r="{ref}" s="{st.link}" t="str"><f>HYPERLINK("{url}","{url}")</f><v>{url}</v></c>'
        return _string(ref, st.wrapped if header in wrapped else st.text, value)
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{st.text}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{st.datetime}"><v>{_serial(value):.16G}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{st.date}"><v>{(value - EXCEL_EPOCH.date()).days}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}" s="{st.float}"><v>{value:.16G}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}" s="{st.text}"><v>{value}</v></c>'
    return _string(ref, st.text, str(value))


def _write_rows(fh: IO[str], table: Table, st: Styles) -> int:
    """The data rows of a sheet as <row> elements (row 2 on); returns how many."""
    letters = column_letters(len(table.headers))
    n = 0
    buf: list[str] = []
    for n, row in enumerate(table.rows, 1):
        r = n + 1
        cells = "".join([_cell(f"{c}{r}", h, v, st, table.wrapped)
                         for c, h, v in zip(letters, table.headers, row, strict=True)])
        buf.append(f'<row r="{r}">{cells}</row>')
        if len(buf) == 500:
            fh.write("".join(buf))
            buf.clear()
    fh.write("".join(buf))
    return n


def _formats(wb: Any) -> tuple[Any, Styles]:
    """The header format and the cell styles, numbered now so that rows can be written before the sheets
    exist (XlsxWriter numbers a format when first asked; the numbers are what it writes in styles.xml)."""
    top = {"valign": "top"}
    header = wb.add_format({"bold": True, "valign": "top", "text_wrap": True, "bg_color": "#F2F2F2"})
    formats = [wb.add_format(top), wb.add_format({**top, "text_wrap": True}),
               wb.add_format({**top, "num_format": "yyyy-mm-dd hh:mm"}),
               wb.add_format({**top, "num_format": "yyyy-mm-dd"}), wb.add_format({**top, "num_format": "0.000"}),
               wb.add_format({**top, "font_color": "blue", "underline": 1})]
    header._get_xf_index()
    return header, Styles(*(f._get_xf_index() for f in formats))


def write(path: Path, tables: list[Table]) -> dict[str, int]:
    """One workbook at `path`, a sheet per table; returns the rows written per sheet name."""
    import xlsxwriter

    with tempfile.TemporaryDirectory(prefix="avtomon-xlsx-") as tmpdir:
        tmp = Path(tmpdir)
        frame = tmp / "frame.xlsx"
        wb = xlsxwriter.Workbook(str(frame), {"tmpdir": tmpdir, "strings_to_formulas": False,
                                              "strings_to_urls": False, "strings_to_numbers": False})
        header, styles = _formats(wb)
        counts: dict[str, int] = {}
        for i, table in enumerate(tables, 1):
            with (tmp / f"sheet{i}.rows").open("w", encoding="utf-8") as fh:
                counts[table.name] = _write_rows(fh, table, styles)
        for table in tables:
            _frame_sheet(wb, table, header, counts[table.name])
        wb.close()
        _splice(frame, tmp, path)
    return counts


def _frame_sheet(wb: Any, table: Table, header: Any, n: int) -> None:
    """A sheet with everything but the data rows; a blank cell in the last row gives the sheet its
    dimensions (the row is replaced by the data)."""
    ws = wb.add_worksheet(table.name)
    ws.freeze_panes(1, 0)
    for i, (label, width) in enumerate(zip(table.labels, table.widths, strict=True)):
        ws.set_column(i, i, width)
        ws.write_string(0, i, label, header)
    if n:
        ws.write_blank(n, 0, None, header)
    ws.autofilter(0, 0, n, len(table.headers) - 1)


def _splice(frame: Path, tmp: Path, path: Path) -> None:
    """Copy the frame workbook to `path`, each sheet's data rows put after its header row."""
    with zipfile.ZipFile(frame) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                          compresslevel=LEVEL) as dst:
        for info in src.infolist():
            xml = src.read(info)
            sheet = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if sheet is None:
                dst.writestr(info, xml)
                continue
            head_end = xml.index(b"</row>") + len(b"</row>")  # the header row
            rows_file = tmp / f"sheet{sheet.group(1)}.rows"
            big = rows_file.stat().st_size + len(xml) > zipfile.ZIP64_LIMIT
            with dst.open(info.filename, "w", force_zip64=big) as out, rows_file.open("rb") as rows:
                out.write(xml[:head_end])
                shutil.copyfileobj(rows, out, 1 << 20)
                out.write(xml[xml.index(b"</sheetData>"):])
