"""Neutral `Reply` → rendered `Outgoing` for one reader."""

from __future__ import annotations

from dataclasses import replace

from bot.i18n import Renderer, venue_address, venue_title
from bot.types import Media, Outgoing, Reply


def render_reply(
    reply: Reply, render: Renderer, chat_id: int, edit_message_id: int | None = None
) -> Outgoing:
    # Button labels are plain text on Telegram (no parse mode): a customer named "A&B" must
    # read so on a button, not "A&amp;B".
    label = replace(render, html=False)
    keyboard = None
    if reply.keyboard is not None:
        keyboard = tuple(
            tuple(
                (
                    label(k.label),
                    "contact" if k.request_contact else "location" if k.request_location else "",
                )
                for k in row
            )
            for row in reply.keyboard
        )
    return Outgoing(
        chat_id=chat_id,
        text=render(reply.text),
        buttons=tuple(tuple((label(b.label), b.payload) for b in row) for row in reply.buttons),
        keyboard=keyboard,
        remove_keyboard=reply.remove_keyboard,
        edit_message_id=edit_message_id if reply.edit else None,
        photo=reply.photo,
        document=reply.document,
        filename=reply.filename,
        notice=reply.notice,
        media=tuple(_addressed(m, render) for m in reply.media),
    )


def _addressed(m: Media, render: Renderer) -> Media:
    """A pin whose place is known gets its title and address line in the reader's language."""
    place = m.place
    if place is None:
        return m
    return replace(
        m, name=venue_title(place, render.locale), address=venue_address(place, render.locale)
    )
