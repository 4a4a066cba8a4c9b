"""Importing customers: preview with reasons, upsert by external id else phone, idempotent."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.app import App
from crm.importer import ImportFileError, read_rows
from crm.models import Contact, Customer
from crm.services import imports
from tests.conftest import Transcript

CSV_ZH = """客户编号,客户名称,电话,客户等级,负责人,行业,联系人,联系人电话,联系人角色,备注
X-001,红旗纺织厂,13900000001,A,rep1,纺织,周厂长,13900000011,决策人,大客户
X-002,蓝天物流,139 0000 0002,B,Lucy Chen,物流,,,,
X-003,,13900000003,C,rep1,,,,,
X-004,绿地小区物业,12345,C,rep1,,,,,
X-005,星河酒店,13900000005,C,nobody,,,,,
X-006,星河酒店二店,13900000001,C,rep1,,,,,
X-007,东方钢铁集团,13900000007,Z,rep1,,,,,
"""


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def _plan(app: App, data: bytes, name: str) -> imports.Preview:
    rows, unknown = read_rows(data, name)
    async with app.sessions() as s:
        return await imports.plan(s, rows, unknown)


async def _apply(app: App, data: bytes, name: str) -> tuple[int, int]:
    rows, unknown = read_rows(data, name)
    async with app.sessions() as s, s.begin():
        preview = await imports.plan(s, rows, unknown)
        return await imports.apply(s, preview, actor_id=1, now=app.clock.now())


async def test_preview_says_what_and_why(app: App, chat: Transcript) -> None:
    preview = await _plan(app, CSV_ZH.encode(), "customers.csv")
    assert [r.number for r in preview.create] == [2, 3]
    reasons = {r.number: r.reason for r in preview.rejected}
    assert reasons == {
        4: "missing_name",
        5: "bad_phone",
        6: "unknown_owner",
        7: "duplicate_in_file",
        8: "bad_class",
    }
    assert preview.unknown_columns == ["备注"]


async def test_import_is_idempotent_and_updates_by_key(app: App, chat: Transcript) -> None:
    async with app.sessions() as s:
        before = await s.scalar(select(func.count()).select_from(Customer))
    assert await _apply(app, CSV_ZH.encode(), "customers.csv") == (2, 0)
    again = await _plan(app, CSV_ZH.encode(), "customers.csv")
    assert (len(again.create), len(again.update), again.unchanged) == (0, 0, 2)
    async with app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Customer)) == before + 2
        hq = await s.scalar(select(Customer).where(Customer.external_id == "X-001"))
        assert hq is not None and hq.phone == "+8613900000001" and hq.customer_class == "A"
        contact = await s.scalar(select(Contact).where(Contact.customer_id == hq.id))
        assert contact is not None and contact.role == "decision_maker"
    # The same customer in an English XLSX, found by phone (no id column), with a new class.
    data = xlsx([["Name", "Phone", "Class"], ["Red Flag Textiles", "13900000001", "B"]])
    preview = await _plan(app, data, "update.xlsx")
    assert len(preview.update) == 1 and not preview.create
    assert await _apply(app, data, "update.xlsx") == (0, 1)
    async with app.sessions() as s:
        hq = await s.scalar(select(Customer).where(Customer.external_id == "X-001"))
        assert hq is not None and hq.customer_class == "B" and hq.name == "Red Flag Textiles"


def test_unreadable_files_are_refused() -> None:
    with pytest.raises(ImportFileError, match="csv or .xlsx"):
        read_rows(b"hello", "notes.txt")
    with pytest.raises(ImportFileError, match="name column"):
        read_rows(b"phone\n123\n", "x.csv")
    with pytest.raises(ImportFileError, match="XLSX"):
        read_rows(b"not a zip", "x.xlsx")
    rows, _ = read_rows("客户名称\n华北电力\n".encode("gb18030"), "gbk.csv")
    assert rows[0].values["name"] == "华北电力"


def test_cli_import_dry_run_then_apply(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.cli import main

    db = f"sqlite+aiosqlite:///{tmp_path / 'imp.db'}"
    assert main(["migrate", "--db", db]) == 0
    f = tmp_path / "c.csv"
    f.write_text("name,phone\nAlpha Co,13900000101\nBeta Co,bad\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "customers", str(f), "--dry-run", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "to create: 1" in out and "row 3: bad phone number (bad)" in out
    assert main(["import", "customers", str(f), "--db", db]) == 0
    assert "done: 1 created, 0 updated" in capsys.readouterr().out
    assert main(["import", "customers", str(f), "--db", db]) == 0
    assert "done: 0 created, 0 updated" in capsys.readouterr().out
