"""What the channels tell the engine besides updates: a reply Telegram asked to hold, and a
chat that blocked the bot or allowed it again (my_chat_member)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.types import Outgoing
from crm.clock import Clock
from crm.services import outbox

log = structlog.get_logger("engine")

BLOCKED_REASON = "chat blocked the bot (my_chat_member)"


async def defer_reply(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, out: Outgoing, seconds: float
) -> None:
    """A direct reply met a flood wait longer than a reply waits: the outbox sends it once the
    wait is over (its journal row, or a new row), instead of it being dropped."""
    due = clock.now() + timedelta(seconds=seconds)
    async with sessions() as session, session.begin():
        if out.journal_id is not None:
            await outbox.mark_retry(
                session, out.journal_id, due, f"flood wait {seconds:.0f}s", count_attempt=False
            )
        else:
            await outbox.enqueue(
                session,
                chat_id=out.chat_id,
                payload=out.to_payload(),
                dedupe_key=f"deferred:{secrets.token_hex(8)}",
                due_at=due,
                priority=outbox.PRIORITY_RELAY,
            )


async def chat_member(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, chat_id: int, blocked: bool
) -> None:
    async with sessions() as session, session.begin():
        if blocked:
            await outbox.mark_chat_unreachable(session, chat_id, clock.now(), BLOCKED_REASON)
        else:
            await outbox.clear_unreachable(session, chat_id)
    log.info("chat_member", chat_id=chat_id, blocked=blocked)
