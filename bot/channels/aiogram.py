"""aiogram 3 adapter: updates → `Inbound`, `Outgoing` → Bot API calls; it only translates."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
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


class AiogramChannel:
    name = NAME

    def __init__(self, token: str, api_url: str | None = None) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else None
        self.bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))

    async def send(self, out: Outgoing) -> None:
        try:
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
                await self.bot.edit_message_text(
                    text=out.text,
                    chat_id=out.chat_id,
                    message_id=out.edit_message_id,
                    reply_markup=markup,
                )
            else:
                await self.bot.send_message(out.chat_id, out.text, reply_markup=markup)
        except TelegramRetryAfter as e:
            raise SendError("retry_after", str(e), float(e.retry_after)) from e
        except TelegramForbiddenError as e:
            raise SendError("blocked", str(e)) from e
        except TelegramBadRequest as e:
            raise SendError("bad_request", str(e)) from e
        except (TelegramNetworkError, TelegramServerError) as e:
            raise SendError("network", str(e)) from e

    async def poll(self, engine: Engine, stop: asyncio.Event) -> None:
        dp = Dispatcher()

        async def on_message(message: Message, event_update: Any) -> None:
            for out in await engine.handle(inbound_from_message(message, event_update.update_id)):
                await self._reply(out)

        async def on_callback(cq: CallbackQuery, event_update: Any) -> None:
            outs = await engine.handle(inbound_from_callback(cq, event_update.update_id))
            await cq.answer()
            for out in outs:
                await self._reply(out)

        dp.message.register(on_message)
        dp.callback_query.register(on_callback)
        polling = asyncio.create_task(dp.start_polling(self.bot, handle_signals=False))
        await stop.wait()
        await dp.stop_polling()
        await asyncio.gather(polling, return_exceptions=True)

    async def _reply(self, out: Outgoing) -> None:
        try:
            await self.send(out)
        except SendError:
            # A direct reply that failed is not retried: the user sees nothing and may resend.
            return

    async def close(self) -> None:
        await self.bot.session.close()
