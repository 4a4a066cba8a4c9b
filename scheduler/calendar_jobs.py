"""The business calendar's upkeep: this year and next are seeded from the libraries when the
table lacks them, and in December the admins are reminded (on Mondays) while next year's
official schedule (with its make-up working days) is not yet in the table."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notify import OutboxNotifier
from bot.types import Lines, Reply, T
from crm.clock import Clock
from crm.rules import Rules
from crm.services import calendar, sla_watch

log = structlog.get_logger("scheduler")

REMIND_MONTH = 12


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    local = clock.now().astimezone(default_tz)
    queued = 0
    async with sessions() as session, session.begin():
        for year in (local.year, local.year + 1):
            source = await calendar.seed_year(session, rules.business_hours, year)
            if source is not None:
                log.info("calendar_seeded", year=year, source=source)
        nxt = local.year + 1
        if (
            local.month == REMIND_MONTH
            and local.isoweekday() == 1
            and await calendar.year_source(session, nxt) not in calendar.CONFIRMED
        ):
            notifier = OutboxNotifier(session, clock, default_tz)
            week = local.isocalendar().week
            note = Reply(
                Lines(
                    T(
                        "📅 The official holiday schedule for {year} is not in the business "
                        "calendar yet: deadlines in {year} use the library's holidays, without "
                        "make-up working days.",
                        year=nxt,
                    ),
                    T(
                        "When it is published, enter it in /rules → Business calendar (one day a "
                        "line, e.g. “{example}”).",
                        example=f"{nxt}-02-07 work",
                    ),
                )
            )
            for admin in await sla_watch.admins(session):
                await notifier.to_staff(
                    admin, note, dedupe_key=f"calendar-year:{nxt}:{week}:{admin.id}"
                )
                queued += 1
    return queued
