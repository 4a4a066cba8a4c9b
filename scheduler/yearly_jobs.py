"""Last year's summary for every manager on the first working day of the year (the company's
business calendar: New Year's Day and the weekend after it are skipped, a make-up working day
counts), at YEARLY_AT in the manager's time zone.

As the summaries (scheduler/digest_jobs.py): due in a window from its time to the end of that
local day, within the company's grace after downtime; the outbox dedupe key
`yearly:{staff id}:{year}` makes every later pass, a restart or a second process a no-op, and a
key already queued is found before the summary is built. Only the scheduler's leader runs it
(scheduler/runner.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notify import OutboxNotifier
from bot.views import yearly as view
from crm.clock import Clock
from crm.models import Staff
from crm.rules import Rules
from crm.services import claims, outbox, report_yearly
from crm.services import digest as svc
from crm.services.plans import staff_tz
from scheduler.jobs import is_within_grace

log = structlog.get_logger("scheduler")

# The start of the first working day, when the year's work is planned.
YEARLY_AT = time(9, 0)


def key(staff_id: int, year: int) -> str:
    return f"yearly:{staff_id}:{year}"


def due_year(tz: ZoneInfo, now: datetime, rules: Rules) -> int | None:
    """The year whose summary is due now in this zone (last year, on the first working day of
    this one, from YEARLY_AT to the day's end), or None."""
    local = now.astimezone(tz)
    today: date = local.date()
    if today != report_yearly.first_working_day(today.year, rules, tz):
        return None
    start = datetime.combine(today, YEARLY_AT, tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)
    if start <= now < end and is_within_grace(start, now, rules):
        return today.year - 1
    return None


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Queues every yearly summary due now that has not been queued; returns how many."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        due: list[tuple[Staff, ZoneInfo, int]] = []
        for staff in await svc.recipients(session):
            tz = staff_tz(staff, default_tz)
            year = due_year(tz, now, rules)
            if year is not None:
                due.append((staff, tz, year))
        done = await claims.already_queued(session, (key(s.id, y) for s, _, y in due))
        notifier = OutboxNotifier(session, clock, default_tz)
        for staff, tz, year in due:
            if key(staff.id, year) in done:
                continue
            if not (await svc.scope_of(session, staff)).reps:
                continue  # a manager without reps has nothing to read
            found = await report_yearly.build(session, staff, year, tz, now, rules)
            for n, reply in enumerate(view.summary(found)):
                # One key per message; the first one says the summary was queued.
                await notifier.to_staff(
                    staff,
                    reply,
                    dedupe_key=key(staff.id, year) if n == 0 else f"{key(staff.id, year)}:{n}",
                    priority=outbox.PRIORITY_NORMAL,
                )
            queued += 1
    if queued:
        log.info("yearly_summaries_queued", count=queued)
    return queued
