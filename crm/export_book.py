"""The reader's workbook: typed, formatted cells, one sheet per kind after a short summary sheet.

Dates and times are date cells (Excel sorts and filters them) with a date number format, money a
number with two decimals and thousands separators, counts and metres whole numbers; the header
row is bold, frozen and carries an autofilter, and the columns are as wide as their contents (a
Chinese character counts twice). Written in openpyxl's write-only mode, so a big export streams
its rows rather than building every cell object in memory; texts are neutralised as in
crm/export_files.py (a name starting with "=" stays text).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from crm.export import COORD, COUNT, DATE, DATETIME, ID, METRES, MONEY, NUMBER
from crm.export_files import neutralise

FORMATS = {
    DATETIME: "yyyy-mm-dd hh:mm",
    DATE: "yyyy-mm-dd",
    MONEY: "#,##0.00",
    COUNT: "#,##0",
    METRES: "#,##0",
    NUMBER: "#,##0.##",
    COORD: "0.000000",
    ID: "0",
}
# Widths in characters: at least a header's, at most this (longer texts wrap in the cell's view).
MAX_WIDTH = 60
# Widths are measured on the first rows only: a big export's last rows cost no second pass.
MEASURED_ROWS = 2000
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
BOLD = Font(bold=True)


@dataclass(frozen=True)
class Page:
    """One sheet: its title, headers, each column's kind (crm/export.py) and the rows, whose
    values are already in the reader's words (labels, not codes)."""

    title: str
    headers: Sequence[str]
    kinds: Sequence[str]
    rows: Sequence[Sequence[Any]]


def text_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: East Asian wide and full-width characters two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _shown(value: Any, kind: str) -> str:
    """About what the cell shows, for its width."""
    if value is None:
        return ""
    if kind == DATETIME:
        return "2026-12-01 09:00"
    if kind == DATE:
        return "2026-12-01"
    if kind == MONEY:
        return f"{value:,.2f}"
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def widths(page: Page) -> list[int]:
    out = [text_width(h) + 4 for h in page.headers]  # the filter's arrow takes room too
    for row in page.rows[:MEASURED_ROWS]:
        for i, (v, kind) in enumerate(zip(row, page.kinds, strict=True)):
            out[i] = max(out[i], text_width(_shown(v, kind)) + 2)
    return [min(w, MAX_WIDTH) for w in out]


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of []:*?/\\)."""
    base = _SHEET_NAME_BAD.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _text_cell(ws: WriteOnlyWorksheet, value: str, bold: bool = False) -> WriteOnlyCell:
    # Control characters saved before inbound text was cleaned: XLSX cannot hold them.
    cell = WriteOnlyCell(ws, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)))
    cell.data_type = "s"  # never "f", whatever the text looks like
    if bold:
        cell.font = BOLD
    return cell


def _cell(ws: WriteOnlyWorksheet, value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        # A plain string, not a cell object (cheaper for a big export): neutralised, it cannot
        # start with "=", the only thing openpyxl would store as a formula.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, bool):
        return value
    if kind == METRES:
        value = round(value)
    elif isinstance(value, Decimal):
        value = float(value)  # XLSX numbers are doubles; the format shows the cents
    fmt = FORMATS.get(kind)
    if fmt is None or not isinstance(value, int | float | datetime | date):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = fmt
    return cell


def _write(wb: Workbook, page: Page, name: str) -> None:
    ws = wb.create_sheet(name)
    # Set before the first row: write-only sheets write their layout ahead of the rows.
    for i, w in enumerate(widths(page), start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    last = get_column_letter(max(len(page.headers), 1))
    ws.auto_filter.ref = f"A1:{last}{len(page.rows) + 1}"
    ws.append([_text_cell(ws, h, bold=True) for h in page.headers])
    for row in page.rows:
        ws.append([_cell(ws, v, k) for v, k in zip(row, page.kinds, strict=True)])


def _summary(wb: Workbook, title: str, lines: Sequence[tuple[str, Any]], name: str) -> None:
    ws = wb.create_sheet(name)
    label_width = max([text_width(k) for k, _v in lines] + [10]) + 2
    value_width = (
        max(
            [text_width(_shown(v, DATETIME if isinstance(v, datetime) else "")) for _k, v in lines]
            + [20]
        )
        + 2
    )
    ws.column_dimensions["A"].width = min(label_width, MAX_WIDTH)
    ws.column_dimensions["B"].width = min(value_width, MAX_WIDTH)
    ws.append([_text_cell(ws, title, bold=True)])
    ws.append([])
    for key, value in lines:
        kind = DATETIME if isinstance(value, datetime) else COUNT if isinstance(value, int) else ""
        ws.append([_text_cell(ws, key, bold=True), _cell(ws, value, kind)])


def workbook(
    title: str, summary: Sequence[tuple[str, Any]], pages: Iterable[Page], summary_name: str
) -> bytes:
    """The summary sheet (a title, then label and value lines), then one sheet per page."""
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    _summary(wb, title, summary, sheet_title(summary_name, taken))
    for page in pages:
        _write(wb, page, sheet_title(page.title, taken))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if kind == METRES:
        return round(value)
    return neutralise(value)


def csv_page(page: Page) -> bytes:
    """One page as CSV, UTF-8 with a BOM (Excel then reads Chinese right), the same labels."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([neutralise(h) for h in page.headers])
    writer.writerows(
        [_csv_value(v, k) for v, k in zip(row, page.kinds, strict=True)] for row in page.rows
    )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
