"""aiogram 3 adapter: updates → `Inbound`, `Outgoing` → Bot API calls; it only translates."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

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
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.channels.base import SendError
from bot.engine import Engine
from bot.types import Inbound, Location, Outgoing

NAME = "telegram"
# How long a stop waits for updates already being handled before cancelling them.
SHUTDOWN_GRACE_SECONDS = 10.0
# Telegram's answers when an edit cannot or need not happen.
NOT_MODIFIED = "message is not modified"
CANNOT_EDIT = ("message to edit not found", "message can't be edited", "message_id_invalid")

log = structlog.get_logger("telegram")


def _markup(out: Outgoing) -> Any:
    if out.buttons:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=label, callback_data=payload) for label, payload in row]
                for row in out.buttons
            ]
        )
    if out.keyboard is not None:
        return ReplyKeyboardMarkup(
            keyboard=[
                [
                    KeyboardButton(
                        text=label,
                        request_contact=kind == "contact" or None,
                        request_location=kind == "location" or None,
                    )
                    for label, kind in row
                ]
                for row in out.keyboard
            ],
            resize_keyboard=True,
        )
    if out.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


def inbound_from_message(msg: Message, update_id: int) -> Inbound:
    user = msg.from_user
    assert user is not None
    return Inbound(
        channel=NAME,
        update_id=update_id,
        chat_id=msg.chat.id,
        user_id=user.id,
        username=user.username,
        first_name=user.first_name,
        language_code=user.language_code,
        chat_type=msg.chat.type,
        text=msg.text or msg.caption,
        contact_phone=msg.contact.phone_number if msg.contact else None,
        contact_user_id=msg.contact.user_id if msg.contact else None,
        location=Location(msg.location.latitude, msg.location.longitude) if msg.location else None,
        photo_ids=(msg.photo[-1].file_id,) if msg.photo else (),
        voice_id=msg.voice.file_id if msg.voice else None,
        document_id=msg.document.file_id if msg.document else None,
        document_name=msg.document.file_name if msg.document else None,
    )


def inbound_from_callback(cq: CallbackQuery, update_id: int) -> Inbound:
    chat_id = cq.message.chat.id if cq.message else cq.from_user.id
    return Inbound(
        channel=NAME,
        update_id=update_id,
        chat_id=chat_id,
        user_id=cq.from_user.id,
        username=cq.from_user.username,
        first_name=cq.from_user.first_name,
        language_code=cq.from_user.language_code,
        callback=cq.data or "",
        callback_message_id=cq.message.message_id if cq.message else None,
    )


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


class AiogramChannel:
    name = NAME

    def __init__(self, token: str, api_url: str | None = None) -> None:
        if api_url is not None and not api_url.startswith(("http://", "https://")):
            raise ValueError("the Bot API server URL must start with http:// or https://")
        api = TelegramAPIServer.from_base(api_url) if api_url else PRODUCTION
        self.bot = Bot(
            token, session=_Session(api=api), default=DefaultBotProperties(parse_mode="HTML")
        )
        self._inflight: set[asyncio.Task[Any]] = set()

    async def send(self, out: Outgoing) -> None:
        try:
            await self._send(out)
        except (TelegramAPIError, ClientDecodeError) as e:
            raise _send_error(e) from e

    async def _send(self, out: Outgoing) -> None:
        markup = _markup(out)
        if out.photo is not None:
            await self.bot.send_photo(
                out.chat_id,
                BufferedInputFile(out.photo, "chart.png"),
                caption=out.text,
                reply_markup=markup,
            )
        elif out.document is not None:
            await self.bot.send_document(
                out.chat_id,
                BufferedInputFile(out.document, out.filename or "file"),
                caption=out.text,
                reply_markup=markup,
            )
        elif out.edit_message_id is not None and (markup is None or out.buttons):
            try:
                await self.bot.edit_message_text(
                    text=out.text,
                    chat_id=out.chat_id,
                    message_id=out.edit_message_id,
                    reply_markup=markup,
                )
            except TelegramBadRequest as e:
                reason = e.message.lower()
                if NOT_MODIFIED in reason:
                    return  # the message already shows exactly this
                if not any(c in reason for c in CANNOT_EDIT):
                    raise
                # Too old or deleted: show it as a new message instead.
                await self.bot.send_message(out.chat_id, out.text, reply_markup=markup)
        else:
            await self.bot.send_message(out.chat_id, out.text, reply_markup=markup)

    async def poll(self, engine: Engine, stop: asyncio.Event) -> None:
        """Receives updates until `stop` is set.

        Returns once updates already being handled are done; raises if Telegram refuses the
        bot (a wrong token, a wrong server URL) or polling fails for good.
        """
        if not await self._connect(stop):
            return
        dp = Dispatcher()

        async def in_flight(
            handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
            update: Any,
            data: dict[str, Any],
        ) -> Any:
            # aiogram handles each update in a task of its own and does not wait for them
            # when polling stops; these are awaited before the session and database close.
            task = asyncio.current_task()
            assert task is not None
            self._inflight.add(task)
            try:
                return await handler(update, data)
            finally:
                self._inflight.discard(task)

        async def on_message(message: Message, event_update: Any) -> None:
            inbound = inbound_from_message(message, event_update.update_id)
            for out in await engine.handle(inbound):
                await self._reply(out)

        async def on_callback(cq: CallbackQuery, event_update: Any) -> None:
            # Answer first: it only stops the button's spinner, and Telegram refuses answers
            # that come late (the bot was down when it was pressed) - that must not cost the reply.
            try:
                await cq.answer()
            except TelegramAPIError as e:
                log.info("callback_answer_failed", error=str(e))
            for out in await engine.handle(inbound_from_callback(cq, event_update.update_id)):
                await self._reply(out)

        dp.update.outer_middleware(in_flight)
        dp.message.register(on_message)
        dp.callback_query.register(on_callback)
        polling = asyncio.create_task(
            dp.start_polling(self.bot, handle_signals=False, close_bot_session=False)
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
            await self._finish_inflight()
        if not polling.cancelled():
            polling.result()  # re-raises why polling ended, if it failed

    async def _connect(self, stop: asyncio.Event) -> bool:
        """Checks the token with getMe and leaves webhook mode; retries while unreachable."""
        delay = 1.0
        while not stop.is_set():
            try:
                me = await self.bot.me()
                # Telegram refuses getUpdates while a webhook is set (409 Conflict forever).
                await self.bot.delete_webhook(drop_pending_updates=False)
            except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as e:
                wait = float(e.retry_after) if isinstance(e, TelegramRetryAfter) else delay
                log.warning("telegram_unreachable", error=str(e), retry_in=wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                delay = min(delay * 2, 60.0)
                continue
            log.info("telegram_connected", bot_username=me.username, bot_id=me.id)
            return True
        return False

    async def _finish_inflight(self) -> None:
        if not self._inflight:
            return
        _done, pending = await asyncio.wait(set(self._inflight), timeout=SHUTDOWN_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("updates_cancelled_on_stop", count=len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

    async def _reply(self, out: Outgoing) -> None:
        try:
            await self.send(out)
        except SendError as e:
            # A direct reply that failed is not retried: the user sees nothing and may resend.
            log.warning("reply_failed", kind=e.kind, chat_id=out.chat_id, error=e.detail)

    async def close(self) -> None:
        await self.bot.session.close()
