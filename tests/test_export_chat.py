"""/export in chat (the XLSX opened and checked, only the user's rows) and /audit on a card."""

from __future__ import annotations

import io
import itertools
from datetime import date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import App
from bot.types import Inbound
from crm.models import Customer, Staff
from crm.services import runtime
from tests.conftest import Transcript
from tests.helpers import customer as _customer
from tests.helpers import staff as _staff

_ids = itertools.count(700_000)


async def _export(app: App, user: int, *presses: str) -> tuple[list[str], list[tuple]]:
    replies = await app.engine.handle(
        Inbound(channel="console", update_id=next(_ids), chat_id=user, user_id=user, text="/export")
    )
    for payload in presses:
        replies = await app.engine.handle(
            Inbound(
                channel="console",
                update_id=next(_ids),
                chat_id=user,
                user_id=user,
                callback=payload,
            )
        )
    doc = replies[-1]
    assert doc.document is not None and doc.filename and doc.filename.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(doc.document))
    # A summary sheet first, then the kind's sheet.
    assert len(wb.sheetnames) == 2
    values = [tuple(c.value for c in row) for row in wb.worksheets[1].iter_rows()]
    return list(values[0]), values[1:]


async def test_rep_exports_only_own_and_pool_customers(app: App, chat: Transcript) -> None:
    header, rows = await _export(app, 1004, "~exp.kind:customers")
    assert header[:3] == ["ID", "External ID", "Name"]  # rep2 reads English
    owners = {r[header.index("Owner")] for r in rows}
    assert owners <= {"Lucy Chen", None} and "Lucy Chen" in owners
    async with app.sessions() as s:
        rep2 = await s.scalar(select(Staff).where(Staff.handle == "rep2"))
        mine = (await s.scalars(select(Customer.name).where(Customer.owner_id == rep2.id))).all()
    assert set(mine) <= {r[2] for r in rows}
    assert "华能电厂" not in {r[2] for r in rows}


async def test_manager_exports_the_team_and_visits_by_period(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "visited Acme, met Li, they want a quote", "[Save]")
    header, rows = await _export(app, 1002, "~exp.kind:visits", "~exp.period:month")
    assert len(rows) == 1 and rows[0][header.index("客户")] == "Acme Logistics"
    # A date cell in the company's zone, and the visit's kind as the manager reads it.
    assert rows[0][header.index("拜访时间")].date() == date(2026, 12, 1)
    assert rows[0][header.index("拜访方式")] in {
        "上门拜访",
        "电话沟通",
        "线上会议",
        "消息（微信、邮件…）",
        "其他",
    }
    header, rows = await _export(app, 1002, "~exp.kind:customers")
    assert len(rows) == 30


async def test_full_export_in_chat_has_a_sheet_per_kind(app: App, chat: Transcript) -> None:
    replies = await app.engine.handle(
        Inbound(channel="console", update_id=next(_ids), chat_id=1002, user_id=1002, text="/export")
    )
    for payload in ("~exp.kind:all", "~exp.period:month"):
        replies = await app.engine.handle(
            Inbound(
                channel="console",
                update_id=next(_ids),
                chat_id=1002,
                user_id=1002,
                callback=payload,
            )
        )
    doc = replies[-1]
    assert doc.document is not None and doc.filename == "all-month-20261201.xlsx"
    wb = load_workbook(io.BytesIO(doc.document))
    assert wb.sheetnames[:4] == ["概要", "客户", "联系人", "拜访记录"] and len(wb.sheetnames) == 10
    summary = {r[0].value: r[1].value for r in wb["概要"].iter_rows(min_row=3) if r[0].value}
    assert summary["导出人"] == "李经理" and summary["筛选条件"] == "作为主管可见的客户; 期间：本月"
    assert summary["客户"] == wb["客户"].max_row - 1 == 30


async def test_audit_on_a_card_for_managers(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/customers Harbor", "[Harbor]", "[Class]", "[B]", "new branch")
    out = await chat("/as manager", "/customers Harbor", "[Harbor]")
    assert "🧾" in out
    out = await chat("[🧾]")
    # In the manager's words (zh_CN), not the log's codes.
    assert "Lucy Chen · 调整了客户等级" in out and "· 客户等级：C → B" in out
    assert "· 原因：new branch" in out and "customer.class" not in out
    out = await chat("/as rep2", "/customers Harbor", "[Harbor]")
    assert "🧾" not in out


async def test_audit_names_owners_stages_and_amounts(app: App, chat: Transcript) -> None:
    harbor = await _customer(app, "Harbor Cafe")
    rep2, manager = await _staff(app, "rep2"), await _staff(app, "manager")
    now = datetime.fromisoformat("2026-12-01T10:00:00+08:00")
    entries = [
        ("customer.reassign", manager.id, {"owner_id": [rep2.id, manager.id]}),
        ("customer.claim_lapsed", None, {"owner_id": [rep2.id, None]}),
        ("visit.create", rep2.id, {"visit_id": 41, "followup_id": None}),
        ("customer.stage", rep2.id, {"stage": ["proposal", "won"], "amount": "120000"}),
        ("customer.recolour", rep2.id, {"colour": "red"}),
    ]
    async with app.sessions() as s, s.begin():
        for k, (action, actor, changes) in enumerate(entries):
            await runtime.audit(
                s,
                actor_kind="staff" if actor else "system",
                actor_id=actor,
                action=action,
                entity="customer",
                entity_id=harbor.id,
                changes=changes,
                now=now + timedelta(minutes=k),
            )
    out = await chat("/as manager", "/customers Harbor", "[Harbor]", "[🧾]")
    assert f"{manager.name} · 改派了客户\n· 负责人：{rep2.name} → {manager.name}" in out
    assert f"系统 · 认领已失效\n· 负责人：{rep2.name} → 公海" in out
    # A visit's ids mean nothing to a reader: the entry stands alone.
    assert f"{rep2.name} · 登记了拜访\n12月1日" in out and "41" not in out
    assert "· 阶段：方案/报价 → 赢单" in out and "· 成交金额：¥120,000" in out
    # An action this page does not know is shown as recorded, not dropped.
    assert "customer.recolour\n· colour：red" in out
