"""aiogram 3 adapter: updates → `Inbound`, `Outgoing` → Bot API calls; it only translates."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import structlog
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import TelegramMethod, TelegramType
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberUpdated,
    MenuButtonCommands,
    Message,
)

from bot.channels import (
    aiogram_responses,  # noqa: F401 (keeps response models built)
    media,
)
from bot.channels.aiogram_mapping import (
    NAME,
    inbound_from_callback,
    inbound_from_message,
    reply_markup,
)
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
    send_parts,
)
from bot.channels.pressure import Albums, ChatPacer
from bot.types import (
    MAX_DOWNLOAD_BYTES,
    FileTooLarge,
    FileUnavailable,
    Outgoing,
)
from bot.webhook import WebhookServer

log = structlog.get_logger("telegram")
R = TypeVar("R")


class _Session(AiohttpSession):
    """aiohttp session whose errors never carry the bot token.

    The token is part of every request URL, and aiohttp puts the URL into some of its errors
    (a malformed CRM_TELEGRAM_API_URL, redirects...); aiogram copies that text into its
    `TelegramNetworkError`, which is then logged by us and by aiogram's polling loop.
    """

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (the overridden signature)
    ) -> TelegramType:
        try:
            return await super().make_request(bot, method, timeout)
        except TelegramNetworkError as e:
            if bot.token not in e.message:
                raise
            e.message = e.message.replace(bot.token, "[token]")
            # The library's own exception (the cause) still holds the URL: drop it.
            e.__context__ = None
            raise e from None


def _send_error(e: Exception) -> SendError:
    """aiogram's errors → the channel-neutral kinds the outbox sender acts on."""
    if isinstance(e, TelegramRetryAfter):
        return SendError("retry_after", str(e), float(e.retry_after))
    if isinstance(e, TelegramForbiddenError):
        return SendError("blocked", str(e))
    if isinstance(
        e, TelegramBadRequest | TelegramNotFound | TelegramEntityTooLarge | TelegramMigrateToChat
    ):
        # Sending the same request again cannot succeed.
        return SendError("bad_request", str(e))
    # Network, 5xx, a response that is not the Bot API's, 401/409: worth retrying later.
    return SendError("network", str(e))


def _transient(e: Exception) -> float | None:
    """Seconds to wait before trying again (0: back off), or None: retrying will not help."""
    if isinstance(e, TelegramRetryAfter):
        return float(e.retry_after)
    if isinstance(e, TelegramNetworkError | TelegramServerError):
        return 0.0
    return None


class AiogramChannel:
    name = NAME

    def __init__(
        self, token: str, api_url: str | None = None, timeout: float = REQUEST_TIMEOUT_SECONDS
    ) -> None:
        """`timeout`: seconds a request may take (a long poll gets its polling time on top)."""
        if api_url is not None and not api_url.startswith(("http://", "https://")):
            raise ValueError("the Bot API server URL must start with http:// or https://")
        api = TelegramAPIServer.from_base(api_url) if api_url else PRODUCTION
        self.bot = Bot(
            token,
            session=_Session(api=api, timeout=timeout),
            default=DefaultBotProperties(parse_mode="HTML"),
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
            await media.send_aiogram(self.bot, out.chat_id, out.media, out.thread_id)
        except (TelegramAPIError, ClientDecodeError) as e:
            raise _send_error(e) from e

    async def _send_part(self, out: Outgoing) -> None:
        """One message that fits Telegram's limits (bot.channels.parts)."""
        markup = reply_markup(out)
        if out.photo is not None:
            await self.bot.send_photo(
                out.chat_id,
                BufferedInputFile(out.photo, "chart.png"),
                caption=out.text or None,
                reply_markup=markup,
                message_thread_id=out.thread_id,
            )
        elif out.document is not None:
            await self.bot.send_document(
                out.chat_id,
                BufferedInputFile(out.document, out.filename or "file"),
                caption=out.text or None,
                reply_markup=markup,
                message_thread_id=out.thread_id,
            )
        elif edits_in_place(out):
            try:
                await self.bot.edit_message_text(
                    text=out.text,
                    chat_id=out.chat_id,
                    message_id=out.edit_message_id,
                    reply_markup=markup,
                )
            except TelegramBadRequest as e:
                refusal = edit_refusal(e.message)
                if refusal == "same":
                    return  # the message already shows exactly this
                if refusal is None:
                    raise
                # Too old or deleted: show it as a new message instead.
                await self.bot.send_message(out.chat_id, out.text, reply_markup=markup)
        else:
            await self.bot.send_message(
                out.chat_id, out.text, reply_markup=markup, message_thread_id=out.thread_id
            )

    async def download(self, file_id: str, limit: int = MAX_DOWNLOAD_BYTES) -> bytes:
        """getFile, then the file's bytes, read no further than `limit`.

        Errors carry no library text: the file URL holds the token.
        """
        try:
            file = await self.bot.get_file(file_id)
        except TelegramBadRequest as e:
            if "too big" in e.message.lower():
                raise FileTooLarge() from None
            raise FileUnavailable("getFile refused") from None
        except (TelegramAPIError, ClientDecodeError):
            raise FileUnavailable("getFile failed") from None
        if file.file_size is not None and file.file_size > limit:
            raise FileTooLarge()
        if not file.file_path:
            raise FileUnavailable("no file path")
        url = self.bot.session.api.file_url(self.bot.token, file.file_path)
        data = bytearray()
        try:
            async for chunk in self.bot.session.stream_content(url=url, raise_for_status=True):
                data += chunk
                if len(data) > limit:
                    raise FileTooLarge()
        except (aiohttp.ClientError, TimeoutError):
            raise FileUnavailable("download failed") from None
        return bytes(data)

    async def poll(self, engine: Handles, stop: asyncio.Event) -> None:
        """Receives updates until `stop` is set.

        Returns once updates already being handled are done; raises if Telegram refuses the
        bot (a wrong token, a wrong server URL) or polling fails for good.
        """
        if not await self._connect(stop, webhook=None):
            return
        dp = self._dispatcher(engine)
        polling = asyncio.create_task(
            dp.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=ALLOWED_UPDATES,
            )
        )
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not polling.done():
                try:
                    await dp.stop_polling()
                except RuntimeError:  # stopped before polling had even started
                    polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
            await self._inflight.finish()
        if not polling.cancelled():
            polling.result()  # re-raises why polling ended, if it failed

    async def webhook(self, engine: Handles, stop: asyncio.Event, server: WebhookServer) -> None:
        """Receives updates through `server` until `stop`; the webhook stays set afterwards,
        since other replicas may still be serving it (polling deletes it when it starts)."""
        dp = self._dispatcher(engine)

        async def feed(update: dict[str, Any]) -> None:
            await dp.feed_raw_update(self.bot, update)

        # Listening before setWebhook: Telegram delivers as soon as it is set.
        async with server.serving(feed):
            if await self._connect(stop, webhook=server):
                await stop.wait()
        await self._inflight.finish()

    def _dispatcher(self, engine: Handles) -> Dispatcher:
        dp = Dispatcher()

        async def in_flight(
            handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
            update: Any,
            data: dict[str, Any],
        ) -> Any:
            # aiogram handles each polled update in a task of its own and does not wait for
            # them when polling stops; these are awaited before the session and database close.
            with self._inflight.track_current():
                return await handler(update, data)

        async def on_message(message: Message, event_update: Any) -> None:
            if message.from_user is None:
                return  # sent on behalf of a channel or an anonymous admin: nobody to serve
            inbound = inbound_from_message(message, event_update.update_id)
            for one in await self.albums.collect(inbound):
                await deliver(engine, one, self.reply, self.chat_action)

        async def on_callback(cq: CallbackQuery, event_update: Any) -> None:
            inbound = inbound_from_callback(cq, event_update.update_id)
            await deliver_press(
                engine, inbound, self.reply, cq.answer, TelegramAPIError, self.chat_action
            )

        async def on_member(event: ChatMemberUpdated) -> None:
            await member_changed(engine, event.chat.id, str(event.new_chat_member.status))

        dp.update.outer_middleware(in_flight)
        dp.message.register(on_message)
        dp.callback_query.register(on_callback)
        dp.my_chat_member.register(on_member)
        return dp

    async def _connect(self, stop: asyncio.Event, *, webhook: WebhookServer | None) -> bool:
        return await connect_bot(self.bot, self.bot.me, stop, _transient, webhook, self.on_username)

    async def set_commands(self, menu: CommandMenu) -> None:
        scope = (
            BotCommandScopeDefault()
            if menu.chat_id is None
            else BotCommandScopeChat(chat_id=menu.chat_id)
        )
        commands = [BotCommand(command=c, description=d) for c, d in menu.commands]
        try:
            await self.bot.set_my_commands(commands, scope=scope, language_code=menu.language_code)
        except TelegramAPIError as e:
            if isinstance(e, TelegramNotFound) or method_missing(e.message):
                raise MethodMissing(str(e)) from e
            raise _send_error(e) from e
        except ClientDecodeError as e:
            raise _send_error(e) from e

    async def _call(self, call: Awaitable[R]) -> R:
        try:
            return await call
        except (TelegramAPIError, ClientDecodeError) as e:
            raise _send_error(e) from e

    async def chat_action(self, chat_id: int, action: str) -> None:
        await self._call(self.bot.send_chat_action(chat_id, action))

    async def delete_commands(self, chat_id: int) -> None:
        await self._call(self.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=chat_id)))

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
        except TelegramBadRequest:
            await self._call(
                self.bot.send_document(
                    chat_id, file_id, caption=caption, message_thread_id=thread_id
                )
            )
        except (TelegramAPIError, ClientDecodeError) as e:
            raise _send_error(e) from e

    async def ping(self) -> None:
        # get_me, not me(): me() answers from a cache after the first call.
        try:
            await self.bot.get_me()
        except (TelegramAPIError, ClientDecodeError) as e:
            raise _send_error(e) from e

    async def close(self) -> None:
        await self.bot.session.close()
