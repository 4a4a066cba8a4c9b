"""The whole customer record through the console: fields edited in chat (managers' fields kept
from reps), blacklist and VIP doing something, /customers by conditions, an import's change in
the card's history, and the export read back by the import changing nothing."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from crm import sla
from crm.export import table
from crm.importer import read_rows
from crm.models import AuditLog, Customer, CustomerUser, Staff, Ticket
from crm.services import imports
from tests.conftest import Transcript
from tests.helpers import press
from tests.test_campaigns import compose

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _linked(app: App, tg_user_id: int) -> tuple[Customer, Staff]:
    async with app.sessions() as s:
        c = await s.scalar(
            select(Customer)
            .join(CustomerUser, CustomerUser.customer_id == Customer.id)
            .where(CustomerUser.tg_user_id == tg_user_id)
        )
        assert c is not None and c.owner_id is not None
        owner = await s.get(Staff, c.owner_id)
        assert owner is not None and owner.handle
        return c, owner


async def _get(app: App, cid: int) -> Customer:
    async with app.sessions() as s:
        c = await s.get(Customer, cid)
        assert c is not None
        return c


async def test_rep_edits_details_manager_blacklists_and_it_counts(
    app: App, chat: Transcript
) -> None:
    c, owner = await _linked(app, 2003)
    assert owner.handle == "rep2", "the seed links customer3 to one of Lucy Chen's customers"
    await chat("/as rep2")
    out = await press(chat, app, "rep2", f"edit:{c.id}")
    assert "Industry" in out and "Notes" in out and "Power account no." in out
    assert "Blacklist" not in out and "Credit rating" not in out  # managers' fields
    out = await chat("[Industry]", "食品加工", "[Source]", "[referral]", "[Annual value]", "12万")
    assert "Saved: Annual value" in out
    out = await chat("[Tags]", "重点关注，冷链", "[Relationship stage]", "[growth]", "[✔]")
    c2 = await _get(app, c.id)
    assert (c2.industry, c2.source, c2.annual_value) == ("食品加工", "referral", Decimal(120000))
    assert c2.tags == ["重点关注", "冷链"] and c2.relationship == "growth"
    assert (
        "Industry: 食品加工" in out and "Source: referral" in out and "Relationship: growth" in out
    )
    # A forged press of a manager's field changes nothing.
    await press(chat, app, "rep2", f"edit:{c.id}")
    out = await press(chat, app, "rep2", "~edit.field:blacklist")
    assert "Please choose one of the buttons." in out
    assert not (await _get(app, c.id)).blacklisted
    # Bad input: an answer, nothing saved.
    await chat("[Annual value]")
    out = await chat("lots of money")
    assert "Please type the amount as a number" in out
    assert (await _get(app, c.id)).annual_value == Decimal(120000)

    await chat("/as manager")
    await press(chat, app, "manager", f"edit:{c.id}")
    out = await chat("[黑名单]", "拖欠电费三个月", "[信用等级]", "[D]", "[✔]")
    assert "⛔ 黑名单：拖欠电费三个月" in out and "信用 D" in out
    c3 = await _get(app, c.id)
    assert c3.blacklisted and c3.blacklist_reason == "拖欠电费三个月" and c3.credit_rating == "D"
    history = await press(chat, app, "manager", f"audit:{c.id}")
    assert "Lucy Chen" in history and "食品加工" in history and "拖欠电费三个月" in history
    assert "在聊天中" in history

    # A campaign to class B leaves the blacklisted customer out.
    other, _ = await _linked(app, 2002)
    assert other.customer_class == c.customer_class == "B"
    await compose(chat, "[outage]", "停电通知", seg=("[Class]", "[2]", "[Done]"), when="[Now]")
    out = await chat("@clock +1m")
    assert "[to customer2]" in out and "[to customer3]" not in out

    # A new request from the blacklisted customer is flagged to whoever takes it.
    out = await chat("/as customer3", "/new", "[1]", "[1]", "电费怎么算？", "[1]", "[1]")
    assert "⛔ 黑名单客户：拖欠电费三个月" in out


async def test_a_vip_request_gets_the_key_customer_time_limit(app: App, chat: Transcript) -> None:
    c, _owner = await _linked(app, 2002)
    assert c.customer_class == "B" and not c.vip
    await chat("/as manager")
    await press(chat, app, "manager", f"edit:{c.id}")
    await chat("[VIP]", "[是]", "[✔]")
    assert (await _get(app, c.id)).vip
    out = await chat("/as customer2", "/new", "[1]", "[1]", "发票问题", "[1]", "[1]")
    assert "⭐ VIP 客户" in out
    async with app.sessions() as s:
        t = await s.scalar(
            select(Ticket).where(Ticket.customer_id == c.id).order_by(Ticket.id.desc())
        )
        assert t is not None
    as_a = sla.deadlines(app.rules, t.kind, "A", t.created_at, SHANGHAI)
    as_b = sla.deadlines(app.rules, t.kind, "B", t.created_at, SHANGHAI)
    assert as_a != as_b and (t.first_response_due, t.resolution_due) == as_a


async def test_customers_by_conditions_with_pages(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "/customers A级 VIP")
    assert "符合“A级 VIP”的客户" in out
    assert "华能电厂" in out and "东方钢铁集团" in out and "Acme" not in out
    out = await chat("/customers C级")
    assert "第 1/" in out
    async with app.sessions() as s:
        rep1 = await s.scalar(select(Staff).where(Staff.handle == "rep1"))
        assert rep1 is not None
    out = await chat("/customers 90天未拜访 A级")
    assert "符合“90天未拜访 A级”的客户" in out or "没有符合" in out
    out = await chat("/customers A级 火星")
    assert "没看懂“火星”" in out
    # A plain name is still a name.
    out = await chat("/customers 华能")
    assert "华能电厂" in out
    # The manager sees the team, by owner.
    out = await chat("/as manager", "/customers @rep2 B级")
    assert "Blue River Hotel" in out and "明珠酒店" not in out


async def test_customers_filter_pages_forward(app: App, chat: Transcript) -> None:
    out = await chat("/as admin", "/customers class C")
    assert "page 1 of 2" in out or "page 1 of 3" in out
    out = await chat("[Next]")
    assert "page 2 of" in out


async def test_an_import_change_shows_in_the_card_history(
    app: App, chat: Transcript, tmp_path: Path
) -> None:
    async with app.sessions() as s:
        c = await s.scalar(select(Customer).where(Customer.name == "明珠酒店"))
        assert c is not None and c.phone
    path = tmp_path / "fix.csv"
    path.write_text(
        f"客户名称,电话,行业,信用等级\n明珠酒店,{c.phone},星级酒店,B\n", encoding="utf-8"
    )
    out = await chat("/as admin", f"@doc {path}")
    assert "To update: 1" in out
    await chat("[Confirm]")
    history = await press(chat, app, "admin", f"audit:{c.id}")
    assert "星级酒店" in history and "by import" in history
    async with app.sessions() as s:
        entry = await s.scalar(
            select(AuditLog).where(AuditLog.entity_id == c.id, AuditLog.action == "customer.edit")
        )
        assert entry is not None and entry.changes["industry"][1] == "星级酒店"


async def test_export_then_import_changes_nothing(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        c = await s.scalar(select(Customer).where(Customer.name == "华能电厂"))
        assert c is not None
        c.blacklisted, c.blacklist_reason, c.credit_rating = True, "欠费", "C"
        c.notes, c.power_account, c.tariff, c.voltage = (
            "配电室在东门",
            "3100012345",
            "大工业",
            "10kV",
        )
        c.meter_segment, c.tags, c.relationship, c.is_company = "东区-07", ["冷链"], "harvest", True
    async with app.sessions() as s:
        columns, rows = await table(s, "customers", SHANGHAI)
        before = {c.id: c for c in await s.scalars(select(Customer))}
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows(rows)
    parsed, unknown = read_rows(buf.getvalue().encode(), "customers.csv")
    # Every field of the record has its column back.
    assert set(unknown) <= {
        "team",
        "claim_expires",
        "care_consent",
        "consent_at",
        "created_at",
        "updated_at",
        "approval",
    }
    async with app.sessions() as s:
        preview = await imports.plan(s, parsed, unknown)
    assert not preview.rejected, preview.rejected[:3]
    assert not preview.create and not preview.update, (preview.create[:1], preview.update[:1])
    assert preview.unchanged == len(before)
    hn = next(r for r in parsed if r.values["name"] == "华能电厂")
    assert hn.values["blacklist_reason"] == "欠费" and hn.values["meter_segment"] == "东区-07"
    # And a changed cell is an update of that field only.
    hn.values["voltage"] = "35kV"
    async with app.sessions() as s:
        preview = await imports.plan(s, parsed, unknown)
    assert len(preview.update) == 1 and not preview.create
    _ = datetime


async def test_a_campaign_by_typed_conditions(app: App, chat: Transcript) -> None:
    two, _ = await _linked(app, 2002)
    three, _ = await _linked(app, 2003)
    async with app.sessions() as s, s.begin():
        (await s.get(Customer, two.id)).credit_rating = "A"  # type: ignore[union-attr]
        (await s.get(Customer, three.id)).credit_rating = "C"  # type: ignore[union-attr]
    out = await compose(chat, "[outage]", "停电通知", seg=("class B credit A",), when="[Now]")
    assert "Credit rating: A" in out and "Recipients: 1 person on Telegram" in out
    out = await chat("@clock +1m")
    assert "[to customer2]" in out and "[to customer3]" not in out


async def test_a_name_with_a_condition_word_is_still_a_name(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/newcustomer", "Lost Lake Cafe", "[Skip]", "[C]")
    out = await chat("/customers Lost Lake")
    assert "Lost Lake Cafe" in out and "did not understand" not in out


async def test_a_handover_shows_in_each_customers_history(app: App, chat: Transcript) -> None:
    from crm.services.handover import hand_over

    await chat("/as manager")
    async with app.sessions() as s, s.begin():
        rep2 = await s.scalar(select(Staff).where(Staff.handle == "rep2"))
        rep1 = await s.scalar(select(Staff).where(Staff.handle == "rep1"))
        boss = await s.scalar(select(Staff).where(Staff.handle == "manager"))
        assert rep1 and rep2 and boss
        moved = await hand_over(s, rep2, [rep1], by=boss.id, now=app.clock.now())
    acme = next(m.customer for m in moved if m.customer.name == "Acme Logistics")
    history = await press(chat, app, "manager", f"audit:{acme.id}")
    assert "Lucy Chen → 张伟" in history and "通过移交" in history


async def test_a_campaign_to_customers_not_visited_for_a_while(app: App, chat: Transcript) -> None:
    from crm.models import Visit

    two, _ = await _linked(app, 2002)
    three, _ = await _linked(app, 2003)
    for days in (3650, 200):
        async with app.sessions() as s:
            since = app.clock.now() - timedelta(days=days)
            seen = set(await s.scalars(select(Visit.customer_id).where(Visit.visited_at >= since)))
        expected = sum(1 for c in (two, three) if c.id not in seen)
        out = await compose(
            chat, "[outage]", "通知", seg=(f"class B {days}天未拜访",), when="[Now]"
        )
        assert "Last visit: before" in out
        if expected:
            assert f"goes out now to {expected} recipient" in out, (days, expected)
        else:
            assert "Nobody would receive it" in out
