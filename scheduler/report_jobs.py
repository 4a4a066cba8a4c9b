"""The reps' day and week (日报 / 周计划) and the managers' reading of them.

- At `rules.reports.evening` on a working day of the business calendar (none on a holiday or a
  weekend), each rep gets the day's report drafted from what they recorded, with [✏️ Add a
  line] [📤 Send] (handlers/rep_reports.py).
- On `reports.weekly_day` at `reports.weekly_at` (unless that day is a public holiday), the
  week's report with next week's plan.
- At `reports.team_at`, each manager gets the team's reports in one message, with who has not
  sent one: the daily ones on working days, the weekly ones on the weekly day.

Like the morning agenda and the digests, each is due in a window from its local time (the
rep's or the manager's time zone) to the end of that day, within the company's grace after
downtime, and queued once: the outbox dedupe keys `rpt-day:`, `rpt-week:`, `rpt-team:` make a
second pass (a restart, another process, the demo moving its clock) a no-op. Only the
scheduler's leader runs it (scheduler/runner.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notify import OutboxNotifier
from bot.types import Button, Lines, Reply, T
from bot.views import rep_report as view
from crm import sla
from crm.clock import Clock
from crm.models import RepReport, Staff
from crm.rules import Rules
from crm.services import claims, outbox
from crm.services import digest as digest_svc
from crm.services import rep_reports as svc
from crm.services.plans import staff_tz
from scheduler.jobs import is_within_grace

log = structlog.get_logger("scheduler")

LATE_AFTER = timedelta(minutes=10)
# A time late in the evening is still due this long after it, past midnight.
LATE_WINDOW = timedelta(hours=3)


@dataclass(frozen=True)
class Due:
    staff: Staff
    tz: ZoneInfo
    kind: str
    period: date
    at: datetime
    key: str


def _window(day: date, at: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, at, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, max(end, start + LATE_WINDOW)


def _due_kinds(day: date, tz: ZoneInfo, rules: Rules) -> list[str]:
    """Which reports belong to this local day: the daily one on a working day, the weekly one
    on the weekly day unless it is a public holiday."""
    calendar = sla.BusinessCalendar(rules.business_hours, tz)
    kinds = [svc.DAY] if calendar.is_business_day(day) else []
    if day.isoweekday() == rules.reports.weekly_day and not calendar.is_holiday(day):
        kinds.append(svc.WEEK)
    return kinds


def due_for(staff: Staff, tz: ZoneInfo, now: datetime, rules: Rules, *, team: bool) -> list[Due]:
    """The rep's drafts (or, `team`, the manager's team messages) whose window holds `now`."""
    today = now.astimezone(tz).date()
    found: list[Due] = []
    for day in (today - timedelta(days=1), today):
        for kind in _due_kinds(day, tz, rules):
            at = (
                rules.reports.team_at
                if team
                else (rules.reports.evening if kind == svc.DAY else rules.reports.weekly_at)
            )
            start, end = _window(day, at, tz)
            if not (start <= now < end and is_within_grace(start, now, rules)):
                continue
            period = svc.period_of(kind, day)
            key = (
                svc.team_key(kind, staff.id, period) if team else f"rpt-{kind}:{staff.id}:{period}"
            )
            found.append(Due(staff, tz, kind, period, start, key))
    return found


def draft_message(report: RepReport, staff: Staff, *, late: bool) -> Reply:
    week = report.kind == svc.WEEK
    intro = (
        T("🗓 Your week's report, drafted from what you recorded. Add next week's plan and send it.")
        if week
        else T("🌇 Your day's report, drafted from what you recorded. Add a line and send it.")
    )
    lines = [intro, view.body(report, staff)]
    if late:
        lines.append(T("(sent late: the bot was not running at the due time)"))
    first = (Button(T("✏️ Add a line"), f"rpt_edit:{report.id}:line"),)
    if week:
        first += (Button(T("📅 Next week's plan"), f"rpt_edit:{report.id}:next"),)
    return Reply(Lines(*lines), buttons=(first, (Button(T("📤 Send"), f"rpt_send:{report.id}"),)))


async def drafts(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Each rep's daily (and on the weekly day weekly) draft, once, unless already sent."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        due = [
            d
            for staff in await svc.reporters(session)
            for d in due_for(staff, staff_tz(staff, default_tz), now, rules, team=False)
        ]
        done = await claims.already_queued(session, (d.key for d in due))
        notifier = OutboxNotifier(session, clock, default_tz)
        for item in due:
            if item.key in done:
                continue
            report = await svc.draft(session, item.staff, item.kind, item.period, item.tz, now)
            if report.sent_at is not None:
                continue  # written and sent on demand (/daily) before the evening
            late = now - item.at > LATE_AFTER
            await notifier.to_staff(
                item.staff,
                draft_message(report, item.staff, late=late),
                dedupe_key=item.key,
                priority=outbox.PRIORITY_REMINDER,
                late=late,
            )
            queued += 1
    if queued:
        log.info("report_drafts_queued", count=queued)
    return queued


async def team(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Each manager's message with the team's reports and who has not sent one."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        due = [
            d
            for staff in await digest_svc.recipients(session)
            for d in due_for(staff, staff_tz(staff, default_tz), now, rules, team=True)
        ]
        done = await claims.already_queued(session, (d.key for d in due))
        notifier = OutboxNotifier(session, clock, default_tz)
        for item in due:
            if item.key in done:
                continue
            rows = await svc.team(session, item.staff, item.kind, item.period)
            if not rows:
                continue  # a manager without reps has nothing to read
            late = now - item.at > LATE_AFTER
            await notifier.to_staff(
                item.staff,
                view.team_message(item.kind, item.period, rows, late=late),
                dedupe_key=item.key,
                priority=outbox.PRIORITY_NORMAL,
                late=late,
            )
            queued += 1
    if queued:
        log.info("team_reports_queued", count=queued)
    return queued


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    return await drafts(sessions, clock, default_tz, rules) + await team(
        sessions, clock, default_tz, rules
    )
