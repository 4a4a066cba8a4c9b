"""The flows' `Notifier`: renders in the recipient's locale and queues in the outbox.

A reply's photo (a summary's chart) is queued with it, base64 in the row's payload
(`Outgoing.to_payload`); documents are not queued.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Renderer
from bot.render import render_reply
from bot.types import Reply
from crm.clock import Clock
from crm.models import CustomerUser, Staff
from crm.services import outbox

# A queued photo lives in the row's JSON payload, a third larger as base64: fine for charts of
# about 50 KB, not for camera pictures. Larger ones are refused where they are queued.
MAX_QUEUED_PHOTO = 512 * 1024


class OutboxNotifier:
    def __init__(self, session: AsyncSession, clock: Clock, default_tz: ZoneInfo) -> None:
        self._session = session
        self._clock = clock
        self._tz = default_tz

    async def _queue(
        self,
        chat_id: int | None,
        render: Renderer,
        reply: Reply,
        dedupe_key: str,
        priority: int,
        late: bool = False,
    ) -> None:
        if chat_id is None:
            return  # not on Telegram yet: nothing to send to
        if reply.photo is not None and len(reply.photo) > MAX_QUEUED_PHOTO:
            raise ValueError(f"photo of {len(reply.photo)} bytes is too large to queue")
        out = render_reply(reply, render, chat_id)
        await outbox.enqueue(
            self._session,
            chat_id=chat_id,
            payload=out.to_payload(),
            dedupe_key=dedupe_key,
            due_at=self._clock.now(),
            priority=priority,
            late=late,
        )

    async def to_staff(
        self, staff: Staff, reply: Reply, *, dedupe_key: str, priority: int = 5, late: bool = False
    ) -> None:
        """`late` marks the row as sent after its time (the bot was not running then)."""
        if not staff.active:
            return
        render = Renderer(staff.locale, ZoneInfo(staff.timezone))
        await self._queue(staff.tg_user_id, render, reply, dedupe_key, priority, late)

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
