"""Managers' summaries: the day's at `rules.digest.manager_summary` (18:00 by default), the
previous week's on Monday at 09:00, the previous month's on the 1st at 09:00; each in the
manager's own time zone (Staff.timezone), with a chart and drill-down buttons.

Like the morning agenda (scheduler/sales_jobs.py) each is due in a window from its time to the
end of that local day (at least LATE_WINDOW long), so a bot that was down at the time still
sends it once, saying it is late; after the window (or the company's shorter grace after
downtime, `rules.scheduler.late_grace_hours`) it is skipped, as news too old to push: the next
summary is the one to read. It is not counted among the skipped items reported to the admins:
nothing would record that it had been counted, and every pass would count it again.

The outbox dedupe key `digest:{kind}:{staff id}:{period}` makes every later pass (a restart, a
second process, the demo moving its clock) a no-op; a key already queued is found before the
summary and its chart are built.

Who gets them: active managers on Telegram whose team has reps (crm.services.digest.recipients).
Admins see everyone's figures with /summary on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import Renderer
from bot.notify import OutboxNotifier
from bot.views import digest as view
from crm.clock import Clock
from crm.models import Staff
from crm.rules import Rules
from crm.services import claims, outbox
from crm.services import digest as svc
from crm.services.plans import staff_tz
from scheduler.jobs import is_within_grace

log = structlog.get_logger("scheduler")

# The weekly and monthly reports' local time: the start of the working week / month, when the
# manager plans it. (Not yet in rules.digest, which holds the daily summary's time.)
WEEKLY_AT = time(9, 0)
MONTHLY_AT = time(9, 0)
# A summary queued this long after its time says it is late.
LATE_AFTER = timedelta(minutes=10)
# A summary whose time is late in the evening is still sent this long after it, past midnight.
LATE_WINDOW = timedelta(hours=3)


@dataclass(frozen=True)
class Due:
    staff: Staff
    period: svc.Period
    at: datetime  # when it was due

    @property
    def key(self) -> str:
        return key(self.period.kind, self.staff.id, self.period)


def key(kind: str, staff_id: int, period: svc.Period) -> str:
    return f"digest:{kind}:{staff_id}:{period.key}"


def _window(day: date, at: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, at, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, max(end, start + LATE_WINDOW)


def due_for(staff: Staff, tz: ZoneInfo, now: datetime, rules: Rules) -> list[Due]:
    """The summaries whose window contains `now` for this manager (yesterday's window may still
    be open just after midnight)."""
    today = now.astimezone(tz).date()
    found: list[Due] = []
    for day in (today - timedelta(days=1), today):
        wanted = [(rules.digest.manager_summary, svc.period_of(svc.DAY, day, tz))]
        if day.isoweekday() == 1:
            wanted.append((WEEKLY_AT, svc.previous(svc.WEEK, day, tz)))
        if day.day == 1:
            wanted.append((MONTHLY_AT, svc.previous(svc.MONTH, day, tz)))
        for at, period in wanted:
            start, end = _window(day, at, tz)
            # A company that keeps a shorter grace after downtime gets no older summary either.
            if start <= now < end and is_within_grace(start, now, rules):
                found.append(Due(staff, period, start))
    return found


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Queues every summary due now that has not been queued; returns how many."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        due = [
            d
            for staff in await svc.recipients(session)
            for d in due_for(staff, staff_tz(staff, default_tz), now, rules)
        ]
        done = await claims.already_queued(session, (d.key for d in due))
        notifier = OutboxNotifier(session, clock, default_tz)
        for item in due:
            if item.key in done:
                continue
            if not (await svc.scope_of(session, item.staff)).reps:
                continue  # a manager without reps has nothing to read
            digest = await svc.build(session, item.staff, item.period, now, rules)
            late = now - item.at > LATE_AFTER
            render = Renderer(item.staff.locale, item.period.tz)
            await notifier.to_staff(
                item.staff,
                view.summary(digest, render, late=late),
                dedupe_key=item.key,
                priority=outbox.PRIORITY_NORMAL,
                late=late,
            )
            queued += 1
    if queued:
        log.info("digests_queued", count=queued)
    return queued
