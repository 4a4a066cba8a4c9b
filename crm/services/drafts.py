"""Parked drafts: a flow's draft put aside when its person did something else.

Nothing here knows what a draft holds: the conversation layer gives the JSON and a title in the
person's language, and gets them back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import ConversationState, ParkedDraft

# A person keeps at most this many parked drafts; parking one more drops the oldest, which is
# then named in the answer with the words it held quoted back (nothing typed is lost unseen).
MAX_PARKED = 20
# Codes a draft holds besides the person's words (kinds, stages, classes): never quoted back.
_CODE = re.compile(r"^[a-z]+(_[a-z]+)+$|^[A-Z]$|^-?\d+$|^\d{4}-\d\d-\d\d(T[\d:.+-]+)?$")


@dataclass(frozen=True)
class Owner:
    channel: str
    chat_id: int
    user_id: int

    def where(self) -> tuple[Any, ...]:
        return (
            ParkedDraft.channel == self.channel,
            ParkedDraft.chat_id == self.chat_id,
            ParkedDraft.user_id == self.user_id,
        )


def words_of(data: dict[str, Any] | None, limit: int = 600) -> str:
    """What the person typed into a stored draft, for quoting back when the draft cannot be
    resumed or is dropped: every text leaf of its fields, in order, codes and ids left out."""

    def leaves(value: Any, key: str = "") -> Iterator[str]:
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in ("v", "s", "t", "o", "m", "returning"):
                    yield from leaves(v, k)
        elif isinstance(value, list):
            for v in value:
                yield from leaves(v, key)
        elif isinstance(value, str) and value.strip() and not _CODE.match(value.strip()):
            yield value.strip()

    seen: list[str] = []
    for text in leaves((data or {}).get("d", data or {})):
        if text not in seen:
            seen.append(text)
    joined = " · ".join(seen)
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"


async def park(
    session: AsyncSession,
    owner: Owner,
    *,
    flow: str,
    step: str,
    data: dict[str, Any],
    title: str,
    now: datetime,
    keep_days: int,
) -> tuple[ParkedDraft, list[ParkedDraft]]:
    """Keeps a draft; returns it and the oldest drafts dropped to make room (already deleted,
    for the caller to name and quote)."""
    row = ParkedDraft(
        channel=owner.channel,
        chat_id=owner.chat_id,
        user_id=owner.user_id,
        flow=flow,
        step=step,
        data=data,
        title=title[:300],
        parked_at=now,
        expires_at=now + timedelta(days=keep_days),
        offered=False,
    )
    session.add(row)
    await session.flush()
    kept = await of(session, owner)
    dropped = kept[MAX_PARKED:]
    for old in dropped:
        await session.delete(old)
    return row, dropped


async def of(session: AsyncSession, owner: Owner) -> list[ParkedDraft]:
    """A person's parked drafts, newest first."""
    rows = await session.scalars(
        select(ParkedDraft)
        .where(*owner.where())
        .order_by(ParkedDraft.parked_at.desc(), ParkedDraft.id.desc())
    )
    return list(rows)


async def of_user(session: AsyncSession, user_id: int) -> list[ParkedDraft]:
    """Every parked draft of a Telegram user, whatever chat (for /today), newest first."""
    rows = await session.scalars(
        select(ParkedDraft)
        .where(ParkedDraft.user_id == user_id)
        .order_by(ParkedDraft.parked_at.desc(), ParkedDraft.id.desc())
    )
    return list(rows)


async def get(session: AsyncSession, owner: Owner, draft_id: int) -> ParkedDraft | None:
    """The draft if it is this person's; None for anyone else's (a forged button) or a gone one."""
    return await session.scalar(
        select(ParkedDraft).where(ParkedDraft.id == draft_id, *owner.where())
    )


async def take(session: AsyncSession, row: ParkedDraft) -> None:
    """The draft is resumed or discarded: its row goes."""
    await session.delete(row)
    await session.flush()


async def not_offered(session: AsyncSession, owner: Owner) -> list[ParkedDraft]:
    rows = await session.scalars(
        select(ParkedDraft)
        .where(*owner.where(), ParkedDraft.offered.is_(False))
        .order_by(ParkedDraft.parked_at.desc())
    )
    return list(rows)


async def mark_offered(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(
            update(ParkedDraft).where(ParkedDraft.id.in_(ids)).values(offered=True)
        )


async def due_reminders(session: AsyncSession, now: datetime) -> list[ParkedDraft]:
    """Drafts that expire within a day and whose person was not reminded yet."""
    rows = await session.scalars(
        select(ParkedDraft)
        .where(
            ParkedDraft.reminded_at.is_(None),
            ParkedDraft.expires_at <= now + timedelta(days=1),
            ParkedDraft.expires_at > now,
        )
        .order_by(ParkedDraft.id)
        .limit(500)
    )
    return list(rows)


async def expired(session: AsyncSession, now: datetime) -> list[ParkedDraft]:
    rows = await session.scalars(
        select(ParkedDraft).where(ParkedDraft.expires_at <= now).order_by(ParkedDraft.id).limit(500)
    )
    return list(rows)


async def drop(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(delete(ParkedDraft).where(ParkedDraft.id.in_(ids)))


async def idle_states(session: AsyncSession, before: datetime) -> list[ConversationState]:
    """Conversations left in a flow since before `before`, locked (skipped if busy)."""
    stmt = (
        select(ConversationState)
        .where(ConversationState.flow.is_not(None), ConversationState.updated_at < before)
        .order_by(ConversationState.id)
        .limit(500)
    )
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(await session.scalars(stmt))
