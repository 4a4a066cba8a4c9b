"""Importing customers by sending the bot a file: preview with reasons, Confirm, idempotent
re-import, bad files, refusals, and a restart between the preview and Confirm."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.demo import Demo
from crm.clock import ManualClock
from crm.models import AuditLog, Customer, KeyValue, Staff
from tests import helpers
from tests.conftest import Transcript
from tests.test_import import CSV_ZH


async def count(app: App) -> int:
    async with app.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Customer)) or 0)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def confirm_payload(chat: Transcript, app: App, handle: str) -> str:
    uid = next(tg for tg, h in chat.demo.handles.items() if h == handle)
    target = chat.demo.channel.find(uid, "Confirm")
    assert target is not None and target.payload is not None
    return target.payload


async def test_preview_confirm_and_the_same_file_again(
    app: App, chat: Transcript, tmp_path: Path
) -> None:
    path = write(tmp_path, "customers.csv", CSV_ZH.encode())
    before = await count(app)
    await chat("/as admin")
    out = await chat("/import")
    assert "客户名称" in out and "preview" in out
    out = await chat(f"@doc {path}")
    for line in (
        "Import preview: customers.csv",
        "To create: 2",
        "To update: 0",
        "Rejected: 5",
        "• Row 4: missing name",
        "• Row 5: bad phone number (12345)",
        "• Row 6: unknown owner (nobody)",
        "• Row 7: the same customer as row 2",
        "• Row 8: unknown class (use A, B or C) (Z)",
        "Ignored columns: 备注",
        "[1] ✅ Confirm import  [2] ✖ Cancel",
    ):
        assert line in out, line
    assert await count(app) == before  # a preview changes nothing
    out = await chat("[Confirm]")
    assert "Imported customers.csv: 2 created, 0 updated, 5 rejected." in out
    assert await count(app) == before + 2
    async with app.sessions() as s:
        entry = await s.scalar(select(AuditLog).where(AuditLog.action == "customer.import"))
        admin = await helpers.staff(app, "admin")
        assert entry is not None and entry.actor_id == admin.id
        assert entry.changes == {"created": 2, "updated": 0, "rejected": 5, "file": "customers.csv"}
        assert await s.get(KeyValue, f"import.draft.{admin.id}") is None
    # The same file again: nothing to change, no Confirm to press.
    out = await chat(f"@doc {path}")
    assert "To create: 0" in out and "Unchanged: 2" in out
    assert "Nothing to change" in out and "Confirm" not in out
    assert await count(app) == before + 2


async def test_an_xlsx_updates_by_phone(app: App, chat: Transcript, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Phone", "Class"])
    ws.append(["华能电厂", "13800000001", "B"])
    buf = io.BytesIO()
    wb.save(buf)
    async with app.sessions() as s:
        existing = await s.scalar(select(Customer).where(Customer.phone.is_not(None)))
        assert existing is not None and existing.phone is not None
    ws["B2"] = existing.phone
    ws["A2"] = existing.name + " (new name)"
    buf = io.BytesIO()
    wb.save(buf)
    path = write(tmp_path, "update.xlsx", buf.getvalue())
    await chat("/as admin")
    out = await chat(f"@doc {path}")
    assert "To create: 0" in out and "To update: 1" in out
    out = await chat("[Confirm]")
    assert "0 created, 1 updated" in out
    async with app.sessions() as s:
        changed = await s.get(Customer, existing.id)
        assert changed is not None and changed.name == existing.name + " (new name)"


async def test_bad_files_get_an_answer_and_change_nothing(
    app: App, chat: Transcript, tmp_path: Path
) -> None:
    before = await count(app)
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate(21 * 1024 * 1024)  # sparse: over the limit without writing 21 MB
    files = [
        ("notes.pdf", b"%PDF-1.4", "Please send a .csv or .xlsx"),
        ("empty.csv", b"", "The file is empty"),
        ("bad.xlsx", b"not a zip", "cannot read this file"),
        ("nul.csv", b"name\n\x00\xff\xfe\x00", "cannot read"),
        ("head.csv", b"name,phone\n", "no customer rows"),
        ("cols.csv", b"phone\n139\n", "no customer name column"),
    ]
    cases = [
        ("hello", "Please send the CSV or Excel file"),
        ("@photo " + str(tmp_path / "x.jpg"), "That is a photo"),
        ("@doc " + str(big), "larger than 20 MB"),
        ("@doc " + str(tmp_path / "gone.csv"), "could not fetch that file"),
    ] + [("@doc " + str(write(tmp_path, name, data)), expected) for name, data, expected in files]
    await chat("/as admin", "/import")
    for line, expected in cases:
        out = await chat(line)
        assert expected in out, (line, out)
        assert "Something went wrong" not in out
    # Still waiting for a file: a good one now gets its preview.
    out = await chat("@doc " + str(write(tmp_path, "ok.csv", b"name\nAlpha Co\n")))
    assert "To create: 1" in out
    assert await count(app) == before


async def test_only_admins_import(app: App, chat: Transcript, tmp_path: Path) -> None:
    path = write(tmp_path, "customers.csv", CSV_ZH.encode())
    before = await count(app)
    for handle in ("manager", "rep1", "agent"):
        out = await chat(f"/as {handle}", f"@doc {path}")
        assert "只有管理员可以通过文件导入客户，未做任何更改。" in out, (handle, out)
        out = await chat("/import")  # not their command: the help, no request for a file
        assert "请发送 CSV" not in out and "/import —" not in out
    # A forged Confirm from a manager is stale: the manager has no such preview.
    await chat("/as admin", f"@doc {path}")
    payload = confirm_payload(chat, app, "admin")
    out = await helpers.press(chat, app, "manager", payload)
    assert "该按钮已失效，未做任何更改。" in out
    # The admin is made a manager before pressing Confirm: refused, nothing imported.
    async with app.sessions() as s, s.begin():
        admin = await s.scalar(select(Staff).where(Staff.handle == "admin"))
        assert admin is not None
        admin.role = "manager"
    out = await helpers.press(chat, app, "admin", payload)
    assert "This button is no longer valid. Nothing was changed." in out
    assert await count(app) == before


async def test_a_restart_between_preview_and_confirm(
    app: App, chat: Transcript, tmp_path: Path, clock: ManualClock
) -> None:
    path = write(tmp_path, "customers.csv", CSV_ZH.encode())
    before = await count(app)
    await chat("/as admin", f"@doc {path}")
    payload = confirm_payload(chat, app, "admin")
    restarted = build_app(app.settings, app.rules, clock)
    try:
        again = Transcript(Demo(restarted, clock, chat.lines.append), chat.lines)
        await again.demo._refresh_handles()
        out = await helpers.press(again, restarted, "admin", payload)
        assert "2 created, 0 updated, 5 rejected" in out
        # Pressed twice (a second tap, a retried update): nothing more happens.
        out = await helpers.press(again, restarted, "admin", payload)
        assert "no longer valid" in out
    finally:
        await restarted.close()
    assert await count(app) == before + 2


async def test_cancel_keeps_nothing(app: App, chat: Transcript, tmp_path: Path) -> None:
    path = write(tmp_path, "customers.csv", CSV_ZH.encode())
    before = await count(app)
    out = await chat("/as admin", f"@doc {path}", "[Cancel]")
    assert "🗑 Discarded: Import of customers.csv." in out
    async with app.sessions() as s:
        admin = await helpers.staff(app, "admin")
        assert await s.get(KeyValue, f"import.draft.{admin.id}") is None
    assert await count(app) == before
