"""The outbox: proactive messages as rows with a due time and a dedupe key.

A row's life: `pending` (due at `due_at`) -> `sending` (leased to one sender until `lease_until`)
-> `sent`, or back to `pending` with a later `due_at` (a transient failure, Telegram's flood
wait), or `dead` (Telegram refused it for good, or too many failures; `last_error` says why), or
`unreachable` (the chat blocked the bot). Rows are never deleted here: nothing is lost.

A chat that blocked the bot (403) is recorded in `UnreachableChat`; its rows then go straight to
`unreachable` without reaching Telegram, until the chat writes to the bot again and the engine
calls `clear_unreachable`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from crm.enums import OutboxStatus
from crm.models import OutboxMessage, UnreachableChat

# Lower goes first.
PRIORITY_RELAY = 1
PRIORITY_REMINDER = 3
PRIORITY_NORMAL = 5
PRIORITY_BULK = 8

# The advisory lock claims with one row per chat take turns on ("CRMCLAIM" in ASCII).
CLAIM_LOCK_KEY = 0x43524D434C41494D

# What a row for a chat that blocked the bot records as its error.
UNREACHABLE_REASON = "chat unreachable: it blocked the bot"


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def _postgres(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


_TABLE = OutboxMessage.__table__
_ADD_LEASED = insert(_TABLE).returning(_TABLE.c.id)
_ENQUEUE = {
    name: insert(OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


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
    # Built once, run on the connection: the ORM's bulk-insert handling has nothing to do here.
    result = await (await session.connection()).execute(_ENQUEUE[session.bind.dialect.name], values)
    return bool(result.rowcount)


async def add_leased(
    session: AsyncSession,
    *,
    chat_id: int,
    payload: dict[str, Any],
    dedupe_key: str,
    now: datetime,
    lease: timedelta,
    priority: int = PRIORITY_RELAY,
) -> int:
    """A row already leased to its writer, which sends it itself (a direct reply, journaled in
    the update's transaction): if the writer dies before `mark_sent`, the row is taken over when
    the lease ends, like a crashed sender's. Returns its id."""
    values = dict(
        chat_id=chat_id,
        payload=payload,
        dedupe_key=dedupe_key,
        due_at=now,
        priority=priority,
        late=False,
        status=OutboxStatus.SENDING,
        lease_until=now + lease,
        attempts=1,
        retaken=False,
        created_at=now,
    )
    return (await (await session.connection()).execute(_ADD_LEASED, values)).scalar_one()


def _claimable(now: datetime) -> Any:
    """Due rows that are waiting, or whose sender's lease ran out (it crashed or hung)."""
    return (OutboxMessage.due_at <= now) & or_(
        OutboxMessage.status == OutboxStatus.PENDING,
        (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.lease_until < now),
    )


async def _skip_unreachable(session: AsyncSession, now: datetime) -> int:
    """Due rows for chats that blocked the bot end as `unreachable`, without being sent."""
    ids_stmt = select(OutboxMessage.id).where(
        _claimable(now), OutboxMessage.chat_id.in_(select(UnreachableChat.chat_id))
    )
    if _postgres(session):
        ids_stmt = ids_stmt.with_for_update(skip_locked=True)
    ids = list(await session.scalars(ids_stmt))
    if not ids:
        return 0
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(status=OutboxStatus.UNREACHABLE, lease_until=None, last_error=UNREACHABLE_REASON)
    )
    return len(ids)


async def claim_due(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int = 50,
    lease: timedelta,
    one_per_chat: bool = False,
    exclude_chats: Iterable[int] = (),
) -> list[OutboxMessage]:
    """Takes due rows (or rows whose sender's lease ran out) and leases them to this sender.

    Order: priority (lower first), then due time, then id. Rows for unreachable chats are not
    returned: they are marked `unreachable` on the way. A row taken over after its lease ran out
    is flagged `retaken` (the crashed sender may have sent it: a possible duplicate).

    With `one_per_chat`, at most one row per chat is taken (the first in that order), and none
    for chats in `exclude_chats` or with a row another sender holds: a chat's messages then go
    out one at a time and in order, however many senders there are.

    Several senders (replicas) on PostgreSQL: the rows are locked with SKIP LOCKED, so two
    claims never take the same row. That alone would still let two claims at the same moment
    each take a row for the same chat (neither sees the other's, not yet committed, as held),
    so with `one_per_chat` the claims themselves take turns on a transaction-level advisory
    lock: a claim lasts milliseconds, and the next one sees what the last one took.
    """
    if one_per_chat and _postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})
    await _skip_unreachable(session, now)
    stmt = select(OutboxMessage).where(_claimable(now))
    excluded = set(exclude_chats)
    if one_per_chat:
        held = select(OutboxMessage.chat_id).where(
            OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until >= now
        )
        stmt = stmt.where(OutboxMessage.chat_id.not_in(held))
    if excluded:
        stmt = stmt.where(OutboxMessage.chat_id.not_in(excluded))
    stmt = stmt.order_by(OutboxMessage.priority, OutboxMessage.due_at, OutboxMessage.id).limit(
        limit
    )
    if _postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(await session.scalars(stmt))
    if one_per_chat:
        seen: set[int] = set()
        firsts = []
        for row in rows:
            if row.chat_id not in seen:
                seen.add(row.chat_id)
                firsts.append(row)
        rows = firsts
    for row in rows:
        if row.status == OutboxStatus.SENDING:
            row.retaken = True
        row.status = OutboxStatus.SENDING
        row.lease_until = now + lease
        row.attempts += 1
    await session.flush()
    return rows


async def has_due(session: AsyncSession, now: datetime, chat_ids: Iterable[int]) -> bool:
    """Whether any of these chats has a row that could be taken now."""
    ids = list(chat_ids)
    if not ids:
        return False
    found = await session.scalar(
        select(OutboxMessage.id).where(_claimable(now), OutboxMessage.chat_id.in_(ids)).limit(1)
    )
    return found is not None


_MARK_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"))
    .values(status=OutboxStatus.SENT, sent_at=bindparam("when"), lease_until=None)
)


_MARK_SENT_MANY = (
    update(_TABLE)
    .where(_TABLE.c.id.in_(bindparam("row_ids", expanding=True)))
    .values(status=OutboxStatus.SENT, sent_at=bindparam("when"), lease_until=None)
)


async def mark_sent(session: AsyncSession, row_id: int, now: datetime) -> None:
    await session.execute(_MARK_SENT, {"row_id": row_id, "when": now})


async def mark_sent_many(conn: AsyncConnection, row_ids: list[int], now: datetime) -> None:
    """Journaled replies sent (bot.reply_marks): one statement on a bare connection for all."""
    await conn.execute(_MARK_SENT_MANY, {"row_ids": row_ids, "when": now})


async def mark_retry(
    session: AsyncSession, row_id: int, when: datetime, error: str, *, count_attempt: bool = True
) -> None:
    """Back to `pending`, due at `when`. Without `count_attempt` (Telegram said "wait", which is
    no failure of the row) the attempt the claim counted is given back."""
    values: dict[str, Any] = dict(
        status=OutboxStatus.PENDING, due_at=when, lease_until=None, last_error=error[:300]
    )
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


async def release(session: AsyncSession, row_ids: Iterable[int]) -> None:
    """Rows leased but not sent (the sender stopped, or paused for a flood wait) wait again,
    due as before; the attempt their claim counted is given back."""
    ids = list(row_ids)
    if not ids:
        return
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.SENDING)
        .values(
            status=OutboxStatus.PENDING,
            lease_until=None,
            attempts=OutboxMessage.attempts - 1,
        )
    )


async def mark_final(
    session: AsyncSession | AsyncConnection, row_id: int, status: OutboxStatus, error: str
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=status, lease_until=None, last_error=error[:300])
    )


async def mark_unreachable(
    session: AsyncSession, row_id: int, chat_id: int, now: datetime, error: str
) -> None:
    """The chat blocked the bot: this row ends `unreachable`, and so will the chat's later rows
    (without reaching Telegram) until the chat writes again."""
    await mark_final(session, row_id, OutboxStatus.UNREACHABLE, error)
    await session.execute(
        _insert(session)(UnreachableChat)
        .values(chat_id=chat_id, since=now, reason=error[:300])
        .on_conflict_do_nothing(index_elements=["chat_id"])
    )


async def mark_chat_unreachable(
    session: AsyncSession, chat_id: int, now: datetime, reason: str
) -> None:
    """Telegram said the chat blocked the bot (my_chat_member) before any send failed: its
    rows go `unreachable` without reaching Telegram, until it writes or unblocks."""
    await session.execute(
        _insert(session)(UnreachableChat)
        .values(chat_id=chat_id, since=now, reason=reason[:300])
        .on_conflict_do_nothing(index_elements=["chat_id"])
    )


async def clear_unreachable(session: AsyncSession, chat_id: int) -> bool:
    """The chat wrote to the bot: it is reachable again. True if it had been unreachable.

    Call it for every inbound update (message or button), in the update's transaction.
    Rows that already ended `unreachable` stay so; rows queued from now on are sent.
    """
    result = await session.execute(
        delete(UnreachableChat).where(UnreachableChat.chat_id == chat_id)
    )
    return bool(result.rowcount)


def unreachable_flag(chat_id: int | BindParameter[int]) -> ColumnElement[bool]:
    """Whether the chat is marked unreachable, as a column to read along with another
    statement: the engine calls `clear_unreachable` only then (rarely)."""
    return exists().where(UnreachableChat.chat_id == chat_id)


async def is_unreachable(session: AsyncSession, chat_id: int) -> bool:
    return await session.get(UnreachableChat, chat_id) is not None


async def flag_late(session: AsyncSession, dedupe_key: str) -> None:
    """Marks a queued row as sent after its time (the bot was not running then)."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key).values(late=True)
    )


@dataclass(frozen=True)
class OutboxStats:
    """The outbox at one moment, for metrics and health checks."""

    by_status: dict[str, int]  # every status, 0 when none
    depth: int  # pending rows due now: the backlog
    oldest_pending_seconds: float | None  # how long the oldest of those is past its first due time
    retaken: int  # rows taken over from a sender whose lease ran out: possibly sent twice
    late: int  # rows queued after their time (the bot was not running then)
    unreachable_chats: int  # chats that blocked the bot and have not written since


async def stats(session: AsyncSession, now: datetime) -> OutboxStats:
    counts = {status.value: 0 for status in OutboxStatus}
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    for status, n in rows.all():
        counts[str(status)] = int(n)
    due = (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.due_at <= now)
    depth, oldest = (
        await session.execute(
            select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(due)
        )
    ).one()
    retaken = await session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.retaken.is_(True))
    )
    late = await session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.late.is_(True))
    )
    blocked = await session.scalar(select(func.count(UnreachableChat.chat_id)))
    age = None
    if oldest is not None:
        age = max((now - oldest).total_seconds(), 0.0)
    return OutboxStats(
        by_status=counts,
        depth=int(depth or 0),
        oldest_pending_seconds=age,
        retaken=int(retaken or 0),
        late=int(late or 0),
        unreachable_chats=int(blocked or 0),
    )
