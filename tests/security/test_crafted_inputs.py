"""Crafted input gets a clear answer and changes nothing: over-long texts (the columns' sizes),
amounts out of range, NUL bytes, dates far outside 2000-2100, spreadsheet values that are not
numbers, oversized sheets, and demoting the last admin. (Crafted ids: test_forged_callbacks.)"""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from structlog.testing import capture_logs

from bot.app import App
from bot.types import Inbound
from crm import importer
from crm.language.date_ranges import parse_range
from crm.language.dates import find_when, parse_when
from crm.limits import text_limit
from crm.models import Customer, Staff, Visit
from crm.services import imports
from tests.conftest import Transcript
from tests.security.helpers import send, texts, unthrottle, user_id

TZ = ZoneInfo("Asia/Shanghai")


async def _hn(app: App) -> Customer:
    async with app.sessions() as s:
        found = await s.scalar(select(Customer).where(Customer.name == "华能电厂"))
        assert found is not None
        return found


async def _edit(app: App, field: str, value: str) -> str:
    admin = await user_id(app, "admin")
    cid = (await _hn(app)).id
    await send(app, admin, callback=f"edit:{cid}")
    await send(app, admin, callback=f"~edit.field:{field}")
    return texts(await send(app, admin, text=value))


async def test_a_name_longer_than_its_column_is_refused(app: App, chat: Transcript) -> None:
    unthrottle(app)
    limit = text_limit(Customer.name)
    assert limit == 200
    answer = await _edit(app, "name", "电" * (limit + 50))
    assert str(limit) in answer
    assert (await _hn(app)).name == "华能电厂"


async def test_amounts_out_of_range_are_refused(app: App, chat: Transcript) -> None:
    unthrottle(app)
    before = (await _hn(app)).annual_value
    for value in ("1e999999", "1000000000000", "999999999999.999", "NaN", "sNaN", "-5", "Infinity"):
        answer = await _edit(app, "value", value)
        assert "120000" in answer, value  # the example of a valid amount
        assert (await _hn(app)).annual_value == before, value
    await _edit(app, "value", "12万")
    assert (await _hn(app)).annual_value == 120000


async def test_nul_and_control_characters_never_reach_the_database(
    app: App, chat: Transcript
) -> None:
    assert Inbound("console", 1, 1, 1, text="a\x00b\x07c\r\nd\te").text == "abc\nd e"
    unthrottle(app)
    await _edit(app, "address", "幸福路\x0088号")
    assert (await _hn(app)).address == "幸福路88号"


async def test_visit_contacts_that_would_not_fit_are_refused(app: App, chat: Transcript) -> None:
    limit = text_limit(Visit.contacts_met)
    # Ten names of 29 letters: 299 characters typed, 308 once joined with ", ".
    names = ",".join(chr(ord("A") + i) * 29 for i in range(10))
    assert len(names) <= limit < len(", ".join(names.split(",")))
    out = await chat("/as rep1", "/visit", "hndc", "[上门拜访]", "[3]", "看了配电室", names)
    assert str(limit) in out.splitlines()[-2] + out.splitlines()[-1]
    assert "签到" not in out  # still at the contacts step


async def test_dates_outside_2000_to_2100_are_unreadable(app: App, chat: Transcript) -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=TZ)
    for typed in ("9999-12-31 23:59", "0001-01-01", "1999-12-31 10:00", "2101-01-01"):
        assert parse_when(typed, now, TZ) is None, typed
        assert find_when(f"下次 {typed} 跟进", now, TZ) is None, typed
    assert parse_when("2100-12-31 10:00", now, TZ) is not None
    for typed in ("0001-01-01..0001-01-02", "9999-12-30..9999-12-31", "1999-01-01..1999-01-31"):
        assert parse_range(typed, date(2026, 12, 1)).range is None, typed
    with capture_logs() as logs:
        out = await chat("/as manager", "/report 0001-01-01..0001-01-02")
    assert [e for e in logs if e["event"] == "update_failed"] == []
    assert "ref" not in out.splitlines()[-1]


async def test_spreadsheet_values_that_are_not_amounts_are_rejected_in_the_preview(
    app: App, chat: Transcript
) -> None:
    values = ["NaN", "sNaN", "Infinity", "-Infinity", "-100", "1e999999", "1e13"]
    rows = [
        importer.Row(i + 2, {"name": f"表格客户{i}", "annual_value": v})
        for i, v in enumerate(values)
    ]
    rows.append(importer.Row(99, {"name": "正常客户", "annual_value": "12,500.50"}))
    async with app.sessions() as s:
        preview = await imports.plan(s, rows, [])
    assert [r.reason for r in preview.rejected] == ["bad_number"] * len(values)
    assert [r.values["name"] for r in preview.create] == ["正常客户"]


def _xlsx(rows: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(["name"])
    for i in range(rows):
        ws.append([f"customer-{i:04d}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_oversized_sheets_stop_while_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "MAX_ROWS", 100)
    with pytest.raises(importer.ImportFileError) as exc:
        importer.read_rows(_xlsx(150), "a.xlsx")
    assert exc.value.code == "too_many_rows"
    monkeypatch.setattr(importer, "MAX_TEXT_BYTES", 200)
    with pytest.raises(importer.ImportFileError) as exc:
        importer.read_rows(_xlsx(60), "a.xlsx")
    assert exc.value.code == "too_large"
    with pytest.raises(importer.ImportFileError) as exc:
        importer.read_rows(("name\n" + "customer,x\n" * 60).encode(), "a.csv")
    assert exc.value.code == "too_large"


async def test_a_sheet_is_read_off_the_event_loop(
    app: App, chat: Transcript, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.import_chat as import_chat

    threads: list[int] = []
    real = import_chat.read_rows

    def spy(data: bytes, name: str):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return real(data, name)

    monkeypatch.setattr(import_chat, "read_rows", spy)
    path = tmp_path / "c.xlsx"
    path.write_bytes(_xlsx(3))
    out = await chat("/as admin", f"@doc {path}")
    assert "3" in out and threads
    assert threads[0] != threading.get_ident()  # not the thread running the event loop
    assert asyncio.get_running_loop() is not None


async def test_the_last_admin_cannot_be_demoted_or_deactivated(app: App, chat: Transcript) -> None:
    unthrottle(app)
    uid = await user_id(app, "admin")
    async with app.sessions() as s:
        me = await s.scalar(select(Staff).where(Staff.handle == "admin"))
        assert me is not None
    answer = texts(await send(app, uid, callback=f"st_role:{me.id}:sales"))
    assert "admin" in answer.lower()
    async with app.sessions() as s:
        assert (await s.get(Staff, me.id)).role == "admin"  # type: ignore[union-attr]
    # With a second admin the first may step down; the second, now the last, may not.
    async with app.sessions() as s, s.begin():
        other = Staff(handle="admin2", tg_user_id=4242, name="Second", role="admin", team="east")
        s.add(other)
        await s.flush()
        other_id = other.id
    texts(await send(app, uid, callback=f"st_role:{me.id}:manager"))
    async with app.sessions() as s:
        assert (await s.get(Staff, me.id)).role == "manager"  # type: ignore[union-attr]
    answer = texts(await send(app, 4242, callback=f"st_role:{other_id}:sales"))
    async with app.sessions() as s:
        assert (await s.get(Staff, other_id)).role == "admin"  # type: ignore[union-attr]
    # Deactivating the last admin (by the manager it reports to) is refused as well.
    async with app.sessions() as s, s.begin():
        (await s.get(Staff, other_id)).manager_id = me.id  # type: ignore[union-attr]
    answer = texts(await send(app, uid, callback=f"st_off:{other_id}"))
    assert "admin" in answer.lower()
    async with app.sessions() as s:
        assert (await s.get(Staff, other_id)).active  # type: ignore[union-attr]
