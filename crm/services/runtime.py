"""Conversation state, processed updates, audit and key-value rows: the engine's bookkeeping."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import AuditLog, ConversationState, KeyValue, ProcessedUpdate


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def mark_processed(
    session: AsyncSession, channel: str, update_id: int, now: datetime
) -> bool:
    """False when this update was already processed (a redelivery)."""
    stmt = (
        _insert(session)(ProcessedUpdate)
        .values(channel=channel, update_id=update_id, processed_at=now)
        .on_conflict_do_nothing()
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)


async def lock_state(
    session: AsyncSession, channel: str, chat_id: int, user_id: int, now: datetime
) -> ConversationState:
    """The user's state row, created if missing and locked for this transaction."""
    locked = (
        select(ConversationState)
        .where(
            ConversationState.channel == channel,
            ConversationState.chat_id == chat_id,
            ConversationState.user_id == user_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    # Nearly every update is from someone who has a row already: look first, insert only if
    # missing (a statement less per update); the insert still copes with a concurrent first one.
    state = await session.scalar(locked)
    if state is not None:
        return state
    stmt = (
        _insert(session)(ConversationState)
        .values(
            channel=channel, chat_id=chat_id, user_id=user_id, data={}, version=0, updated_at=now
        )
        .on_conflict_do_nothing()
    )
    await session.execute(stmt)
    state = await session.scalar(locked)
    assert state is not None
    return state


async def audit(
    session: AsyncSession,
    *,
    actor_kind: str,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any],
    now: datetime,
) -> None:
    session.add(
        AuditLog(
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            changes=changes,
            at=now,
        )
    )


async def kv_get(session: AsyncSession, key: str) -> str | None:
    row = await session.get(KeyValue, key)
    return row.value if row else None


async def kv_set(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(KeyValue, key)
    if row is None:
        session.add(KeyValue(key=key, value=value))
    else:
        row.value = value
