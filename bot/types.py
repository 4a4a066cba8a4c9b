"""Neutral types between the channels and the flows. No Telegram library is imported here."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Union

from crm.geocode import Place
from crm.limits import clean_text


@dataclass(frozen=True)
class T:
    """A translatable message: a gettext msgid and its named parameters.

    Parameters may be plain values (escaped when rendered as HTML) or other `T`s.
    """

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, msgid: str, **params: Any) -> None:
        object.__setattr__(self, "msgid", msgid)
        object.__setattr__(self, "params", params)


@dataclass(frozen=True)
class TN:
    """A plural translatable message; `n` selects the form and is also a parameter."""

    singular: str
    plural: str
    n: int
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, singular: str, plural: str, n: int, **params: Any) -> None:
        object.__setattr__(self, "singular", singular)
        object.__setattr__(self, "plural", plural)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "params", {"n": n, **params})


@dataclass(frozen=True)
class Raw:
    """Text that is not translated (a name, a number), escaped when rendered."""

    text: str


@dataclass(frozen=True)
class Money:
    """An amount of money (a deal, a customer's annual value), shown in the reader's format."""

    amount: Any  # int, float or Decimal
    # ISO 4217; None: the renderer's (the company's). A deal's amounts name the rules' currency.
    currency: str | None = None
    # Always with the cents (¥1,200,000.00), as contracts and receipts write them.
    cents: bool = False


Text = Union[T, TN, Raw, "Lines"]


@dataclass(frozen=True)
class Lines:
    """Several texts rendered one per line."""

    parts: tuple[Text, ...]

    def __init__(self, *parts: Text) -> None:
        object.__setattr__(self, "parts", tuple(p for p in parts if p is not None))


@dataclass(frozen=True)
class Button:
    """An inline button; `payload` is opaque callback data (at most 64 bytes on Telegram)."""

    label: Text
    payload: str

    def __post_init__(self) -> None:
        if len(self.payload.encode()) > 64:
            raise ValueError(f"callback payload too long: {self.payload!r}")


@dataclass(frozen=True)
class KeyButton:
    """A reply-keyboard button; pressing it sends its label as text (or a contact / location)."""

    label: Text
    request_contact: bool = False
    request_location: bool = False


@dataclass(frozen=True)
class Media:
    """A file already on Telegram, sent on by its id, or a location pin.

    `kind` is "photo", "document", "voice" or "location"; photos sharing a `group` go as one
    album (sendMediaGroup); a location has `lat`/`lon` and, for the pin's label, `name`.
    """

    kind: str
    file_id: str | None = None
    name: str | None = None
    lat: float | None = None
    lon: float | None = None
    group: str | None = None
    # A location's place (crm.geocode.Place): `name` is its town, then its region and country.
    region: str | None = None
    country: str | None = None
    # The pin's address line as its reader reads it (set when rendered: bot.render): sent as a
    # venue, a pin with its title and address.
    address: str | None = None

    @property
    def place(self) -> Place | None:
        if self.kind != "location" or not self.name:
            return None
        return Place(self.name, self.region or "", self.country or "")

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Media:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if data.get(k) is not None})


@dataclass(frozen=True)
class Reply:
    """One outgoing message, still to be rendered in the recipient's locale."""

    text: Text
    buttons: tuple[tuple[Button, ...], ...] = ()
    keyboard: tuple[tuple[KeyButton, ...], ...] | None = None
    remove_keyboard: bool = False
    edit: bool = False
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    # "toast" or "alert": the answer to a pressed button (answerCallbackQuery with this text,
    # show_alert for "alert"), not a chat message. Refusals and stale presses use it. Where
    # there was no press (a typed message) the channel sends it as an ordinary message.
    notice: str | None = None
    # Files and pins sent on after the text (a customer's photos to the agent, and back).
    media: tuple[Media, ...] = ()


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    # The place it is near (crm.geocode), set by the engine before the flows see the pin.
    place: Place | None = None


@dataclass(frozen=True)
class Inbound:
    """One update from any channel, already translated out of the framework's types."""

    channel: str
    update_id: int
    chat_id: int
    user_id: int
    username: str | None = None
    first_name: str | None = None
    language_code: str | None = None
    chat_type: str = "private"
    text: str | None = None
    callback: str | None = None
    callback_message_id: int | None = None
    contact_phone: str | None = None
    contact_user_id: int | None = None
    location: Location | None = None
    photo_ids: tuple[str, ...] = ()
    voice_id: str | None = None
    document_id: str | None = None
    document_name: str | None = None
    # The parts of an album share this; the adapters deliver an album as one Inbound.
    media_group_id: str | None = None
    # The message itself, and its forum topic in a supergroup (bot.forum).
    message_id: int | None = None
    thread_id: int | None = None
    # The text of the message this one is a Telegram reply to (a request's number is in it).
    reply_to_text: str | None = None

    def __post_init__(self) -> None:
        # Where text from outside enters: NUL and other control characters go here, once, so
        # no flow stores them (PostgreSQL refuses a NUL in text) and no handler re-checks.
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                cleaned = clean_text(value)
                if cleaned != value:
                    object.__setattr__(self, name, cleaned)

    @property
    def command(self) -> str | None:
        if self.text and self.text.startswith("/"):
            head = self.text.split(maxsplit=1)[0][1:]
            return head.split("@", 1)[0].lower() or None
        return None

    @property
    def args(self) -> str:
        if self.command is None or self.text is None:
            return ""
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""

    @property
    def kind(self) -> str:
        if self.callback is not None:
            return "callback"
        if self.command is not None:
            return "command"
        if self.contact_phone is not None:
            return "contact"
        if self.location is not None:
            return "location"
        if self.photo_ids:
            return "photo"
        if self.voice_id:
            return "voice"
        if self.document_id:
            return "document"
        if self.text is not None:
            return "text"
        return "other"


_TEXT_FIELDS = (
    "username",
    "first_name",
    "language_code",
    "text",
    "callback",
    "contact_phone",
    "document_name",
)


# Telegram's own limit on files a bot may download (getFile refuses larger ones).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


class FileTooLarge(Exception):
    """The file is over the download limit; nothing of it was read."""


class FileUnavailable(Exception):
    """The file cannot be fetched (unknown or expired id, the server refused, the network)."""


class Files(Protocol):
    """The port through which flows read what a user sent as a file; each channel implements it.

    `download` raises FileTooLarge over `limit` bytes and FileUnavailable when it cannot fetch.
    """

    async def download(self, file_id: str, limit: int = MAX_DOWNLOAD_BYTES) -> bytes: ...


@dataclass(frozen=True)
class Outgoing:
    """A rendered message for one chat: what a channel actually sends."""

    chat_id: int
    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    keyboard: tuple[tuple[tuple[str, str], ...], ...] | None = None
    remove_keyboard: bool = False
    edit_message_id: int | None = None
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    # "toast" / "alert": answers the pressed button instead of being sent (see Reply.notice).
    notice: str | None = None
    # A forum topic of a supergroup to send into (message_thread_id; bot.forum).
    thread_id: int | None = None
    media: tuple[Media, ...] = ()
    # The outbox row that journals this reply (the engine's, with `Engine.reply_lease`): the
    # channel reports the send through `Handles.replied`, and a reply whose process died before
    # that is sent by another replica's sender. Not part of the payload.
    journal_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        """JSON-safe form kept in the outbox.

        A photo (a chart of ~50 KB) travels with it, base64 under "photo"; documents are never
        queued.
        """
        payload: dict[str, Any] = {
            "text": self.text,
            "buttons": [[list(b) for b in row] for row in self.buttons],
            "keyboard": None
            if self.keyboard is None
            else [[list(b) for b in row] for row in self.keyboard],
            "remove_keyboard": self.remove_keyboard,
        }
        if self.photo is not None:
            payload["photo"] = base64.b64encode(self.photo).decode("ascii")
        if self.thread_id is not None:
            payload["thread_id"] = self.thread_id
        if self.media:
            payload["media"] = [m.to_json() for m in self.media]
        return payload

    @classmethod
    def from_payload(cls, chat_id: int, payload: Mapping[str, Any]) -> Outgoing:
        kb = payload.get("keyboard")
        return cls(
            chat_id=chat_id,
            text=payload["text"],
            buttons=tuple(tuple(tuple(b) for b in row) for row in payload.get("buttons") or ()),
            keyboard=None if kb is None else tuple(tuple(tuple(b) for b in row) for row in kb),
            remove_keyboard=bool(payload.get("remove_keyboard")),
            photo=base64.b64decode(payload["photo"]) if payload.get("photo") else None,
            thread_id=payload.get("thread_id"),
            media=tuple(Media.from_json(m) for m in payload.get("media") or ()),
        )
