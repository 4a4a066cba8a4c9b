"""APScheduler 3 with interval triggers; every tick runs the jobs that ask what is due."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.clock import Clock
from crm.rules import Rules
from scheduler import jobs, sales_jobs, ticket_jobs

log = structlog.get_logger("scheduler")


async def run_due(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    default_tz: ZoneInfo,
    rules: Rules,
) -> int:
    """One pass of every job at the clock's time (the demo calls this when it moves time).

    Returns how many messages were queued.
    """
    # The sales jobs first: their messages are queued (and so sent) before the reminders.
    queued = await sales_jobs.run(sessions, clock, default_tz, rules)
    queued += await ticket_jobs.run(sessions, clock, default_tz, rules)
    queued += await jobs.followup_reminders(sessions, clock, default_tz)
    return queued


async def _tick(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> None:
    try:
        await run_due(sessions, clock, default_tz, rules)
    except Exception:
        log.exception("tick_failed")


def build(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    default_tz: ZoneInfo,
    rules: Rules,
    tick_seconds: int,
) -> AsyncIOScheduler:
    sched = AsyncIOScheduler(timezone=default_tz)
    sched.add_job(
        _tick,
        "interval",
        seconds=tick_seconds,
        args=(sessions, clock, default_tz, rules),
        id="due-work",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=tick_seconds,
    )
    return sched
