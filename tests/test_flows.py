"""Flows through the console channel: bad input is refused with an answer and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from crm.models import Customer, FollowUp, Visit
from tests.conftest import Transcript


async def _customer(app: App, name: str) -> Customer:
    async with app.sessions() as s:
        c = await s.scalar(select(Customer).where(Customer.name == name))
        assert c is not None
        return c


async def _count(app: App, model: type) -> int:
    async with app.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model)) or 0


async def test_guided_visit_saves_visit_and_followup(app: App, chat: Transcript) -> None:
    visits, followups = await _count(app, Visit), await _count(app, FollowUp)
    out = await chat(
        "/as rep2",
        "/visit",
        "Acme",
        "[On-site]",
        "[Quote]",
        "discussed the new connection quote",
        "[Skip]",
        "[Skip]",
        "tomorrow 10:00",
        "[Save]",
    )
    assert "Visit · step 8 of 8" in out
    assert "Saved: visit to Acme Logistics." in out
    assert "Wed 2 Dec 10:00" in out
    assert await _count(app, Visit) == visits + 1
    assert await _count(app, FollowUp) == followups + 1


async def test_free_text_date_is_refused_and_step_kept(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/visit", "Acme", "[On-site]", "[Quote]", "quote", "[Skip]", "[Skip]")
    out = await chat("whenever you like 🙂")
    assert "could not read" in out
    out = await chat("in 3 days")
    assert "step 8 of 8" in out


async def test_huge_message_is_refused(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/visit", "Acme", "[On-site]", "[Quote]")
    out = await chat("x" * 5000)
    assert "longer than 2,000 characters" in out
    out = await chat("short and fine")
    assert "step 5 of 8" in out


async def test_forged_callback_for_another_reps_customer_is_refused(
    app: App, chat: Transcript
) -> None:
    theirs = await _customer(app, "华能电厂")  # owned by rep1
    await chat("/as rep2")
    before = await _count(app, Visit)
    uid = 1004
    from bot.types import Inbound

    for payload in (f"card:{theirs.id}", f"visit_for:{theirs.id}", "fu_done:1", "card:99999"):
        replies = await app.engine.handle(
            Inbound(
                channel="console",
                update_id=hash(payload) & 0xFFFFFF,
                chat_id=uid,
                user_id=uid,
                callback=payload,
            )
        )
        assert len(replies) == 1
        assert "not available to you" in replies[0].text, payload
    assert await _count(app, Visit) == before


async def test_stale_flow_button_changes_nothing(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/visit", "Acme")
    out = await chat("/cancel")
    assert "Discarded: Visit to Acme Logistics." in out
    from bot.types import Inbound

    replies = await app.engine.handle(
        Inbound(
            channel="console",
            update_id=4242,
            chat_id=1004,
            user_id=1004,
            callback="~visit.kind:onsite",
        )
    )
    assert "no longer valid" in replies[0].text


async def test_customer_sees_only_own_requests(app: App, chat: Transcript) -> None:
    out = await chat("/as customer3", "/my")
    assert "T-2026-000002" in out
    assert "T-2026-000001" not in out and "T-2026-000003" not in out


async def test_customer_submits_request_and_owner_and_agents_are_told(
    app: App, chat: Transcript
) -> None:
    out = await chat(
        "/as customer2",
        "/start",
        "[New request]",
        "[Inquiry]",
        "[Billing]",
        "What does the new connection cost?",
        "[Done]",
        "[Send]",
    )
    assert "Your request number is T-2026-000004" in out
    assert "[to rep1]" in out and "[to agent]" in out


async def test_ticket_flood_limit(app: App, chat: Transcript) -> None:
    # customer6 reads Chinese, the company's default.
    for i in range(5):
        # A minute apart: within the ticket window, but under the per-minute message limit.
        out = await chat(
            "/as customer6", "@clock +1m", "/new", "[咨询]", "[1]", f"问题 {i}", "[1]", "[1]"
        )
        assert "工单号" in out
    out = await chat("@clock +1m", "/new", "[咨询]", "[1]", "再问一个", "[1]", "[1]")
    assert "请稍后再提交" in out and "工单号" not in out


async def test_reminder_is_sent_once_across_restart(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "@clock +4h")
    assert out.count("Follow-up due: Blue River Hotel") == 1
    # A second scheduler pass (as after a restart) finds nothing new to send.
    from scheduler.runner import run_due

    assert await run_due(app.sessions, app.clock, app.settings.tz, app.rules) == 0
    out = await chat("@clock +1m")
    assert "Follow-up due" not in out
