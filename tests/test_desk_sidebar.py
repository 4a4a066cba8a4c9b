"""The customer sidebar (issue 20, item 2) on the new-request notice and the request's view."""

from __future__ import annotations

from sqlalchemy import update

from bot.app import App
from crm.models import Customer, Staff, Ticket
from tests import helpers
from tests.conftest import Transcript


async def test_notice_and_view_carry_the_customer_sidebar(app: App, chat: Transcript) -> None:
    out = await chat(
        "/as customer1", "/new", "[投诉]", "[服务]", "抄表员态度差", "[完成]", "[提交]"
    )
    notice = out.split("[to agent]")[1]
    c = await helpers.customer(app, "华能电厂")
    assert "──── 客户信息 ────" in notice
    assert f"👤 customer1 · 华能电厂 · {c.customer_class}类" in notice
    assert c.phone and f"📞 {c.phone}" in notice
    assert "客户经理：张伟" in notice and "最近拜访：11月24日" in notice
    t = await helpers.ticket(app, "T-2026-000004")
    out = await helpers.press(chat, app, "agent", f"tk:{t.id}")
    assert "──── 客户信息 ────" in out and "华能电厂" in out


async def test_sidebar_in_english_lists_other_requests_and_vip(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Staff).where(Staff.handle == "agent").values(locale="en"))
        t1 = await s.get(Ticket, 1)
        assert t1 is not None
        await s.execute(update(Customer).where(Customer.id == t1.customer_id).values(vip=True))
    t1 = await helpers.ticket(app, "T-2026-000001")
    out = await helpers.press(chat, app, "agent", f"tk:{t1.id}")
    assert "──── Customer ────" in out and "⭐ VIP" in out
    assert "Other open requests: 0" in out and "owner rep:" in out
