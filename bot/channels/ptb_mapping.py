"""python-telegram-bot's objects to ours and back: an update to an `Inbound`, our buttons and
keyboards to reply markup. Only translation; the adapter (bot.channels.ptb) sends and receives."""

from __future__ import annotations

from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    User,
)

from bot.types import Inbound, Location, Outgoing

# The same as aiogram's: dedupe keys and conversation state survive a switch of library.
NAME = "telegram"


def reply_markup(out: Outgoing) -> Any:
    if out.buttons:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(label, callback_data=payload) for label, payload in row]
                for row in out.buttons
            ]
        )
    if out.keyboard is not None:
        return ReplyKeyboardMarkup(
            [
                [
                    KeyboardButton(
                        label,
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


def _who(user: User) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "username": user.username,
        "first_name": user.first_name,
        "language_code": user.language_code,
    }


def inbound_from_message(msg: Message, update_id: int) -> Inbound:
    assert msg.from_user is not None
    return Inbound(
        channel=NAME,
        update_id=update_id,
        chat_id=msg.chat.id,
        chat_type=str(msg.chat.type),
        **_who(msg.from_user),
        text=msg.text or msg.caption,
        contact_phone=msg.contact.phone_number if msg.contact else None,
        contact_user_id=msg.contact.user_id if msg.contact else None,
        location=Location(msg.location.latitude, msg.location.longitude) if msg.location else None,
        photo_ids=(msg.photo[-1].file_id,) if msg.photo else (),
        voice_id=msg.voice.file_id if msg.voice else None,
        document_id=msg.document.file_id if msg.document else None,
        document_name=msg.document.file_name if msg.document else None,
        reply_to_text=_quoted(msg),
        media_group_id=msg.media_group_id,
        message_id=msg.message_id,
        # A forum topic's message (not a reply thread of an ordinary group).
        thread_id=msg.message_thread_id if msg.is_topic_message else None,
    )


def inbound_from_callback(cq: CallbackQuery, update_id: int) -> Inbound:
    return Inbound(
        channel=NAME,
        update_id=update_id,
        chat_id=cq.message.chat.id if cq.message else cq.from_user.id,
        # Where the button was: a customer's press in a group is no more served than a message.
        chat_type=str(cq.message.chat.type) if cq.message else "private",
        **_who(cq.from_user),
        callback=cq.data or "",
        callback_message_id=cq.message.message_id if cq.message else None,
    )


def _quoted(msg: Any) -> str | None:
    """The text (or caption) of the message this one replies to: it names a request number."""
    quoted = msg.reply_to_message
    if quoted is None:
        return None
    return (quoted.text or quoted.caption or "")[:4096] or None
