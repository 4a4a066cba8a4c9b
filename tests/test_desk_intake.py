"""Intake by staff (issue 20, item 3): a complaint phoned in is registered by an agent, owned by
them, told to the linked customer, counted in /report and escalated like any other."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from bot.app import App
from crm.models import Customer, Ticket
from tests import helpers
from tests.conftest import Transcript


async def test_phoned_in_complaint_is_registered_reported_and_escalated(
    app: App, chat: Transcript
) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Ticket).values(status="closed"))
    out = await chat("/as agent", "/intake", "华能")
    assert "华能电厂" in out
    out = await chat("[华能电厂]", "[电话]", "[投诉]", "[服务]", "客户来电：抄表员态度差", "[完成]")
    assert "客户来电：抄表员态度差" in out
    out = await chat("[登记]")
    assert "T-2026-000004" in out
    assert "[to customer1]" in out and "T-2026-000004" in out.split("[to customer1]")[1]
    assert "[to rep1]" in out  # the account's rep hears of it
    t = await helpers.ticket(app, "T-2026-000004")
    agent = await helpers.staff(app, "agent")
    assert (t.owner_id, t.channel, t.customer_user_id, t.kind) == (
        agent.id,
        "phone",
        None,
        "complaint",
    )
    out = await chat("/as manager", "/report", "[今天]")
    assert "投诉：1" in out or "投诉: 1" in out
    out = await chat("@clock +1d")
    assert "[to manager] ⏰" in out and "T-2026-000004" in out


async def test_walk_in_creates_a_customer_after_the_duplicate_check(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as rep2", "/intake", "Harbour Cafe")
    assert "Harbor Cafe" in out  # a near match is offered first
    out = await chat("[New customer]")
    assert "Similar customers" in out
    out = await chat("[Create anyway]", "[Counter]", "[Praise]", "[Staff]", "Great help.", "[Done]")
    out = await chat("[Register]")
    assert "you are responsible for it" in out
    async with app.sessions() as s:
        c = await s.scalar(select(Customer).where(Customer.name == "Harbour Cafe"))
        assert c is not None
        t = await s.scalar(select(Ticket).where(Ticket.customer_id == c.id))
        assert t is not None and (t.kind, t.channel) == ("praise", "counter")


async def test_intake_refuses_bad_input(app: App, chat: Transcript) -> None:
    # A photo is no customer's name: it interrupts the step (kept by the idle fallback), it is
    # not refused; the empty draft leaves nothing to park.
    out = await chat("/as agent", "/intake", "@photo x.jpg")
    assert "已保留" in out and "草稿" not in out
    out = await chat("/intake", "名" * 101)
    assert "内容超过100字" in out
    out = await helpers.press(chat, app, "rep2", "~intake.customer:1")
    assert "[toast to rep2]" in out and "no longer valid" in out  # rep2 reads English


async def test_intake_back_cancel_and_parking(app: App, chat: Transcript) -> None:
    out = await chat("/as agent", "/intake", "华能", "[华能电厂]", "[电话]", "[返回]")
    assert "(edited) 华能电厂：客户通过什么方式提出？" in out.split("> [返回]")[-1]
    out = await chat("[电话]", "[投诉]", "[服务]", "抄表员态度差", "/tickets")
    assert "📝" in out.split("> /tickets")[1] and "抄表员态度差" in out.split("> /tickets")[1]
    async with app.sessions() as s:
        assert await s.scalar(select(Ticket).where(Ticket.text == "抄表员态度差")) is None
    out = await chat("/intake", "华能", "[华能电厂]", "[电话]", "[咨询]", "[1]", "问电价")
    out = await chat("[完成]", "[取消]")
    assert "🗑" in out and "华能电厂" in out
    async with app.sessions() as s:
        assert await s.scalar(select(Ticket).where(Ticket.text == "问电价")) is None


async def test_linked_customer_is_told_in_english(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Ticket).values(status="closed"))
    t1 = await helpers.ticket(app, "T-2026-000001")
    async with app.sessions() as s:
        customer = await s.get(Customer, t1.customer_id)
        assert customer is not None
    out = await chat("/as agent", "/intake", customer.name[:4], f"[{customer.name}]", "[电子邮件]")
    out = await chat("[咨询]", "[1]", "邮件询问电价", "[完成]", "[登记]")
    told = out.split("[to customer2]")[1]
    assert "We have registered your Inquiry as T-2026-000004." in told


async def test_summary_counts_requests_of_unlinked_senders(app: App, chat: Transcript) -> None:
    from crm.services.digest_scope import scope_of

    before = _received(await chat("/as manager", "/summary"))
    await chat("/as walkin", "/new", "[1]", "[1]", "电价多少？", "[1]", "[1]")
    t = await helpers.ticket(app, "T-2026-000004")
    manager = await helpers.staff(app, "manager")
    async with app.sessions() as s:
        scope = await scope_of(s, manager)
        found = await s.scalar(select(Ticket.id).where(scope.tickets(), Ticket.id == t.id))
        assert found == t.id
    after = _received(await chat("/as manager", "/summary"))
    assert after == before + 1


def _received(out: str) -> int:
    m = re.search(r"收到工单：(\d+)", out)
    assert m is not None, out
    return int(m.group(1))
