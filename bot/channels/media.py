"""Sending files and pins on by Telegram file id (bot.types.Media), one small function per
library; the adapters call them after the message's text. Photos sharing a `group` go as one
album (sendMediaGroup, 2 to 10 items); a lone photo, a document, voice and a location each
with their own call (a pin whose address is known as a venue). The libraries are imported
inside, so loading one adapter never loads the other library."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.types import Media

ALBUM_MAX = 10


def batches(media: tuple[Media, ...]) -> Iterator[tuple[Media, ...]]:
    """Runs of photos of one album (split at ten), and everything else one by one."""
    run: list[Media] = []
    for m in media:
        if run and (m.kind != "photo" or m.group is None or m.group != run[0].group):
            yield tuple(run)
            run = []
        if m.kind == "photo" and m.group is not None:
            run.append(m)
            if len(run) == ALBUM_MAX:
                yield tuple(run)
                run = []
        else:
            yield (m,)
    if run:
        yield tuple(run)


async def _pin(bot: Any, chat_id: int, m: Media, **where: Any) -> None:
    """A pin: a venue (the map pin with its place and address) when the address is known, else
    the bare location. Both libraries name the calls and arguments alike."""
    if m.name and m.address:
        await bot.send_venue(
            chat_id, latitude=m.lat, longitude=m.lon, title=m.name, address=m.address, **where
        )
    else:
        await bot.send_location(chat_id, latitude=m.lat, longitude=m.lon, **where)


async def _send(
    bot: Any, photo: Any, chat_id: int, media: tuple[Media, ...], thread_id: int | None
) -> None:
    """Both libraries name the calls and arguments alike; only the album item's class differs
    (`photo`, each library's InputMediaPhoto)."""
    # Into a forum topic when `thread_id` is given (bot.forum); the libraries' default otherwise.
    where: dict[str, Any] = {"message_thread_id": thread_id} if thread_id is not None else {}
    for batch in batches(media):
        if len(batch) > 1:
            await bot.send_media_group(chat_id, [photo(media=m.file_id) for m in batch], **where)
            continue
        m = batch[0]
        if m.kind == "photo":
            await bot.send_photo(chat_id, m.file_id, **where)
        elif m.kind == "document":
            await bot.send_document(chat_id, m.file_id, **where)
        elif m.kind == "voice":
            await bot.send_voice(chat_id, m.file_id, **where)
        elif m.kind == "location" and m.lat is not None and m.lon is not None:
            await _pin(bot, chat_id, m, **where)


async def send_aiogram(
    bot: Any, chat_id: int, media: tuple[Media, ...], thread_id: int | None = None
) -> None:
    from aiogram.types import InputMediaPhoto

    await _send(bot, InputMediaPhoto, chat_id, media, thread_id)


async def send_ptb(
    bot: Any, chat_id: int, media: tuple[Media, ...], thread_id: int | None = None
) -> None:
    from telegram import InputMediaPhoto

    await _send(bot, InputMediaPhoto, chat_id, media, thread_id)
