"""Writing tables as CSV or XLSX, with no cell a spreadsheet would run as a formula.

OWASP's CSV-injection guidance: a text cell that starts with =, +, -, @, a tab or a carriage
return is prefixed with a single quote, so Excel, LibreOffice and Google Sheets show it as text.
Names, addresses and request texts come from anyone on Telegram and from imported files. In
XLSX the cell is also written as a string (openpyxl would store a leading "=" as a formula).
Numbers stay numbers: only text cells are changed, and a text that is only a signed number
("+86 139 1234 5678", "-5") is left as it is: it evaluates to nothing but itself.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-]?[0-9][0-9 ]*(?:\.[0-9]+)?")


def neutralise(value: Any) -> Any:
    """A text cell made safe to open in a spreadsheet; anything else as it is."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and _SIGNED_NUMBER.fullmatch(value) is None
    ):
        return "'" + value
    return value


def to_csv(columns: list[str], rows: list[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([neutralise(c) for c in columns])
    writer.writerows(["" if v is None else neutralise(v) for v in row] for row in rows)
    # A BOM so spreadsheet programs open Chinese text as UTF-8.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(columns: list[str], rows: list[Sequence[Any]], sheet: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])

    def cells(values: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for v in values:
            if isinstance(v, str):
                # Control characters saved before inbound text was cleaned: XLSX cannot hold them.
                cell = WriteOnlyCell(ws, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", v)))
                cell.data_type = "s"  # never "f", whatever the text looks like
                out.append(cell)
            else:
                out.append(v)
        return out

    ws.append(cells(columns))
    for row in rows:
        ws.append(cells(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
