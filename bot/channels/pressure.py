"""Sending that behaves under pressure, shared by both Telegram adapters: direct replies paced
per chat, a chat action while slow work runs, and an album taken as one message.

The outbox sender has its own limits (bot.send_limits); these are for what the adapters send at
once in answer to an update.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

from bot.types import Inbound

# Telegram allows about one message a second to a private chat and 20 a minute to a group; a
# little more, so that network jitter does not bring two replies within one of its windows.
PRIVATE_INTERVAL = 1.05
GROUP_INTERVAL = 3.05
# Slow work shows a chat action after this long, renewed before Telegram's 5 s display ends.
ACTION_AFTER_SECONDS = 1.0
ACTION_EVERY_SECONDS = 4.0
# The parts of an album arrive as separate updates within a moment of each other.
ALBUM_WAIT_SECONDS = 0.8


class ChatPacer:
    """At most one direct reply per `interval` to a chat (`group_interval` to a group): a burst
    waits its turn, first come first served, and nothing is dropped. Each reply reserves its
    slot before waiting, so concurrent updates of one chat keep their order of arrival."""

    def __init__(
        self,
        interval: float = PRIVATE_INTERVAL,
        group_interval: float = GROUP_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.group_interval = group_interval
        self._clock = clock
        self._next: dict[int, float] = {}

    def reserve(self, chat_id: int) -> float:
        """Seconds to wait before sending to `chat_id` (0: now); the slot is taken."""
        now = self._clock()
        if len(self._next) > 10_000:  # forget chats whose turn has long passed
            self._next = {c: t for c, t in self._next.items() if t > now}
        start = max(now, self._next.get(chat_id, now))
        step = self.group_interval if chat_id < 0 else self.interval
        self._next[chat_id] = start + step
        return start - now

    async def wait(self, chat_id: int) -> None:
        delay = self.reserve(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)


def action_for(inbound: Inbound) -> str:
    """The chat action that says what the bot is busy with."""
    if inbound.command == "export":
        return "upload_document"
    if inbound.command in ("report", "summary"):
        return "upload_photo"
    return "typing"


@contextlib.asynccontextmanager
async def busy(
    show: Callable[[int, str], Awaitable[object]] | None,
    inbound: Inbound,
    after: float = ACTION_AFTER_SECONDS,
    every: float = ACTION_EVERY_SECONDS,
) -> AsyncIterator[None]:
    """While the body runs longer than `after` (an export, a report, an import), shows the
    chat action (sendChatAction) and renews it; a failed action costs nothing."""
    if show is None:
        yield
        return

    async def keep_showing() -> None:
        await asyncio.sleep(after)
        while True:
            with contextlib.suppress(Exception):
                await show(inbound.chat_id, action_for(inbound))
            await asyncio.sleep(every)

    task = asyncio.create_task(keep_showing())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class Albums:
    """Collects the updates of one album (`media_group_id`) into one Inbound: its photos
    together, its caption as the text, delivered once the album has stopped growing."""

    def __init__(self, wait: float = ALBUM_WAIT_SECONDS) -> None:
        self.wait = wait
        self._groups: dict[tuple[int, str], list[Inbound]] = {}

    async def collect(self, inbound: Inbound) -> list[Inbound]:
        """What to hand to the engine for this update: nothing while the album may still grow
        (a later part delivers it), else the album as one Inbound (with any of its documents
        after it, as Inbound has room for one)."""
        if inbound.media_group_id is None:
            return [inbound]
        key = (inbound.chat_id, inbound.media_group_id)
        parts = self._groups.setdefault(key, [])
        parts.append(inbound)
        await asyncio.sleep(self.wait)
        if self._groups.get(key) is not parts or parts[-1] is not inbound:
            return []  # a later part arrived: it delivers
        del self._groups[key]
        parts.sort(key=lambda i: i.update_id)
        photos = tuple(p for part in parts for p in part.photo_ids)
        text = next((p.text for p in parts if p.text), None)
        first = parts[0]
        merged = replace(first, photo_ids=photos, text=text)
        extra_docs = [p for p in parts[1:] if p.document_id and not p.photo_ids]
        if merged.document_id is None and extra_docs:
            merged = replace(
                merged,
                document_id=extra_docs[0].document_id,
                document_name=extra_docs[0].document_name,
            )
            extra_docs = extra_docs[1:]
        return [merged, *(replace(d, text=None) for d in extra_docs)]
