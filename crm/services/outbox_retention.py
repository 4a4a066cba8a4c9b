"""Sent outbox rows do not keep people's words for ever.

After `rules.privacy.outbox_retention_days` a sent row is deleted, unless something still reads
it as a record of what was told: the SLA jobs find "alert already sent" by its dedupe key (a
ticket left open for months must not alert again) and care messages are counted through their
delivery rows. Those rows stay, with an empty text.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import OutboxStatus
from crm.models import CareDelivery, OutboxMessage
from crm.services import sla_watch

PRUNED = {"text": "", "buttons": [], "keyboard": None, "pruned": True}
PRUNED_MARK = "pruned"


def _ledger_prefixes() -> tuple[str, ...]:
    # The dedupe-key prefixes the SLA jobs look up (sla_watch._told, breaches_alerted).
    return (
        sla_watch.breach_key(0, sla_watch.FIRST, sla_watch.MANAGER).split(":", 1)[0] + ":",
        sla_watch.breach_key(0, sla_watch.FIRST, sla_watch.ADMIN).split(":", 1)[0] + ":",
        sla_watch.after_hours_key(0).split(":", 1)[0] + ":",
    )


async def prune(session: AsyncSession, now: datetime, retention_days: int) -> tuple[int, int]:
    """Deletes or empties sent rows older than the retention; returns (deleted, emptied)."""
    cutoff = now - timedelta(days=retention_days)
    old = (OutboxMessage.status == OutboxStatus.SENT) & (OutboxMessage.sent_at < cutoff)
    kept = or_(
        *(OutboxMessage.dedupe_key.startswith(p, autoescape=True) for p in _ledger_prefixes()),
        OutboxMessage.id.in_(
            select(CareDelivery.outbox_id).where(CareDelivery.outbox_id.is_not(None))
        ),
    )
    # The marker keeps a day's run from rewriting every row emptied before.
    fresh = or_(OutboxMessage.last_error.is_(None), OutboxMessage.last_error != PRUNED_MARK)
    emptied = await session.execute(
        update(OutboxMessage).where(old, kept, fresh).values(payload=PRUNED, last_error=PRUNED_MARK)
    )
    deleted = await session.execute(delete(OutboxMessage).where(old, ~kept))
    return deleted.rowcount or 0, emptied.rowcount or 0  # type: ignore[attr-defined]
