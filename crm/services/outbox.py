"""The outbox: proactive messages as rows with a due time and a dedupe key."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import OutboxStatus
from crm.models import OutboxMessage

PRIORITY_RELAY = 1
PRIORITY_REMINDER = 3
PRIORITY_NORMAL = 5
PRIORITY_BULK = 8


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    payload: dict[str, Any],
    dedupe_key: str,
    due_at: datetime,
    priority: int = PRIORITY_NORMAL,
    late: bool = False,
) -> bool:
    """Adds the row unless one with the same dedupe key exists; True when added."""
    values = dict(
        chat_id=chat_id,
        payload=payload,
        dedupe_key=dedupe_key,
        due_at=due_at,
        priority=priority,
        late=late,
        status=OutboxStatus.PENDING,
        attempts=0,
        created_at=due_at,
    )
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)


async def claim_due(
    session: AsyncSession, now: datetime, *, limit: int = 50, lease: timedelta
) -> list[OutboxMessage]:
    """Takes due rows (or rows whose sender's lease ran out) and leases them to this sender."""
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.due_at <= now,
            or_(
                OutboxMessage.status == OutboxStatus.PENDING,
                (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.lease_until < now),
            ),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(await session.scalars(stmt))
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.lease_until = now + lease
        row.attempts += 1
    await session.flush()
    return rows


async def mark_sent(session: AsyncSession, row_id: int, now: datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=OutboxStatus.SENT, sent_at=now, lease_until=None)
    )


async def mark_retry(session: AsyncSession, row_id: int, when: datetime, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=OutboxStatus.PENDING, due_at=when, lease_until=None, last_error=error[:300])
    )


async def mark_final(session: AsyncSession, row_id: int, status: OutboxStatus, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=status, lease_until=None, last_error=error[:300])
    )
