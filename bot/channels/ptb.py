"""python-telegram-bot 22 adapter: updates → `Inbound`, `Outgoing` → Bot API calls; it only
translates.

Only PTB's `Bot` and its HTTP layer are used: no `Application`, handlers or persistence, since
the engine owns conversation state. The getUpdates loop is ours, small, and shaped like aiogram's.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import structlog
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    MenuButtonCommands,
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
    member_changed,
    method_missing,
    pause,
    send_parts,
    until_stopped,
)
from bot.channels.pressure import Albums, ChatPacer
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
R = TypeVar("R")


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
        # Told the bot's username once getMe answers (set by the runtime: bot.identity).
        self.on_username: Callable[[str], Awaitable[object]] | None = None
        self.pacer = ChatPacer()
        self.albums = Albums()

    async def send(self, out: Outgoing) -> None:
        """Sends at once (the outbox sender paces its own sends)."""
        await self._send(out, None)

    async def reply(self, out: Outgoing) -> None:
        """A direct reply: paced per chat (bot.channels.pressure)."""
        await self._send(out, self.pacer)

    async def _send(self, out: Outgoing, pacer: ChatPacer | None) -> None:
        try:
            await send_parts(out, self._send_part, pacer)
            await media.send_ptb(self.bot, out.chat_id, out.media, out.thread_id)
        except TelegramError as e:
            raise _send_error(e, self._token) from e

    async def _send_part(self, out: Outgoing) -> None:
        """One message that fits Telegram's limits (bot.channels.parts)."""
        markup = reply_markup(out)
        html: dict[str, Any] = {"parse_mode": "HTML", "reply_markup": markup}
        # Only new messages go into a topic (an edit stays where its message is).
        new: dict[str, Any] = {**html, "message_thread_id": out.thread_id}
        if out.photo is not None:
            await self.bot.send_photo(
                out.chat_id, out.photo, caption=out.text or None, filename="chart.png", **new
            )
        elif out.document is not None:
            await self.bot.send_document(
                out.chat_id,
                out.document,
                caption=out.text or None,
                filename=out.filename or "file",
                **new,
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
            await self.bot.send_message(out.chat_id, out.text, **new)

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
            await deliver_press(
                engine, inbound, self.reply, cq.answer, TelegramError, self.chat_action
            )
        elif update.message is not None and update.message.from_user is not None:
            inbound = inbound_from_message(update.message, update.update_id)
            for one in await self.albums.collect(inbound):
                await deliver(engine, one, self.reply, self.chat_action)
        elif update.my_chat_member is not None:
            member = update.my_chat_member
            await member_changed(engine, member.chat.id, str(member.new_chat_member.status))
        # Otherwise edits, channel posts, anonymous admins: nothing the flows take.

    async def _connect(self, stop: asyncio.Event, *, webhook: WebhookServer | None) -> bool:
        return await connect_bot(
            self.bot, self.bot.get_me, stop, _transient, webhook, self.on_username
        )

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

    async def _call(self, call: Awaitable[R]) -> R:
        try:
            return await call
        except TelegramError as e:
            raise _send_error(e, self._token) from e

    async def chat_action(self, chat_id: int, action: str) -> None:
        await self._call(self.bot.send_chat_action(chat_id, action))

    async def delete_commands(self, chat_id: int) -> None:
        await self._call(self.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id)))

    async def set_profile(self, description: str, short: str, language_code: str | None) -> None:
        await self._call(
            self.bot.set_my_description(description=description, language_code=language_code)
        )
        await self._call(
            self.bot.set_my_short_description(short_description=short, language_code=language_code)
        )

    async def set_menu_button(self) -> None:
        await self._call(self.bot.set_chat_menu_button(menu_button=MenuButtonCommands()))

    async def create_topic(self, chat_id: int, name: str, icon_color: int | None = None) -> int:
        topic = await self._call(self.bot.create_forum_topic(chat_id, name, icon_color=icon_color))
        return topic.message_thread_id

    async def edit_topic(
        self, chat_id: int, thread_id: int, name: str, icon: str | None = None
    ) -> None:
        await self._call(
            self.bot.edit_forum_topic(chat_id, thread_id, name=name, icon_custom_emoji_id=icon)
        )

    async def close_topic(self, chat_id: int, thread_id: int, closed: bool = True) -> None:
        method = self.bot.close_forum_topic if closed else self.bot.reopen_forum_topic
        await self._call(method(chat_id, thread_id))

    async def topic_icons(self) -> dict[str, str]:
        stickers = await self._call(self.bot.get_forum_topic_icon_stickers())
        return {s.emoji: s.custom_emoji_id for s in stickers if s.emoji and s.custom_emoji_id}

    async def send_file(
        self, chat_id: int, file_id: str, caption: str | None = None, thread_id: int | None = None
    ) -> None:
        """A file a user sent, by its file id: as a photo, or (not a photo) as a document."""
        try:
            await self.bot.send_photo(
                chat_id, file_id, caption=caption, message_thread_id=thread_id
            )
        except BadRequest:
            await self._call(
                self.bot.send_document(
                    chat_id, file_id, caption=caption, message_thread_id=thread_id
                )
            )
        except TelegramError as e:
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
