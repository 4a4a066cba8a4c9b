"""python-telegram-bot 22 adapter: updates → `Inbound`, `Outgoing` → Bot API calls; it only
translates.

Only PTB's `Bot` and its HTTP layer are used: no `Application`, handlers or persistence, since
the engine owns conversation state. The getUpdates loop is ours, small, and shaped like aiogram's.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from typing import Any

import structlog
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from bot.channels import media
from bot.channels.base import (
    ALLOWED_UPDATES,
    CAPTION_LIMIT,
    REQUEST_TIMEOUT_SECONDS,
    CommandMenu,
    Handles,
    InFlight,
    MethodMissing,
    SendError,
    connect_bot,
    deliver,
    deliver_press,
    edit_refusal,
    edits_in_place,
    method_missing,
    pause,
    until_stopped,
)
from bot.channels.ptb_mapping import NAME, inbound_from_callback, inbound_from_message, reply_markup
from bot.types import (
    MAX_DOWNLOAD_BYTES,
    FileTooLarge,
    FileUnavailable,
    Outgoing,
)
from bot.webhook import WebhookServer

PRODUCTION = "https://api.telegram.org"
POLL_TIMEOUT = 30  # seconds Telegram holds a getUpdates open when there is nothing to send

log = structlog.get_logger("telegram")


def _retry_after(e: RetryAfter) -> float:
    wait = e.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def _not_found(e: TelegramError) -> bool:
    # PTB reports a 404 (no such chat or method) as InvalidToken, like a refused token (401).
    return isinstance(e, EndPointNotFound) or (
        isinstance(e, InvalidToken) and "not found" in e.message.lower()
    )


def _send_error(e: TelegramError, token: str) -> SendError:
    """PTB's errors → the channel-neutral kinds the outbox sender acts on."""
    detail = str(e).replace(token, "[token]")
    if isinstance(e, RetryAfter):
        return SendError("retry_after", detail, _retry_after(e))
    if isinstance(e, Forbidden):
        return SendError("blocked", detail)
    if (
        isinstance(e, BadRequest | ChatMigrated)
        or _not_found(e)
        # 413: PTB has no class for it; Telegram and the HTTP phrase both say "Too Large".
        or (isinstance(e, NetworkError) and "too large" in e.message.lower())
    ):
        # Sending the same request again cannot succeed.
        return SendError("bad_request", detail)
    # Network, timeouts, 5xx, a response that is not the Bot API's, 401/409: retry later.
    return SendError("network", detail)


def _transient(e: Exception) -> float | None:
    """Seconds to wait before trying again (0: back off), or None: retrying will not help."""
    if isinstance(e, RetryAfter):
        return _retry_after(e)
    if isinstance(e, NetworkError) and not isinstance(e, BadRequest):
        return 0.0  # also timeouts and 5xx
    return None


class PtbChannel:
    name = NAME

    def __init__(
        self, token: str, api_url: str | None = None, timeout: float = REQUEST_TIMEOUT_SECONDS
    ) -> None:
        """`timeout`: seconds a request may take to answer (a long poll gets its polling time
        on top)."""
        if api_url is not None and not api_url.startswith(("http://", "https://")):
            raise ValueError("the Bot API server URL must start with http:// or https://")
        base = (api_url or PRODUCTION).rstrip("/")
        # Time periods as timedelta, PTB 23's way: otherwise PTB 22 warns on every flood-control
        # error (RetryAfter reads its own period). We read no other period attribute.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self._token = token
        # Two connection pools, as PTB does: a long poll must never wait behind replies.
        self._requests = (
            HTTPXRequest(read_timeout=timeout, write_timeout=timeout),
            HTTPXRequest(connection_pool_size=1, read_timeout=timeout),
        )
        self.bot = Bot(
            token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=self._requests[0],
            get_updates_request=self._requests[1],
        )
        self._inflight = InFlight()

    async def send(self, out: Outgoing) -> None:
        try:
            await self._send(out)
            await media.send_ptb(self.bot, out.chat_id, out.media)
        except TelegramError as e:
            raise _send_error(e, self._token) from e

    async def _send(self, out: Outgoing) -> None:
        markup = reply_markup(out)
        html: dict[str, Any] = {"parse_mode": "HTML", "reply_markup": markup}
        if out.photo is not None and len(out.text) > CAPTION_LIMIT:
            # Too long for a caption: the photo under the text's first line, then the whole text
            # with the buttons (they act on what the text lists).
            head = out.text.split("\n", 1)[0]
            await self.bot.send_photo(
                out.chat_id,
                out.photo,
                caption=head if len(head) <= CAPTION_LIMIT else None,
                filename="chart.png",
                parse_mode="HTML",
            )
            await self.bot.send_message(out.chat_id, out.text, **html)
        elif out.photo is not None:
            await self.bot.send_photo(
                out.chat_id, out.photo, caption=out.text, filename="chart.png", **html
            )
        elif out.document is not None:
            await self.bot.send_document(
                out.chat_id, out.document, caption=out.text, filename=out.filename or "file", **html
            )
        elif edits_in_place(out):
            try:
                await self.bot.edit_message_text(
                    out.text, chat_id=out.chat_id, message_id=out.edit_message_id, **html
                )
            except BadRequest as e:
                refusal = edit_refusal(e.message)
                if refusal == "same":
                    return  # the message already shows exactly this
                if refusal is None:
                    raise
                # Too old or deleted: show it as a new message instead.
                await self.bot.send_message(out.chat_id, out.text, **html)
        else:
            await self.bot.send_message(out.chat_id, out.text, **html)

    async def download(self, file_id: str, limit: int = MAX_DOWNLOAD_BYTES) -> bytes:
        """getFile, then the file's bytes; refused over `limit` (by its announced size first).

        Errors carry no library text: the file URL holds the token.
        """
        try:
            file = await self.bot.get_file(file_id)
        except BadRequest as e:
            if "too big" in e.message.lower():
                raise FileTooLarge() from None
            raise FileUnavailable("getFile refused") from None
        except TelegramError:
            raise FileUnavailable("getFile failed") from None
        if file.file_size is not None and file.file_size > limit:
            raise FileTooLarge()
        if not file.file_path:
            raise FileUnavailable("no file path")
        try:
            data = bytes(await file.download_as_bytearray())
        except TelegramError:
            raise FileUnavailable("download failed") from None
        if len(data) > limit:
            raise FileTooLarge()
        return data

    async def poll(self, engine: Handles, stop: asyncio.Event) -> None:
        """Receives updates until `stop` is set.

        Returns once updates already being handled are done; raises if Telegram refuses the
        bot (a wrong token, a wrong server URL).
        """
        if not await self._connect(stop, webhook=None):
            return
        offset, delay = 0, 1.0
        try:
            while not stop.is_set():
                try:
                    updates = await until_stopped(
                        stop,
                        self.bot.get_updates(
                            offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
                        ),
                    )
                except InvalidToken:
                    raise  # the token was revoked: running on would answer nobody
                except TelegramError as e:
                    # Like aiogram's polling: anything else may pass (a 409 from an old
                    # instance, a proxy's error page), so back off and keep trying.
                    wait = _transient(e) or delay
                    log.warning("polling_failed", error=str(e), retry_in=wait)
                    await pause(stop, wait)
                    delay = min(delay * 2, 60.0)
                    continue
                delay = 1.0
                for update in updates or ():
                    # The next getUpdates with this offset confirms the update to Telegram;
                    # one handled twice after a crash is dropped by the engine (update_id).
                    offset = update.update_id + 1
                    # Concurrently, as aiogram does; the engine orders each user's updates.
                    self._inflight.spawn(self._process(update, engine))
        finally:
            await self._inflight.finish()

    async def webhook(self, engine: Handles, stop: asyncio.Event, server: WebhookServer) -> None:
        """Receives updates through `server` until `stop`; the webhook stays set afterwards,
        since other replicas may still be serving it (polling deletes it when it starts)."""

        async def feed(data: dict[str, Any]) -> None:
            await self._process(Update.de_json(data, self.bot), engine)

        # Listening before setWebhook: Telegram delivers as soon as it is set.
        async with server.serving(feed):
            if await self._connect(stop, webhook=server):
                await stop.wait()

    async def _process(self, update: Update, engine: Handles) -> None:
        if update.callback_query is not None:
            cq = update.callback_query
            inbound = inbound_from_callback(cq, update.update_id)
            await deliver_press(engine, inbound, self.send, cq.answer, TelegramError)
        elif update.message is not None and update.message.from_user is not None:
            inbound = inbound_from_message(update.message, update.update_id)
            await deliver(engine, inbound, self.send)
        # Otherwise edits, channel posts, anonymous admins: nothing the flows take.

    async def _connect(self, stop: asyncio.Event, *, webhook: WebhookServer | None) -> bool:
        return await connect_bot(self.bot, self.bot.get_me, stop, _transient, webhook)

    async def set_commands(self, menu: CommandMenu) -> None:
        scope = (
            BotCommandScopeDefault()
            if menu.chat_id is None
            else BotCommandScopeChat(chat_id=menu.chat_id)
        )
        commands = [BotCommand(c, d) for c, d in menu.commands]
        try:
            await self.bot.set_my_commands(commands, scope=scope, language_code=menu.language_code)
        except TelegramError as e:
            if _not_found(e) or method_missing(e.message):
                raise MethodMissing(str(e)) from e
            raise _send_error(e, self._token) from e

    async def ping(self) -> None:
        try:
            await self.bot.get_me()
        except TelegramError as e:
            raise _send_error(e, self._token) from None

    async def close(self) -> None:
        # Our own request objects: Bot.shutdown() skips them unless Bot.initialize() ran.
        for request in self._requests:
            await request.shutdown()
