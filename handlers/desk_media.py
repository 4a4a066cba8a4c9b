"""What a customer or an agent sends on a request, kept as it can be sent on: photos (an album
as one group), documents, voice and location pins, by Telegram file id (bot.types.Media)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.types import TN, Inbound, Media, T, Text

# sendMediaGroup takes at most ten; a view shows the latest ones.
MAX_SHOWN = 10


def from_inbound(inbound: Inbound) -> list[dict[str, Any]]:
    """The message's files and pin as JSON (TicketMessage.media, drafts)."""
    found: list[Media] = [
        Media("photo", file_id=p, group=inbound.media_group_id) for p in inbound.photo_ids
    ]
    if inbound.document_id:
        found.append(Media("document", file_id=inbound.document_id, name=inbound.document_name))
    if inbound.voice_id:
        found.append(Media("voice", file_id=inbound.voice_id))
    if inbound.location is not None:
        loc = inbound.location
        place = loc.place
        found.append(
            Media(
                "location",
                lat=loc.lat,
                lon=loc.lon,
                # The address found when the pin arrived (crm.geocode), kept with it.
                name=place.name if place else None,
                region=(place.region or None) if place else None,
                country=(place.country or None) if place else None,
            )
        )
    return [m.to_json() for m in found]


def places(items: list[dict[str, Any]] | None) -> list[Text]:
    """“📍 near Shanghai, Shanghai Shi, China” for each pin whose address is known."""
    found = (Media.from_json(i).place for i in items or () if i.get("kind") == "location")
    return [T("📍 {place}", place=p) for p in found if p is not None]


def to_media(items: list[dict[str, Any]] | None) -> tuple[Media, ...]:
    return tuple(Media.from_json(i) for i in (items or ()))[-MAX_SHOWN:]


def file_ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["file_id"] for i in items if i.get("file_id")]


def summary(items: list[dict[str, Any]] | None) -> Text | None:
    """“📎 2 photos, 1 document, 1 voice message, 📍 a location” for a text line."""
    counts = Counter(i.get("kind") for i in items or ())
    parts: list[Text] = []
    if counts["photo"]:
        parts.append(TN("{n} photo", "{n} photos", counts["photo"]))
    if counts["document"]:
        parts.append(TN("{n} document", "{n} documents", counts["document"]))
    if counts["voice"]:
        parts.append(TN("{n} voice message", "{n} voice messages", counts["voice"]))
    if counts["location"]:
        parts.append(T("📍 a location"))
    if not parts:
        return None
    head: Text = parts[0]
    for part in parts[1:]:
        head = T("{a}, {b}", a=head, b=part)
    return T("📎 {what}", what=head)
