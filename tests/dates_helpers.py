"""What the date-parsing tests share: the rep's zone, a fixed now, and parse_when's answer as
a naive local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from crm.language.dates import parse_when

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)  # a Tuesday, as the demo starts


def local(text: str, now: datetime = NOW) -> datetime | None:
    """parse_when's answer as a naive local time, after checking it is aware and in TZ."""
    parsed = parse_when(text, now, TZ)
    if parsed is None:
        return None
    assert parsed.tzinfo is TZ
    return parsed.replace(tzinfo=None)


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute)
