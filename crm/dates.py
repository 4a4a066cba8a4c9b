"""Dates and times typed by people ("明天 10:00", "next Friday 3pm", "2026-12-01")."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import dateparser

LANGUAGES = ["zh", "en"]
DEFAULT_HOUR = time(9, 0)


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """A future-leaning, timezone-aware datetime, or None. A bare date means 09:00 that day."""
    text = text.strip()
    if not text or len(text) > 100:
        return None
    local_now = now.astimezone(tz).replace(tzinfo=None)
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local_now,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
    }
    parsed = dateparser.parse(text, languages=LANGUAGES, settings=settings)
    if parsed is None:
        return None
    if parsed.time() == time(0, 0) and parsed.time() != local_now.time():
        parsed = datetime.combine(parsed.date(), DEFAULT_HOUR)
    return parsed.replace(tzinfo=tz)
