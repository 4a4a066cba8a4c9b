"""Phone numbers normalised to E.164, and masked for anything a log might see."""

from __future__ import annotations

import phonenumbers


def normalise(raw: str, region: str = "CN") -> str | None:
    """E.164 form of a number typed any usual way, or None when it is not a valid number."""
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str | None) -> str:
    if not e164:
        return ""
    return e164[:4] + "*" * max(len(e164) - 6, 0) + e164[-2:]
