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

from bot.channels.parts import TEXT_LIMIT, size
from bot.types import Inbound, Outgoing

# Telegram allows about one message a second to a private chat and 20 a minute to a group; a
# little more, so that network jitter does not bring two replies within one of its windows.
PRIVATE_INTERVAL = 1.05
GROUP_INTERVAL = 3.05
# Slow work shows a chat action after this long, renewed before Telegram's 5 s display ends.
ACTION_AFTER_SECONDS = 1.0
ACTION_EVERY_SECONDS = 4.0
# The parts of an album arrive as separate updates within a moment of each other.
ALBUM_WAIT_SECONDS = 0.8
# Between the words of replies joined into one message.
JOINER = "\n\n"


def joinable(out: Outgoing) -> bool:
    """A reply that may share a message with its neighbours: words only. Never inline buttons
    (a press edits the message that carries them, and would wipe the other replies' words with
    it), files, pins, an edit in place or a press's notice."""
    return (
        not out.buttons
        and out.photo is None
        and out.document is None
        and not out.media
        and out.edit_message_id is None
        and out.notice is None
    )


class _Batch:
    """Replies to one chat waiting for the same turn, sent as one message."""

    def __init__(self, first: Outgoing) -> None:
        self.parts = [first]
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def takes(self, out: Outgoing) -> bool:
        first = self.parts[0]
        return (
            out.thread_id == first.thread_id and size(self.text() + JOINER + out.text) <= TEXT_LIMIT
        )

    def text(self) -> str:
        return JOINER.join(p.text for p in self.parts)

    def message(self) -> Outgoing:
        """The one message: the words in order; the reply keyboard the last reply set (a
        keyboard is the chat's, not a message's: the last one sent is what the user sees)."""
        out = self.parts[0]
        for later in self.parts[1:]:
            if later.keyboard is not None or later.remove_keyboard:
                out = replace(out, keyboard=later.keyboard, remove_keyboard=later.remove_keyboard)
        return replace(out, text=self.text(), journal_id=None)


class ChatPacer:
    """At most one direct reply per `interval` to a chat (`group_interval` to a group): a burst
    waits its turn, first come first served, and nothing is dropped. Each reply reserves its
    slot before waiting, so concurrent updates of one chat keep their order of arrival.

    With `coalesce`, replies of words only (`joinable`) that come while another such reply to
    the chat waits for its turn join it: one message, the words joined by a blank line, up to
    Telegram's 4,096 characters. Only the latest waiting message takes them, so nothing
    overtakes a message with buttons or a file queued in between."""

    def __init__(
        self,
        interval: float = PRIVATE_INTERVAL,
        group_interval: float = GROUP_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        coalesce: bool = True,
    ) -> None:
        self.interval = interval
        self.group_interval = group_interval
        self.coalesce = coalesce
        self._clock = clock
        self._next: dict[int, float] = {}
        # Per chat, the waiting message later replies may still join (the latest reserved).
        self._open: dict[int, _Batch] = {}

    def reserve(self, chat_id: int) -> float:
        """Seconds to wait before sending to `chat_id` (0: now); the slot is taken. Whatever
        waits before it can no longer take more words: they would overtake this message."""
        self._open.pop(chat_id, None)
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

    async def send(self, out: Outgoing, send_part: Callable[[Outgoing], Awaitable[None]]) -> None:
        """Sends `out` (one message Telegram can take) at its turn, joined with the other words
        waiting for the same turn when it may be; raises what the send raised, to every reply
        in the message (each reports its own outcome: bot.channels.base._send_all)."""
        chat_id = out.chat_id
        waiting = self._open.get(chat_id) if self.coalesce and joinable(out) else None
        if waiting is not None and waiting.takes(out):
            waiting.parts.append(out)
            await asyncio.shield(waiting.done)
            return
        delay = self.reserve(chat_id)
        if delay <= 0 or not self.coalesce or not joinable(out):
            if delay > 0:
                await asyncio.sleep(delay)
            await send_part(out)
            return
        batch = _Batch(out)
        self._open[chat_id] = batch
        try:
            try:
                await asyncio.sleep(delay)
            finally:
                if self._open.get(chat_id) is batch:
                    del self._open[chat_id]  # its turn: what comes now waits for the next one
            await send_part(batch.message() if len(batch.parts) > 1 else out)
        except asyncio.CancelledError:
            batch.done.cancel()  # stopping: the joined replies' callers are cancelled too
            raise
        except Exception as e:
            batch.done.set_exception(e)
            batch.done.exception()  # retrieved here; the joined replies' callers get it too
            raise
        batch.done.set_result(None)


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
