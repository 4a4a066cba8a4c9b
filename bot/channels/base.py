"""What every channel offers the runtime, the send errors it maps its library's errors to, and the
library-free pieces both Telegram adapters share (so each adapter is only its translation)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import structlog

from bot.channels.parts import CAPTION_LIMIT, TEXT_LIMIT, notice_of, plain_text, plan  # noqa: F401
from bot.channels.ports import Channel, CommandMenu, Handles, TelegramChannel  # noqa: F401
from bot.channels.pressure import ChatPacer, busy
from bot.types import Inbound, Outgoing

if TYPE_CHECKING:
    pass

ErrorKind = Literal["retry_after", "blocked", "bad_request", "network"]

# The update types the adapters translate; asking Telegram for others only costs traffic.
# my_chat_member: a private chat blocking or allowing the bot again, the bot added to or
# removed from a group (bot.channels.base.Handles.chat_member).
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
# How long a stop waits for updates already being handled before cancelling them.
SHUTDOWN_GRACE_SECONDS = 10.0
# Telegram's answers when an edit cannot or need not happen (lower case, matched as parts).
NOT_MODIFIED = "message is not modified"
# How long one Bot API request (a send) may take before it counts as failed (and is retried):
# long enough for Telegram's slow moments and a file upload, short enough that a hung request
# does not hold the outbox sender's one unconfirmed request for a minute (aiogram's default).
REQUEST_TIMEOUT_SECONDS = 20.0
# A direct reply that failed for a passing reason (a 5xx, a timeout, a dropped connection) is
# tried again after these waits: the user is looking at the chat. A flood wait up to
# REPLY_FLOOD_WAIT_SECONDS is waited out; a longer one, like a refusal, drops the reply.
REPLY_RETRY_WAITS = (0.5, 1.5)
REPLY_FLOOD_WAIT_SECONDS = 5.0
CANNOT_EDIT = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    # The pressed message is a photo or a document (a chart with drill-down buttons): its
    # caption is not the place for the next screen, a new message is.
    "there is no text in the message to edit",
)


log = structlog.get_logger("telegram")
R = TypeVar("R")


class SendError(Exception):
    def __init__(self, kind: ErrorKind, detail: str = "", retry_after: float = 0.0) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after


class MethodMissing(Exception):
    """The Bot API server lacks the method (404 or its words), e.g. setMyCommands on an emulator."""


def method_missing(reason: str) -> bool:
    """A Bot API server's words for "no such method" (Telegram answers 404 Not Found; emulators
    say "method ... not found" or "not supported", whatever the status)."""
    reason = reason.lower()
    return "method" in reason and ("not found" in reason or "not supported" in reason)


def edit_refusal(reason: str) -> Literal["same", "gone"] | None:
    """Why Telegram refused an edit: "same" (nothing to change), "gone" (send anew) or other."""
    reason = reason.lower()
    if NOT_MODIFIED in reason:
        return "same"
    if any(c in reason for c in CANNOT_EDIT):
        return "gone"
    return None


def edits_in_place(out: Outgoing) -> bool:
    # editMessageText takes inline buttons only: a reply keyboard (or its removal) needs a new
    # message, and so do photos and documents.
    return (
        out.edit_message_id is not None
        and out.photo is None
        and out.document is None
        and (bool(out.buttons) or (out.keyboard is None and not out.remove_keyboard))
    )


async def send_reply(send: Callable[[Outgoing], Awaitable[None]], out: Outgoing) -> None:
    """Sends a direct reply, trying again after a passing failure (REPLY_RETRY_WAITS); raises
    the last SendError. A timeout may have reached Telegram: the retry can show it twice,
    which beats a user left without an answer."""
    for attempt, wait in enumerate((*REPLY_RETRY_WAITS, None), 1):
        try:
            await send(out)
            return
        except SendError as e:
            if wait is None:
                raise
            if e.kind == "retry_after" and e.retry_after <= REPLY_FLOOD_WAIT_SECONDS:
                wait = max(wait, e.retry_after)
            elif e.kind != "network":
                raise
            log.info("reply_retried", kind=e.kind, chat_id=out.chat_id, attempt=attempt)
            await asyncio.sleep(wait)


async def deliver(
    engine: Handles,
    inbound: Inbound,
    send: Callable[[Outgoing], Awaitable[None]],
    action: Callable[[int, str], Awaitable[object]] | None = None,
) -> None:
    """Hands one update to the engine and sends its replies at once (a notice as an ordinary
    message: there is no press to answer); a journaled reply's outcome is reported back, so
    that no other replica sends it again. `action` (sendChatAction) shows the bot busy while
    the engine takes over a second (an export, a report, an import)."""
    async with busy(action, inbound):
        outs = await engine.handle(inbound)
    await _send_all(engine, outs, send)


async def _send_all(
    engine: Handles, outs: Sequence[Outgoing], send: Callable[[Outgoing], Awaitable[None]]
) -> None:
    for out in outs:
        try:
            await send_reply(send, out)
            error = None
        except SendError as e:
            defer = getattr(engine, "defer", None)
            if e.kind == "retry_after" and defer is not None:
                # A long flood wait: the reply waits it out in the outbox, not dropped.
                log.info("reply_deferred", chat_id=out.chat_id, retry_after=e.retry_after)
                await defer(out, e.retry_after)
                continue
            error = await _after_failure(out, send, e)
        if out.journal_id is not None:
            await engine.replied(out.journal_id, error)


async def deliver_press(
    engine: Handles,
    inbound: Inbound,
    send: Callable[[Outgoing], Awaitable[None]],
    answer: Callable[..., Awaitable[object]],
    refused: type[Exception] | tuple[type[Exception], ...],
    action: Callable[[int, str], Awaitable[object]] | None = None,
) -> None:
    """A button press: the engine first (milliseconds), so the answer can carry its notice
    (a toast, or an alert with `show_alert`); then the answer and the other replies go out
    together, so no reply waits for the answer's round trip. An answer Telegram refuses
    (`refused`: the press is too old, the bot was down) costs nothing, but its notice is then
    sent as a message so the user still reads it."""
    async with busy(action, inbound):
        outs = await engine.handle(inbound)
    notice = notice_of(outs)
    rest = [o for o in outs if o is not notice]

    async def answered() -> None:
        try:
            if notice is None:
                await answer()
            else:
                await answer(text=plain_text(notice.text), show_alert=notice.notice == "alert")
        except refused as e:
            log.info("callback_answer_failed", error=str(e))
            if notice is not None:
                await _send_all(engine, [notice], send)
            return
        if notice is not None and notice.journal_id is not None:
            await engine.replied(notice.journal_id, None)

    answering = asyncio.create_task(answered())
    # One turn of the loop: the answer's request is written before the replies take the loop.
    await asyncio.sleep(0)
    try:
        await _send_all(engine, rest, send)
    finally:
        await answering


async def member_changed(engine: Handles, chat_id: int, status: str) -> None:
    """my_chat_member: "kicked" in a private chat is a block ("left" in a group: removed);
    any other status means the bot may write there again."""
    told = getattr(engine, "chat_member", None)
    if told is not None:
        await told(chat_id, status in ("kicked", "left"))


async def send_parts(
    out: Outgoing,
    send_part: Callable[[Outgoing], Awaitable[None]],
    pacer: ChatPacer | None = None,
) -> None:
    """Sends `out` as the messages Telegram can take (bot.channels.parts), each after its turn
    in the chat when `pacer` is given (direct replies; the outbox sender has its own limits),
    where words waiting for the same turn are joined into one message."""
    for part in plan(out):
        if pacer is None:
            await send_part(part)
        else:
            # Words waiting for the same turn go as one message (ChatPacer.send).
            await pacer.send(part, send_part)


async def _after_failure(
    out: Outgoing, send: Callable[[Outgoing], Awaitable[None]], e: SendError
) -> str | None:
    """A reply that failed for good: None if its words got through after all, else why not."""
    log.warning("reply_failed", kind=e.kind, chat_id=out.chat_id, error=e.detail)
    if e.kind == "blocked" or (out.photo is None and out.document is None):
        return e.detail or e.kind  # not retried: the user sees nothing and may resend
    # A server that cannot take the file (an emulator, a too-large chart) still gets
    # the words: a summary without its chart beats no summary.
    try:
        await send(replace(out, photo=None, document=None, filename=None))
        return None
    except SendError as again:
        log.warning("reply_failed", kind=again.kind, chat_id=out.chat_id)
        return again.detail or again.kind


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleeps `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def until_stopped(stop: asyncio.Event, call: Awaitable[R]) -> R | None:
    """Awaits `call` unless `stop` comes first, which cancels it (a long poll) and gives None."""
    task = asyncio.ensure_future(call)
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return task.result() if not task.cancelled() else None


async def connect(
    attempt: Callable[[], Awaitable[R]],
    stop: asyncio.Event,
    transient: Callable[[Exception], float | None],
) -> R | None:
    """Runs `attempt` (getMe...) until it succeeds or `stop`; None if stopped first.

    `transient(e)` gives the seconds to wait before retrying (0: back off), or None for an error
    that retrying cannot fix (a refused token), which is raised.
    """
    delay = 1.0
    while not stop.is_set():
        try:
            return await attempt()
        except Exception as e:
            wait = transient(e)
            if wait is None:
                raise
            wait = wait or delay
            log.warning("telegram_unreachable", error=str(e), retry_in=wait)
            await pause(stop, wait)
            delay = min(delay * 2, 60.0)
    return None


async def connect_bot(
    bot: Any,
    get_me: Callable[[], Awaitable[Any]],
    stop: asyncio.Event,
    transient: Callable[[Exception], float | None],
    webhook: Any | None,
    on_username: Callable[[str], Awaitable[object]] | None = None,
) -> bool:
    """Checks the token with `get_me`, then sets the webhook (`webhook.url`, `.secret`) or
    leaves webhook mode for polling; retries while Telegram is unreachable (`connect`). Both
    libraries' bots name these calls and their arguments alike. False if stopped first.
    `on_username` is told the bot's username getMe gave (bot.identity)."""

    async def attempt() -> Any:
        me = await get_me()
        if webhook is None:
            # Telegram refuses getUpdates while a webhook is set (409 Conflict forever).
            await bot.delete_webhook(drop_pending_updates=False)
        else:
            await bot.set_webhook(
                webhook.url, secret_token=webhook.secret, allowed_updates=ALLOWED_UPDATES
            )
        return me

    me = await connect(attempt, stop, transient)
    if me is None:
        return False
    mode = "polling" if webhook is None else "webhook"
    log.info("telegram_connected", bot_username=me.username, bot_id=me.id, mode=mode)
    if on_username is not None and me.username:
        try:
            await on_username(me.username)
        except Exception:
            log.warning("bot_username_not_stored", exc_info=True)
    return True


class InFlight:
    """Tasks handling updates, awaited before the session and the database close on stop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], what: str = "update") -> None:
        async def logged() -> None:
            try:
                await work
            except Exception:
                # The engine turns flow errors into a reply; this is a bug in the adapter.
                log.exception("update_handling_failed", what=what)

        task = asyncio.create_task(logged())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @contextlib.contextmanager
    def track_current(self) -> Iterator[None]:
        """Counts the running task in, for libraries that create the task themselves."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)

    async def finish(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        pending: Sequence[asyncio.Task[Any]] = [
            t for t in self._tasks if t is not asyncio.current_task()
        ]
        if not pending:
            return
        _done, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            log.warning("updates_cancelled_on_stop", count=len(late))
            await asyncio.gather(*late, return_exceptions=True)
