"""Dates and times typed by people ("明天下午3点", "下週二", "next Friday 3pm", "завтра в 15:00",
"2026-12-01").

A small grammar of our own reads the phrasings reps really type, in Chinese (Simplified and
Traditional), English and Russian; whatever
it does not recognise goes to dateparser. dateparser knows many more forms but fails on common
Chinese ones (明天下午3点, 下周二, 12月3日) and silently misreads some English ones ("Friday at 3"
becomes 1 March, "tomorrow at 3" tomorrow at the current time), hence the grammar comes first.

The grammar's rules, all in the rep's time zone, live with the code that applies them:
crm.language.date_rules (which day: dates without a year, weekdays, 下周二 vs "next Tuesday"),
date_clock (which time of day: 09:00 by default, parts of the day, "3点" in the afternoon)
and date_grammar (how they combine: a time alone is today or tomorrow, a past date stays).
Their words are in crm.language.date_words.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import NamedTuple
from zoneinfo import ZoneInfo

import dateparser

from crm.language.date_clock import DEFAULT_HOUR
from crm.language.date_grammar import grammar, malformed, scan
from crm.limits import year_ok

LANGUAGES = ["zh", "en", "ru"]
MAX_LENGTH = 100  # a date phrase, not a paragraph
MAX_SEARCH_LENGTH = 500  # find_when looks inside a clause of a message

# A time dateparser copied from RELATIVE_BASE (it reads "tomorrow" as "now + 1 day") is no time
# at all, unless the text names one or counts hours and minutes.
_NAMES_A_TIME = re.compile(
    r"\d\s*[:：点時时]|\d\s*[ap]\.?m|[点時时钟]|小时|分钟|秒|现在|马上|刚才|"
    r"hour|minute|min|sec|now|noon|midnight|morning|afternoon|evening|night|"
    r"上午|下午|中午|早上|晚上|凌晨|傍晚|今晚|明晚|"
    r"час|минут|секунд|сейчас|утр|вечер|дн[её]м|ноч|полдень|обед",
    re.IGNORECASE,
)


def _dateparser(text: str, local_now: datetime) -> datetime | None:
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local_now,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
    }

    parsed = dateparser.parse(text, languages=LANGUAGES, settings=settings)
    if parsed is None:
        return None
    copied = parsed.time() in (time(0, 0), local_now.time())
    if copied and not _NAMES_A_TIME.search(text):
        parsed = datetime.combine(parsed.date(), DEFAULT_HOUR)
    return parsed


def _local_now(now: datetime, tz: ZoneInfo) -> datetime:
    return now.astimezone(tz).replace(tzinfo=None)


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """A future-leaning, timezone-aware datetime, or None. A bare date means 09:00 that day.

    The whole text must be the date (give or take 左右, "by", punctuation); see the module
    docstring for where the rules for each phrasing live.
    """
    text = text.strip()
    if not text or len(text) > MAX_LENGTH:
        return None
    local_now = _local_now(now, tz)
    try:
        parsed = grammar(text, local_now)
        if parsed is None and not malformed(text, local_now):
            parsed = _dateparser(text, local_now)
    except (OverflowError, ValueError):  # "9999-12-31 23:59" plus a day, a year 0
        return None
    # Years a CRM date can mean: outside them a time zone's offset can overflow downstream.
    if parsed is None or not year_ok(parsed):
        return None
    return parsed.replace(tzinfo=tz)


class FoundWhen(NamedTuple):
    phrase: str  # as typed
    start: int  # where the phrase starts in the searched text
    when: datetime  # timezone-aware


def find_when(text: str, now: datetime, tz: ZoneInfo) -> FoundWhen | None:
    """The first date phrase inside a longer text ("下周二下午跟进报价") and its datetime.

    The grammar searches the text; only when it finds nothing is the whole text given to
    dateparser (which cannot search, and would misread stray words).
    """
    if not text.strip() or len(text) > MAX_SEARCH_LENGTH:
        return None
    local_now = _local_now(now, tz)
    try:
        for start, end, when in scan(text, local_now):
            if not year_ok(when):
                return None
            return FoundWhen(text[start:end], start, when.replace(tzinfo=tz))
    except (OverflowError, ValueError):
        return None
    whole = parse_when(text, now, tz)
    if whole is None:
        return None
    return FoundWhen(text.strip(), len(text) - len(text.lstrip()), whole)
