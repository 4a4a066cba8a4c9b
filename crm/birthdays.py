"""Birthdays as people type them, solar or lunar: "1980-05-02", "5月2日", "农历八月十五"."""

from __future__ import annotations

import re
from datetime import date

# A leap year stands in when the year of birth is not given, so 2-29 stays valid.
NO_YEAR = 1904

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
LUNAR_MONTHS = {"正": 1, "冬": 11, "腊": 12}


def _cn_number(text: str) -> int | None:
    """一..三十 as used for lunar days and months (初五, 十五, 廿三, 三十)."""
    text = text.removeprefix("初").replace("廿", "二十")
    if text.isdecimal():  # not isdigit: int() refuses "²"
        return int(text)
    if text in LUNAR_MONTHS:
        return LUNAR_MONTHS[text]
    if "十" in text:
        tens, _, ones = text.partition("十")
        value = (CN_DIGITS.get(tens, 0) if tens else 1) * 10
        return value + (CN_DIGITS.get(ones, 0) if ones else 0)
    return CN_DIGITS.get(text)


SOLAR = [
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})[日号]?$"),
]
LUNAR_CN = re.compile(
    r"^(?:农历|阴历)(?P<y>\d{4}年)?(?P<m>[\d一二三四五六七八九十正冬腊]+)月(?P<d>[\d初一二三四五六七八九十廿]+)[日号]?$"
)
LUNAR_EN = re.compile(r"^lunar\s+(?:(?P<y>\d{4})-)?(?P<m>\d{1,2})-(?P<d>\d{1,2})$", re.I)


def parse_birthday(text: str) -> tuple[date, bool] | None:
    """(date, is_lunar); for a lunar birthday the date holds the lunar month and day."""
    text = re.sub(r"\s+", " ", text.strip())
    if len(text) > 40:
        return None
    for pattern in (LUNAR_CN, LUNAR_EN):
        m = pattern.match(text)
        if m:
            month, day = _cn_number(m["m"]), _cn_number(m["d"])
            year = int(m["y"].rstrip("年")) if m["y"] else NO_YEAR
            if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 30):
                return None
            # Lunar months have 29 or 30 days; the solar stand-in must exist as a date too.
            return _safe_date(year, month, min(day, 29) if month == 2 else day), True
    for pattern in SOLAR:
        m = pattern.match(text)
        if m:
            year = int(m["y"]) if "y" in m.groupdict() and m["y"] else NO_YEAR
            parsed = _safe_date(year, int(m["m"]), int(m["d"]))
            return (parsed, False) if parsed else None
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
