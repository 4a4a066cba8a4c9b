"""Conversation state, processed updates, audit and key-value rows: the engine's bookkeeping.

How one user's updates are serialised across webhook replicas (PostgreSQL)
--------------------------------------------------------------------------
Replicas share nothing but the database, and two updates of one user may reach two replicas at
once (a button pressed twice, Telegram resending an update whose POST failed). Each update is one
transaction that starts like this::

    BEGIN
    SELECT pg_advisory_xact_lock(user_lock_key(channel, chat, user))  -- waits for the other one
    INSERT INTO processed_update ... ON CONFLICT DO NOTHING            -- 0 rows: a redelivery
    ... identify the user (a new one's customer_user row is created here) ...
    INSERT INTO conversation_state ... ON CONFLICT DO NOTHING; SELECT ... FOR UPDATE
    ... the flow's step, its domain changes, the new state ...
    COMMIT                                                              -- releases the lock

The advisory lock comes first because the state row alone cannot guard what happens before it
exists: a new user's first two updates would both find no row (and both create the user). A
transaction-level lock is released by COMMIT, ROLLBACK or the connection dying (a killed replica),
so it can never be left behind. The dedupe insert runs under the lock: of two copies of an
update, the second waits, then finds the row and does nothing. SQLite serves one process, where
the engine's in-process lock per user does the same job; there `lock_user` is a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import AuditLog, ConversationState, KeyValue, ProcessedUpdate


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def user_lock_key(channel: str, chat_id: int, user_id: int) -> int:
    """A signed 64-bit advisory-lock key for one conversation, the same in every process
    (Python's own `hash` is salted per process, so it cannot be used)."""
    digest = hashlib.blake2b(f"{channel}:{chat_id}:{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_user(session: AsyncSession, channel: str, chat_id: int, user_id: int) -> None:
    """Waits until no other transaction (in any process) works on this conversation; held until
    this transaction ends. Call it first in the update's transaction."""
    if session.bind.dialect.name != "postgresql":
        return
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"),
        {"key": user_lock_key(channel, chat_id, user_id)},
    )


# The statements of every update are built once, with their parameters bound at execution:
# building a statement and its cache key costs more than SQLite takes to run it.
_PROCESSED = ProcessedUpdate.__table__
_MARK = {
    name: insert(_PROCESSED).on_conflict_do_nothing()
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


async def mark_processed(
    session: AsyncSession, channel: str, update_id: int, now: datetime
) -> bool:
    """False when this update was already processed (a redelivery)."""
    # On the connection: the ORM's bulk-insert handling has nothing to do for one plain row.
    result = await (await session.connection()).execute(
        _MARK[session.bind.dialect.name],
        {"channel": channel, "update_id": update_id, "processed_at": now},
    )
    return bool(result.rowcount)


@dataclass
class State:
    """A conversation's state row as the engine reads and writes it: plain values, not an ORM
    object (loading one and flushing its change cost more than the rest of a short update)."""

    id: int
    flow: str | None
    step: str | None
    data: dict[str, Any]
    version: int
    updated_at: datetime


_STATE = ConversationState.__table__
_STATE_COLUMNS = (
    _STATE.c.id,
    _STATE.c.flow,
    _STATE.c.step,
    _STATE.c.data,
    _STATE.c.version,
    _STATE.c.updated_at,
)
_NEW_STATE = {
    name: insert(_STATE).on_conflict_do_nothing()
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_SAVE_STATE = update(_STATE).where(_STATE.c.id == bindparam("state_id"))


class StateQuery:
    """The select of a conversation's state row, locked, with the values of `also` (scalar
    subqueries the caller needs on every update: every statement saved is a good part of an
    update's time). `also` may use the bound parameters `channel`, `chat_id` and `user_id`."""

    def __init__(self, also: Sequence[ColumnElement[Any]] = ()) -> None:
        self.width = len(_STATE_COLUMNS)
        self.statement = (
            select(*_STATE_COLUMNS, *also)
            .where(
                _STATE.c.channel == bindparam("channel"),
                _STATE.c.chat_id == bindparam("chat_id"),
                _STATE.c.user_id == bindparam("user_id"),
            )
            .with_for_update(of=_STATE)
        )


async def lock_state(
    session: AsyncSession,
    channel: str,
    chat_id: int,
    user_id: int,
    now: datetime,
    query: StateQuery,
) -> tuple[State, Sequence[Any]]:
    """The user's state row, created if missing and locked for this transaction; and the values
    of the query's `also`."""
    conn = await session.connection()
    where = {"channel": channel, "chat_id": chat_id, "user_id": user_id}
    # Nearly every update is from someone who has a row already: look first, insert only if
    # missing (a statement less per update); the insert still copes with a concurrent first one.
    row = (await conn.execute(query.statement, where)).first()
    if row is None:
        await conn.execute(
            _NEW_STATE[session.bind.dialect.name],
            {**where, "data": {}, "version": 0, "updated_at": now},
        )
        row = (await conn.execute(query.statement, where)).first()
        assert row is not None
    return State(*row[: query.width]), tuple(row[query.width :])


async def save_state(session: AsyncSession, state: State, now: datetime) -> None:
    """Writes the state back, its version one up."""
    await (await session.connection()).execute(
        _SAVE_STATE,
        {
            "state_id": state.id,
            "flow": state.flow,
            "step": state.step,
            "data": state.data,
            "version": state.version + 1,
            "updated_at": now,
        },
    )


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


def kv_column(key: str) -> ColumnElement[str | None]:
    """The value under `key` as a scalar subquery, to read along with another statement."""
    return select(KeyValue.value).where(KeyValue.key == key).scalar_subquery()


async def kv_get(session: AsyncSession, key: str) -> str | None:
    row = await session.get(KeyValue, key)
    return row.value if row else None


async def kv_set(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(KeyValue, key)
    if row is None:
        session.add(KeyValue(key=key, value=value))
    else:
        row.value = value


async def kv_delete(session: AsyncSession, key: str) -> None:
    row = await session.get(KeyValue, key)
    if row is not None:
        await session.delete(row)


async def kv_lock(session: AsyncSession, key: str, *, default: str) -> KeyValue:
    """The row, created with `default` if missing, locked for this transaction (PostgreSQL)."""
    await session.execute(
        _insert(session)(KeyValue).values(key=key, value=default).on_conflict_do_nothing()
    )
    row = await session.scalar(
        select(KeyValue)
        .where(KeyValue.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row
