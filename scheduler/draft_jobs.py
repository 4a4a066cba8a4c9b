"""Parked drafts over time: flows left untouched are parked, a reminder goes out the day before
a draft expires, and an expired draft is discarded with a word to its person."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notify import OutboxNotifier
from bot.types import Lines, Raw, Reply, T, Text
from bot.views.drafts import draft_buttons
from crm.clock import Clock
from crm.models import CustomerUser, ParkedDraft, Staff
from crm.rules import Rules
from crm.services import drafts

log = structlog.get_logger("scheduler.drafts")


async def _locale(session: AsyncSession, user_id: int, default: str) -> str:
    staff = await session.scalar(select(Staff.locale).where(Staff.tg_user_id == user_id))
    if staff:
        return staff
    cuser = await session.scalar(
        select(CustomerUser.locale).where(CustomerUser.tg_user_id == user_id)
    )
    return cuser or default


def _gone_words(row: ParkedDraft, said: Text) -> Lines:
    """A draft dropped without a press: the notice quotes what it held, so no words are lost."""
    words = drafts.words_of(row.data)
    if not words:
        return Lines(said)
    return Lines(said, T("What it held: {words}", words=Raw(words)))


async def run(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    default_tz: ZoneInfo,
    rules: Rules,
    default_locale: str = "zh_CN",
) -> int:
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        before = now - timedelta(hours=rules.drafts.idle_park_hours)
        for state in await drafts.idle_states(session, before):
            data = dict(state.data or {})
            if data.get("d") is not None and state.flow and state.step:
                _, dropped = await drafts.park(
                    session,
                    drafts.Owner(state.channel, state.chat_id, state.user_id),
                    flow=state.flow,
                    step=state.step,
                    data={"d": data["d"], "s": data.get("s") or []},
                    title=str(data.get("t") or state.flow),
                    now=now,
                    keep_days=rules.drafts.keep_days,
                )
                for old in dropped:  # named and quoted, as when parked in the chat
                    await notifier.to_chat(
                        old.chat_id,
                        Reply(
                            _gone_words(
                                old, T("🗑 Discarded to make room: {title}.", title=Raw(old.title))
                            )
                        ),
                        locale=await _locale(session, old.user_id, default_locale),
                        dedupe_key=f"draft-room:{old.id}",
                    )
                    queued += 1
            state.flow, state.step = None, None
            state.data = {"o": True}
            state.version += 1
            state.updated_at = now
        for row in await drafts.due_reminders(session, now):
            row.reminded_at = now
            await notifier.to_chat(
                row.chat_id,
                Reply(
                    T(
                        "📝 Your unfinished “{title}” will be discarded on {when} "
                        "unless you finish it.",
                        title=Raw(row.title),
                        when=row.expires_at,
                    ),
                    buttons=draft_buttons(row.id),
                ),
                locale=await _locale(session, row.user_id, default_locale),
                dedupe_key=f"draft-remind:{row.id}",
            )
            queued += 1
        gone = await drafts.expired(session, now)
        for row in gone:
            await notifier.to_chat(
                row.chat_id,
                Reply(
                    _gone_words(
                        row,
                        T(
                            "🗑 Your unfinished “{title}” was discarded after {days} days.",
                            title=Raw(row.title),
                            days=rules.drafts.keep_days,
                        ),
                    )
                ),
                locale=await _locale(session, row.user_id, default_locale),
                dedupe_key=f"draft-expired:{row.id}",
            )
            queued += 1
        await drafts.drop(session, [r.id for r in gone])
    if queued:
        log.info("draft_notices_queued", count=queued)
    return queued
