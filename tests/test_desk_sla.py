"""SLA that warns before it breaks (issue 20, item 5): the assignee warned at 80% and told on
breach, reopening keeps the rating and sets a new deadline, faults out of hours reach the on-call
rota, /rules refuses a first answer due after the resolution."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from bot.app import App
from crm.models import Ticket, TicketResolution
from crm.services import resolutions
from crm.services.digest_scope import Scope
from tests import helpers
from tests.conftest import Transcript


def said(out: str, to: str, *needles: str) -> bool:
    """Whether a message to `to` has every needle on its first line."""
    return any(
        line.startswith(f"[to {to}]") and all(n in line for n in needles)
        for line in out.splitlines()
    )


async def close_seeded(app: App) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Ticket).values(status="closed"))


async def test_assignee_warned_at_80_percent_and_on_breach(app: App, chat: Transcript) -> None:
    await close_seeded(app)
    out = await chat(
        "/as customer2",
        "/new",
        "[Complaint]",
        "[Service]",
        "No notice of the outage.",
        "[Done]",
        "[Send]",
    )
    assert "T-2026-000004" in out
    await chat("/as agent", "[接单]")
    t = await helpers.ticket(app, "T-2026-000004")
    allowed = t.first_response_due - t.created_at
    # Just before 80% of the time allowed: nothing yet.
    out = await chat(f"@clock +{int(allowed.total_seconds() * 0.8 // 60) - 1}m")
    assert not said(out, "agent", "T-2026-000004")
    out = await chat("@clock +2m")
    assert said(out, "agent", "⏳", "投诉", "T-2026-000004", "首次答复")
    assert not said(out, "manager", "T-2026-000004")
    out = await chat("@clock +1m")  # a second pass: told once
    assert not said(out, "agent", "T-2026-000004")
    out = await chat(f"@clock +{int(allowed.total_seconds() * 0.2 // 60) + 1}m")
    assert said(out, "agent", "⏰", "T-2026-000004") and said(out, "manager", "⏰", "T-2026-000004")
    assert len(await helpers.outbox(app, f"sla-warn:{t.id}:first:")) == 1


async def test_unassigned_request_warns_the_service_queue_in_english(
    app: App, chat: Transcript
) -> None:
    await close_seeded(app)
    async with app.sessions() as s, s.begin():
        agent = await s.scalar(select(helpers.Staff).where(helpers.Staff.handle == "agent"))
        agent.locale = "en"
    await chat(
        "/as customer6",
        "/new",
        "[咨询]",
        "[1]",
        "电费怎么算？",
        "[完成]",
        "[提交]",
    )
    t = await helpers.ticket(app, "T-2026-000004")
    allowed = t.first_response_due - t.created_at
    out = await chat(f"@clock +{int(allowed.total_seconds() * 0.8 // 60) + 1}m")
    assert said(out, "agent", "⏳ The first answer to Inquiry T-2026-000004")


async def test_reopen_keeps_the_rating_and_sets_a_new_deadline(app: App, chat: Transcript) -> None:
    await close_seeded(app)
    await chat(
        "/as customer2",
        "/new",
        "[Complaint]",
        "[Service]",
        "Bill is wrong.",
        "[Done]",
        "[Send]",
    )
    await chat("/as agent", "[接单]", "[办结]", "已更正账单。")
    await chat("/as customer2", "[★★★★]", "[No, thanks]")
    t = await helpers.ticket(app, "T-2026-000004")
    assert t.rating == 4
    old_due = t.resolution_due
    await chat("@clock +2d")
    out = await chat("/my", "[T-2026-000004]", "[Reopen]")
    assert "open again" in out
    t = await helpers.ticket(app, "T-2026-000004")
    assert t.rating is None and t.status == "in_progress"
    assert t.resolution_due > app.clock.now() > old_due
    async with app.sessions() as s:
        kept = (await s.scalars(select(TicketResolution))).all()
        assert [r.rating for r in kept] == [4]
        manager = await s.scalar(select(helpers.Staff).where(helpers.Staff.handle == "admin"))
        start = app.clock.now() - timedelta(days=10)
        avg, n = await resolutions.ratings(s, Scope(manager, []).tickets(), start, app.clock.now())
        assert (avg, n) == (4.0, 1)
    # The new round is rated on its own; the report counts both resolutions.
    await chat("/as agent", "[办结]", "再次核对。")
    await chat("/as customer2", "[★★]", "[No, thanks]")
    async with app.sessions() as s:
        avg, n = await resolutions.ratings(
            s, Scope(manager, []).tickets(), start, app.clock.now() + timedelta(minutes=1)
        )
        assert (avg, n) == (3.0, 2)
    out = await chat("/as admin", "/report", "[This week]")
    assert re.search(r"Average rating: 3(\.0)? \(2 ratings\)", out), out


async def test_night_fault_reaches_the_on_call_agent(app: App, chat: Transcript) -> None:
    await close_seeded(app)
    out = await chat("/as manager", "/oncall", "[12-01]", "[客服小刘]")
    assert "✓ 客服小刘" in out
    await chat("[Back]" if "Back" in out else "[返回]", "[完成]")
    await chat("@clock 2026-12-01T22:00")
    out = await chat(
        "/as customer6",
        "/new",
        "[故障报修]",
        "[1]",
        "整栋楼停电了",
        "[完成]",
        "[提交]",
    )
    out = await chat("@clock +1m")
    assert said(out, "agent", "🌙", "值班", "T-2026-000004")
    assert said(out, "manager", "T-2026-000004") is False  # the ladder comes at the deadline


async def test_rules_refuse_a_first_answer_after_the_resolution(app: App, chat: Transcript) -> None:
    out = await chat("/as admin", "/rules", "[SLA]", "[Complaint: first]", "2000")
    assert "不能晚于" in out or "cannot be due after" in out
    rules = await app.rulebook.load(app.sessions) if hasattr(app, "rulebook") else app.rules
    assert rules.sla.complaint.first_response_minutes == 60
