"""The rep's day and week (日报 / 周计划) through the console: the morning's plan note, the
evening's drafted report with its figures counted from the rows, a line added and sent, the
manager's team message (with who has not sent), opening a report, commenting, the rep getting
the comment; Saturday's week report and next week's plan; the times in /rules; a parked draft.

rep2 (Lucy Chen) and the admin read English, rep1 (张伟) and the manager (李经理) Chinese: their
lines are compared with the Chinese catalog's rendering (`zh`).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.app import App
from bot.channels.console import plain
from bot.i18n import Renderer
from bot.types import T, Text
from crm.enums import FollowUpStatus
from crm.models import Customer, FollowUp, ReportComment, RepReport, Ticket, Visit
from crm.services import calendar, privacy
from crm.services.calendar import DayEntry
from handlers import team_reports
from tests.conftest import Transcript
from tests.helpers import customer as _customer
from tests.helpers import outbox as _outbox
from tests.helpers import press as _press
from tests.helpers import staff as _staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEC_2 = date(2026, 12, 2)
_ZH = Renderer("zh_CN", SHANGHAI)


def zh(text: Text) -> str:
    return plain(_ZH(text))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


async def _report(app: App, handle: str, kind: str, period: date) -> RepReport | None:
    staff = await _staff(app, handle)
    async with app.sessions() as s:
        return await s.scalar(
            select(RepReport).where(
                RepReport.staff_id == staff.id, RepReport.kind == kind, RepReport.period == period
            )
        )


async def _seed_day(app: App) -> None:
    """rep2's work on 2 Dec: two visits on site, one call, a customer registered, a follow-up
    done, a request resolved; and rows that must not count (another day, another rep)."""
    rep1, rep2 = await _staff(app, "rep1"), await _staff(app, "rep2")
    acme, blue = await _customer(app, "Acme Logistics"), await _customer(app, "Blue River Hotel")
    huaneng = await _customer(app, "华能电厂")
    async with app.sessions() as s, s.begin():
        for customer_id, staff_id, kind, when in [
            (acme.id, rep2.id, "onsite", at(DEC_2, 10)),
            (blue.id, rep2.id, "onsite", at(DEC_2, 14)),
            (blue.id, rep2.id, "phone", at(DEC_2, 16)),
            (acme.id, rep2.id, "onsite", at(date(2026, 12, 1), 15)),  # the day before
            (huaneng.id, rep1.id, "onsite", at(DEC_2, 11)),  # rep1's
        ]:
            s.add(Visit(customer_id=customer_id, staff_id=staff_id, kind=kind, visited_at=when))
        await s.execute(
            update(Customer)
            .where(Customer.name == "Lotus Spa")
            .values(created_by=rep2.id, created_at=at(DEC_2, 9, 40))
        )
        s.add(
            FollowUp(
                customer_id=acme.id,
                staff_id=rep2.id,
                due_at=at(DEC_2, 9),
                status=FollowUpStatus.DONE,
                done_at=at(DEC_2, 12),
            )
        )
        ticket = await s.scalar(select(Ticket).order_by(Ticket.id).limit(1))
        assert ticket is not None
        ticket.owner_id, ticket.status, ticket.resolved_at = rep2.id, "resolved", at(DEC_2, 13)


# ---------------------------------------------------------------- the morning and the evening


async def test_morning_ask_then_evening_draft_added_to_and_sent(app: App, chat: Transcript) -> None:
    await _seed_day(app)
    out = await chat("/as rep2", "@clock 2026-12-02T08:31")
    morning = out[out.index("[to rep2] ☀️") :]
    assert "Anything to add to today's plan?" in morning
    assert "✏️ Add to today's plan" in morning
    out = await _press(chat, app, "rep2", "rpt_plan:0:2026-12-02")
    assert "Anything to add to today's plan?" in out
    out = await chat("Call Sunrise about the tariff")
    assert "Kept in today's plan" in out
    report = await _report(app, "rep2", "day", DEC_2)
    assert report is not None and report.plan == "Call Sunrise about the tariff"
    assert report.sent_at is None

    out = await chat("@clock 2026-12-02T17:31")
    draft = out[out.index("[to rep2] 🌇") :]
    assert "📋 Daily report · Lucy Chen · Wed 2 Dec 2026" in draft
    # Counted from the rows: not the visit of the day before, not rep1's.
    assert "Visits: 2 · calls: 1 · new customers: 1" in draft
    assert "Follow-ups done: 1 · requests resolved: 1" in draft
    assert "• Call Sunrise about the tariff" in draft
    assert len(await _outbox(app, "rpt-day:")) == 2  # rep1's too
    # A second pass the same evening queues nothing.
    await chat("@clock +30m")
    assert len(await _outbox(app, "rpt-day:")) == 2

    report = await _report(app, "rep2", "day", DEC_2)
    assert report is not None
    out = await _press(chat, app, "rep2", f"rpt_edit:{report.id}:line")
    assert "Type the line to add" in out
    out = await chat("明天重点跟进华能")
    assert "• 明天重点跟进华能" in out
    assert "[✏️ Add a line]" in out or "✏️ Add a line" in out
    # Typed at the card, a line too.
    out = await chat("Quote for Blue River ready")
    assert "• Quote for Blue River ready" in out
    out = await chat("[📤 Send]")
    assert "📤 Sent to your manager." in out
    report = await _report(app, "rep2", "day", DEC_2)
    assert report is not None and report.sent_at is not None
    assert report.lines == "明天重点跟进华能\nQuote for Blue River ready"
    assert report.figures == {
        "visits": 2,
        "calls": 1,
        "new_customers": 1,
        "followups_done": 1,
        "tickets": 1,
    }
    # Sent is sent: the push's button says so and changes nothing.
    out = await _press(chat, app, "rep2", f"rpt_send:{report.id}")
    assert "already been sent" in out


# Edge cases: in the slow tier, so the fast one keeps to the main transcripts.
@pytest.mark.slow
async def test_a_too_long_line_is_refused_and_nothing_added(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "/daily")
    assert "📋 Daily report · Lucy Chen" in out
    out = await chat("x" * 301)
    assert "longer than 300 characters" in out
    out = await chat("[📤 Send]")
    report = await _report(app, "rep2", "day", date(2026, 12, 1))
    assert report is not None and report.lines is None and report.sent_at is not None


async def test_no_evening_draft_on_a_holiday_or_the_weekend(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        await calendar.set_day(s, DayEntry(date(2026, 12, 3), "off", "company day"), "admin")
    await chat("/as rep2", "@clock 2026-12-03T17:35")
    assert await _outbox(app, "rpt-day:") == []
    # Saturday: no daily draft (the week's report instead, at its own time).
    await chat("@clock 2026-12-05T17:35")
    assert await _outbox(app, "rpt-day:") == []
    assert len(await _outbox(app, "rpt-week:")) == 2


# ---------------------------------------------------------------- the manager


async def test_manager_reads_the_team_opens_comments_and_rep_sees_it(
    app: App, chat: Transcript
) -> None:
    await _seed_day(app)
    rep2 = await _staff(app, "rep2")
    await chat("/as rep2", "@clock 2026-12-02T17:31")
    report = await _report(app, "rep2", "day", DEC_2)
    assert report is not None
    await _press(chat, app, "rep2", f"rpt_edit:{report.id}:line")
    await chat("明天重点跟进华能", "[📤 Send]")

    out = await chat("/as manager", "@clock 2026-12-02T19:01")
    team = out[out.index("[to manager] 🗂") :]
    assert zh(T("🗂 <b>The team's daily reports</b> · {day}", day=DEC_2)) in team
    assert (
        zh(
            T(
                "✅ {name}: visits {visits} · calls {calls} · new customers {new}",
                name="Lucy Chen",
                visits=2,
                calls=1,
                new=1,
            )
        )
        in team
    )
    # rep1 sent nothing: listed.
    assert "• 张伟" in team
    assert f"rpt_view:{report.id}" in {b.payload for b in chat.demo.channel.last_buttons[1002]}
    assert len(await _outbox(app, "rpt-team:day:")) == 1
    await chat("@clock +1h")
    assert len(await _outbox(app, "rpt-team:day:")) == 1

    out = await chat("[📋 Lucy Chen]")
    assert "明天重点跟进华能" in out
    out = await chat(f"[{zh(T('💬 Comment'))}]")
    assert zh(T("Your comment on {name}'s report:", name="Lucy Chen")) in out
    out = await chat("华能的合同周五前要定下来")
    assert zh(T("💬 Comment sent to {name}.", name="Lucy Chen")) in out
    to_rep = out[out.index("[to rep2]") :]
    assert "💬 李经理 commented on your report:" in to_rep
    assert "华能的合同周五前要定下来" in to_rep
    async with app.sessions() as s:
        comment = await s.scalar(select(ReportComment))
        assert comment is not None and comment.report_id == report.id
        assert comment.author_id == (await _staff(app, "manager")).id

    # The rep sees it on the report.
    out = await chat("/as rep2", "/daily")
    assert "1 comment" in out and "李经理" in out and "华能的合同周五前要定下来" in out
    # /reports on demand: the same list; a rep may not ask it, nor open someone else's report.
    out = await chat("/as manager", "/reports 2026-12-02")
    assert "• 张伟" in out and "Lucy Chen" in out
    # The day before nobody wrote one (no row at all): both listed as not sent.
    out = await chat("/reports 昨天")
    assert zh(T("🗂 <b>The team's daily reports</b> · {day}", day=date(2026, 12, 1))) in out
    assert "• 张伟" in out and "• Lucy Chen" in out
    out = await chat("/reports someday")
    assert zh(team_reports.BAD_PERIOD) in out
    out = await _press(chat, app, "rep1", f"rpt_view:{report.id}")
    assert "明天重点跟进华能" not in out
    out = await _press(chat, app, "rep1", f"rpt_note:{report.id}")
    assert "明天重点跟进华能" not in out
    out = await chat("/as rep1", "/reports")
    assert "Lucy Chen" not in out
    assert rep2.id == report.staff_id


# ---------------------------------------------------------------- the week


async def test_saturday_week_report_and_next_weeks_plan(app: App, chat: Transcript) -> None:
    monday = date(2026, 11, 30)
    rep2 = await _staff(app, "rep2")
    async with app.sessions() as s:
        # The demo's own visits of rep2 this week (made before the clock's start), then ours.
        before = await s.scalar(
            select(func.count(Visit.id)).where(
                Visit.staff_id == rep2.id,
                Visit.kind != "phone",
                Visit.visited_at >= at(monday, 0),
                Visit.visited_at < at(date(2026, 12, 7), 0),
            )
        )
    await _seed_day(app)
    out = await chat("/as rep2", "@clock 2026-12-05T16:01")
    week = out[out.index("[to rep2] 🗓") :]
    assert "📋 Weekly report · Lucy Chen · week of Mon 30 Nov 2026" in week
    # The whole week: the visit of 1 Dec counts too.
    assert f"Visits: {before + 3} · calls: 1 · new customers: 1" in week
    report = await _report(app, "rep2", "week", monday)
    assert report is not None
    out = await _press(chat, app, "rep2", f"rpt_edit:{report.id}:next")
    assert "next week's plan" in out
    out = await chat("Sign the Acme renewal")
    assert "Next week's plan" in out and "• Sign the Acme renewal" in out
    out = await chat("[👥 Visit next week]", "Blue River")
    assert "To visit next week: Blue River Hotel" in out
    out = await chat("[📤 Send]")
    assert "📤 Sent to your manager." in out
    assert "Planned for next Monday as follow-ups: Blue River Hotel" in out
    report = await _report(app, "rep2", "week", monday)
    assert report is not None and report.plan == "Sign the Acme renewal\n👥 Blue River Hotel"
    blue = await _customer(app, "Blue River Hotel")
    async with app.sessions() as s:
        planned = await s.scalar(
            select(FollowUp)
            .where(FollowUp.customer_id == blue.id, FollowUp.status == "open")
            .order_by(FollowUp.id.desc())
        )
    assert planned is not None and planned.kind == "onsite"
    assert planned.due_at == at(date(2026, 12, 7), 9)
    # The manager's weekly message at the team time lists rep1 as not sent.
    out = await chat("/as manager", "@clock 2026-12-05T19:05")
    team = out[out.index("[to manager] 🗂") :]
    assert zh(T("🗂 <b>The team's weekly reports</b> · week of {day}", day=monday)) in team
    assert "• 张伟" in team


# ---------------------------------------------------------------- /rules


async def test_times_changed_in_rules_take_effect(app: App, chat: Transcript) -> None:
    out = await chat("/as admin", "/rules")
    assert "Reps' reports" in out and "daily report 17:30" in out
    out = await chat("[Reps' reports]", "[Daily report drafted (evening): 17:30]", "16:00")
    assert "Daily report drafted (evening): 17:30 → 16:00. In effect now." in out
    await chat("@clock 2026-12-02T16:05")
    assert len(await _outbox(app, "rpt-day:")) == 2
    out = await chat("/rules", "[Reps' reports]", "[Team's reports to the manager: 19:00]", "25:00")
    assert "Please type a time as HH:MM" in out
    out = await chat("18:00")
    assert "18:00. In effect now." in out
    await chat("@clock 2026-12-02T18:02")
    assert len(await _outbox(app, "rpt-team:day:")) == 1
    out = await chat(
        "/rules", "[Reps' reports]", "[Weekly report day (1 = Monday … 7 = Sunday): 6]", "9"
    )
    assert "from 1 to 7" in out


# ---------------------------------------------------------------- parking, Chinese


async def test_an_interrupted_draft_is_parked_and_resumed(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "/daily", "Met the Acme buyer")
    assert "• Met the Acme buyer" in out
    out = await chat("/today")
    assert "Daily report for Tue 1 Dec 2026 — kept as a draft." in out
    out = await chat("[▶ Resume]")
    assert "• Met the Acme buyer" in out
    out = await chat("[📤 Send]")
    assert "📤 Sent to your manager." in out
    report = await _report(app, "rep2", "day", date(2026, 12, 1))
    assert report is not None and report.lines == "Met the Acme buyer"
    # Discarding a draft keeps the report unsent (the manager sees it missing).
    out = await chat("/weekly", "[🗑 Discard]")
    assert "Discarded" in out
    week = await _report(app, "rep2", "week", date(2026, 11, 30))
    assert week is not None and week.sent_at is None


async def test_daily_report_in_chinese(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "/daily")
    assert (
        zh(T("📋 <b>Daily report</b> · {name} · {day}", name="张伟", day=date(2026, 12, 1))) in out
    )
    out = await chat("明天重点跟进华能", f"[{zh(T('📤 Send'))}]")
    assert zh(T("📤 Sent to your manager.")) in out
    assert "• 明天重点跟进华能" in out


# ---------------------------------------------------------------- erasure


async def test_erasure_removes_the_customer_from_report_lines(app: App, chat: Transcript) -> None:
    send = f"[{zh(T('📤 Send'))}]"
    await chat("/as rep1", "/daily", "明天重点跟进华能电厂", "东方钢铁要报价", send)
    huaneng = await _customer(app, "华能电厂")
    async with app.sessions() as s, s.begin():
        await privacy.erase(s, huaneng.id, now=app.clock.now())
    report = await _report(app, "rep1", "day", date(2026, 12, 1))
    assert report is not None
    assert "华能电厂" not in (report.lines or "")
    assert "东方钢铁要报价" in (report.lines or "")


# Edge cases: in the slow tier, so the fast one keeps to the main transcripts.
@pytest.mark.slow
async def test_a_report_sent_after_the_team_list_is_told_to_the_manager(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as rep2", "@clock 2026-12-02T19:05")
    assert "• Lucy Chen" in out[out.index("[to manager] 🗂") :]
    report = await _report(app, "rep2", "day", DEC_2)
    assert report is not None
    out = await _press(chat, app, "rep2", f"rpt_send:{report.id}")
    assert "📤 Sent to your manager." in out
    late = out[out.index("[to manager]") :]
    assert (
        zh(T("📋 {name} has now sent the report (after the team's list).", name="Lucy Chen"))
        in late
    )
    assert "Lucy Chen" in late
    assert len(await _outbox(app, f"rpt-late:{report.id}:")) == 1


# Edge cases: in the slow tier, so the fast one keeps to the main transcripts.
@pytest.mark.slow
async def test_lines_of_a_draft_sent_meanwhile_are_quoted_back(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "/daily", "Met the Acme buyer")
    report = await _report(app, "rep2", "day", date(2026, 12, 1))
    assert report is not None
    # The push's Send while the card is open: the next line finds the report sent, and every
    # line of the draft is quoted back (none added, none lost without a word).
    out = await _press(chat, app, "rep2", f"rpt_send:{report.id}")
    assert "📤 Sent to your manager." in out
    out = await chat("And the Blue River quote")
    assert "already been sent" in out
    assert "• Met the Acme buyer" in out and "• And the Blue River quote" in out
    report = await _report(app, "rep2", "day", date(2026, 12, 1))
    assert report is not None and report.lines is None
    out = await chat("[🗑 Discard]")
    assert "Discarded" in out


# Edge cases: in the slow tier, so the fast one keeps to the main transcripts.
@pytest.mark.slow
async def test_a_forged_plan_button_changes_nothing(app: App, chat: Transcript) -> None:
    await chat("/as rep2")
    for payload in ("rpt_plan:0:1900-01-01", "rpt_plan:0:2026-12-20", "rpt_plan:0:x"):
        out = await _press(chat, app, "rep2", payload)
        assert "no longer valid" in out
    async with app.sessions() as s:
        assert await s.scalar(select(func.count(RepReport.id))) == 0
    # Nor may a rep send or open another rep's report.
    await chat("/as rep1", "/daily")
    theirs = await _report(app, "rep1", "day", date(2026, 12, 1))
    assert theirs is not None
    out = await _press(chat, app, "rep2", f"rpt_send:{theirs.id}")
    assert "Sent to your manager" not in out
    theirs = await _report(app, "rep1", "day", date(2026, 12, 1))
    assert theirs is not None and theirs.sent_at is None
