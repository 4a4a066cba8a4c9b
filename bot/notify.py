"""The flows' `Notifier`: renders in the recipient's locale and queues in the outbox."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Renderer
from bot.render import render_reply
from bot.types import Reply
from crm.clock import Clock
from crm.models import CustomerUser, Staff
from crm.services import outbox


class OutboxNotifier:
    def __init__(self, session: AsyncSession, clock: Clock, default_tz: ZoneInfo) -> None:
        self._session = session
        self._clock = clock
        self._tz = default_tz

    async def _queue(
        self, chat_id: int | None, render: Renderer, reply: Reply, dedupe_key: str, priority: int
    ) -> None:
        if chat_id is None:
            return  # not on Telegram yet: nothing to send to
        out = render_reply(reply, render, chat_id)
        await outbox.enqueue(
            self._session,
            chat_id=chat_id,
            payload=out.to_payload(),
            dedupe_key=dedupe_key,
            due_at=self._clock.now(),
            priority=priority,
        )

    async def to_staff(
        self, staff: Staff, reply: Reply, *, dedupe_key: str, priority: int = 5
    ) -> None:
        if not staff.active:
            return
        render = Renderer(staff.locale, ZoneInfo(staff.timezone))
        await self._queue(staff.tg_user_id, render, reply, dedupe_key, priority)

    async def to_chat(
        self, chat_id: int, reply: Reply, *, locale: str, dedupe_key: str, priority: int = 5
    ) -> None:
        """A group chat (the service queue), in the company's language."""
        await self._queue(chat_id, Renderer(locale, self._tz), reply, dedupe_key, priority)

    async def to_customer(
        self, cuser: CustomerUser, reply: Reply, *, dedupe_key: str, priority: int = 5
    ) -> None:
        render = Renderer(cuser.locale, self._tz)
        await self._queue(cuser.tg_user_id, render, reply, dedupe_key, priority)
