"""Intake by staff (issue 20, item 3): a complaint phoned in is registered by an agent, owned by
them, told to the linked customer, counted in /report and escalated like any other."""

from __future__ import annotations

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
    out = await chat("/as agent", "/intake", "@photo x.jpg")
    assert "请输入名称或电话号码" in out or "name or a phone" in out
    out = await helpers.press(chat, app, "rep2", "~intake.customer:1")
    assert "no longer valid" in out or "不再有效" in out or "已失效" in out
