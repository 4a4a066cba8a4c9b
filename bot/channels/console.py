"""The console channel: prints what would be sent, the way the demo protocol describes."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.channels.parts import TEXT_LIMIT, notice_of, plan
from bot.i18n import Renderer, near
from bot.types import (
    MAX_DOWNLOAD_BYTES,
    FileTooLarge,
    FileUnavailable,
    Inbound,
    Media,
    Outgoing,
)
from crm.geocode import Place

TAG = re.compile(r"</?(b|i|u|s|code|pre|a)(\s[^>]*)?>")
# A pin's address on its `[location ...]` line: the demo's lines are in English.
_EN = Renderer("en", ZoneInfo("UTC"), html=False)


def render_place(place: Place) -> str:
    return _EN(near(place, "en"))


def media_line(m: Media) -> str:
    """How the demo prints a file or pin sent on by id: `[photo]`, `[document NAME]`..."""
    if m.kind == "location":
        place = m.place
        where = f" — {render_place(place)}" if place is not None else ""
        return f"[location {m.lat:.4f},{m.lon:.4f}{where}]"
    if m.kind == "document":
        return f"[document {m.name or m.file_id}]"
    album = " (album)" if m.group else ""
    return f"[{m.kind}{album}]"


def plain(text: str) -> str:
    return html.unescape(TAG.sub("", text))


@dataclass
class PressTarget:
    label: str
    payload: str | None  # None: a reply-keyboard button, which sends its label
    kind: str = ""  # "", "contact" or "location" for keyboard buttons
    message_id: int | None = None


@dataclass
class ConsoleChannel:
    """Keeps, per chat, the buttons of its last message that had any, for `[N]` and `[text]`."""

    write: Callable[[str], None]
    handle_of: Callable[[int], str]
    name: str = "console"
    last_buttons: dict[int, list[PressTarget]] = field(default_factory=dict)
    keyboards: dict[int, list[PressTarget]] = field(default_factory=dict)
    sent: list[Outgoing] = field(default_factory=list)
    # What `@doc PATH` sent: file id → the path on this machine, read when a flow downloads it.
    documents: dict[str, Path] = field(default_factory=dict)
    _next_id: int = 1

    async def download(self, file_id: str, limit: int = MAX_DOWNLOAD_BYTES) -> bytes:
        path = self.documents.get(file_id)
        if path is None or not path.is_file():
            raise FileUnavailable(file_id)
        if path.stat().st_size > limit:
            raise FileTooLarge()
        return await asyncio.to_thread(path.read_bytes)

    async def deliver(self, inbound: Inbound, outs: Sequence[Outgoing]) -> None:
        """The replies to one update, as Telegram would show them: after a button press the
        first short notice answers the press (`[toast to HANDLE] TEXT`, `[alert to HANDLE]
        TEXT`); anything else, a notice without a press too, is a message."""
        notice = notice_of(outs) if inbound.callback is not None else None
        for out in outs:
            if out is notice:
                self.sent.append(out)
                who = self.handle_of(out.chat_id)
                self.write(f"[{out.notice} to {who}] {plain(out.text)}")
            else:
                await self.send(out)

    async def send(self, out: Outgoing) -> None:
        # Text over Telegram's limit arrives in parts there: here too. The console shows both
        # kinds of buttons on one message.
        for part in plan(out, separate_keyboard=False, caption_limit=TEXT_LIMIT):
            await self._send(part)

    async def _send(self, out: Outgoing) -> None:
        self.sent.append(out)
        message_id = out.edit_message_id or self._next_id
        if out.edit_message_id is None:
            self._next_id += 1
        who = self.handle_of(out.chat_id)
        mark = " (edited)" if out.edit_message_id else ""
        body = plain(out.text)
        if out.photo is not None:
            # No byte count: it depends on the installed matplotlib, and transcripts must not.
            body = "[photo] " + body
        if out.document is not None:
            body = f"[document {out.filename or 'file'}] " + body
        self.write(f"[to {who}]{mark} {body}")
        for m in out.media:
            self.write(media_line(m))
        targets: list[PressTarget] = []
        for row in out.buttons:
            targets.extend(PressTarget(label, payload, "", message_id) for label, payload in row)
        if out.keyboard is not None:
            keys = [PressTarget(label, None, kind) for row in out.keyboard for label, kind in row]
            self.keyboards[out.chat_id] = keys
            targets.extend(keys)
        elif out.remove_keyboard:
            self.keyboards.pop(out.chat_id, None)
        if targets:
            self.last_buttons[out.chat_id] = targets
            # Labels are plain text already (bot.render), as on Telegram's buttons.
            self.write("  ".join(f"[{i}] {t.label}" for i, t in enumerate(targets, 1)))

    def find(self, chat_id: int, ref: str) -> PressTarget | None:
        targets = self.last_buttons.get(chat_id, [])
        if ref.isascii() and ref.isdigit():
            i = int(ref)
            return targets[i - 1] if 1 <= i <= len(targets) else None
        for t in targets + self.keyboards.get(chat_id, []):
            if ref.lower() in t.label.lower():
                return t
        return None
