"""The daily outbox retention pass (crm.services.outbox_retention), as a scheduler cron job."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.clock import Clock
from crm.rules import Rules
from crm.services import outbox_retention

log = structlog.get_logger("scheduler")


async def prune_outbox(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, _tz: ZoneInfo, rules: Rules
) -> int:
    """Deletes (or empties) sent messages older than the retention; queues nothing."""
    async with sessions() as session, session.begin():
        deleted, emptied = await outbox_retention.prune(
            session, clock.now(), rules.privacy.outbox_retention_days
        )
    if deleted or emptied:
        log.info("outbox_pruned", deleted=deleted, emptied=emptied)
    return 0
