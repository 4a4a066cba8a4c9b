"""Periodic jobs: each asks the database what is due and queues outbox rows with dedupe keys."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notify import OutboxNotifier
from crm.clock import Clock
from crm.services import outbox, sales
from scheduler.messages import followup_reminder

log = structlog.get_logger("scheduler")

# A reminder queued this long after its due time says it is late.
LATE_AFTER = timedelta(minutes=10)


async def followup_reminders(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo
) -> int:
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        for fu, customer, staff in await sales.due_for_reminder(session, now):
            late = now - fu.due_at > LATE_AFTER
            await notifier.to_staff(
                staff,
                followup_reminder(fu, customer, late),
                dedupe_key=f"fu-remind:{fu.id}:{fu.due_at.isoformat()}",
                priority=outbox.PRIORITY_REMINDER,
            )
            fu.reminded_at = now
            queued += 1
    if queued:
        log.info("followup_reminders_queued", count=queued)
    return queued
