"""Return visits and the ledger (issue 20, item 7): a closed complaint creates a return visit for
its owner whose result shows in /report with the ratings; praise is counted; unlinked customers'
requests are counted too."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.app import App
from crm.models import ReturnVisit, Ticket
from tests import helpers
from tests.conftest import Transcript


async def test_closed_complaint_gets_a_return_visit_shown_in_report(
    app: App, chat: Transcript
) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Ticket).values(status="closed"))
    await chat(
        "/as customer2", "/new", "[Complaint]", "[Service]", "Rude staff.", "[Done]", "[Send]"
    )
    await chat("/as agent", "[接单]", "[办结]", "已向客户道歉并培训员工。")
    out = await chat("@clock +1m")
    assert "[to agent] 📞" in out and "T-2026-000004" in out
    async with app.sessions() as s:
        rv = await s.scalar(select(ReturnVisit))
        t = await helpers.ticket(app, "T-2026-000004")
        assert rv is not None and rv.staff_id == t.owner_id and rv.done_at is None
        # Two business days after closing: closed Tuesday, due by Thursday's close.
        due = rv.due_at.astimezone(ZoneInfo("Asia/Shanghai"))
        assert (due.date().isoformat(), due.strftime("%H:%M")) == ("2026-12-03", "17:30")
        assert t.resolved_at is not None
    out = await chat("[1]", "客户表示满意，感谢回访。")
    async with app.sessions() as s:
        rv = await s.scalar(select(ReturnVisit))
        assert rv is not None and rv.satisfied is True and rv.note == "客户表示满意，感谢回访。"
    await chat("/as customer2", "[★★★★★]", "[No, thanks]")
    out = await chat("/as admin", "/report", "[Today]")
    assert "Return visits: 1 made (1 satisfied, 0 not satisfied), 0 overdue" in out
    assert "Average rating: 5" in out
    # The second press changes nothing.
    out = await helpers.press(chat, app, "agent", f"rv:{rv.id}:no")
    assert "already recorded" in out or "已记录" in out


async def test_return_visit_reminded_when_overdue_and_refused_to_others(
    app: App, chat: Transcript
) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Ticket).values(status="closed"))
    await chat("/as customer6", "/new", "[投诉]", "[1]", "电压不稳", "[完成]", "[提交]")
    await chat("/as agent", "[接单]", "[办结]", "已处理。")
    await chat("@clock +1m")
    async with app.sessions() as s:
        rv = await s.scalar(select(ReturnVisit))
        assert rv is not None
    out = await helpers.press(chat, app, "rep2", f"rv:{rv.id}:yes")
    async with app.sessions() as s:
        assert (await s.get(ReturnVisit, rv.id)).done_at is None
    out = await chat("@clock +3d")
    assert "[to agent] 📞" in out
    out = await chat("/as manager", "/report", "[今天]")
    assert "1 overdue" in out or "1 项逾期" in out or "逾期" in out


async def test_praise_is_a_kind_and_counted(app: App, chat: Transcript) -> None:
    out = await chat("/as customer2", "/new")
    assert "Praise" in out
    await chat("[Praise]", "[Staff]", "The engineer was great.", "[Done]", "[Send]")
    out = await chat("/as admin", "/report", "[Today]")
    assert "Praise: 1" in out


async def test_privacy_covers_earlier_resolutions_return_visits_and_media(
    app: App, chat: Transcript
) -> None:
    from crm.models import TicketMessage, TicketResolution
    from crm.services import privacy

    t = await helpers.ticket(app, "T-2026-000001")
    now = app.clock.now()
    async with app.sessions() as s, s.begin():
        s.add(TicketResolution(ticket_id=t.id, resolved_at=now, note="换了电表", reopened_at=now))
        s.add(ReturnVisit(ticket_id=t.id, resolved_at=now, due_at=now, note="张先生很满意"))
        msg = await s.scalar(select(TicketMessage).where(TicketMessage.ticket_id == t.id))
        assert msg is not None
        msg.media = [{"kind": "location", "lat": 31.2, "lon": 121.4}]
    async with app.sessions() as s:
        data = await privacy.export(s, t.customer_id or 0)
        assert data is not None
        assert data["earlier_resolutions"][0]["note"] == "换了电表"
        assert data["return_visits"][0]["note"] == "张先生很满意"
    async with app.sessions() as s, s.begin():
        assert await privacy.erase(s, t.customer_id or 0, now=now)
    async with app.sessions() as s:
        assert (await s.scalar(select(TicketResolution.note))) == "[erased]"
        assert (await s.scalar(select(ReturnVisit.note))) is None
        media = await s.scalars(select(TicketMessage.media).where(TicketMessage.ticket_id == t.id))
        assert all(m is None for m in media)
