"""The grammar of a whole date phrase, for crm.language.dates: a date, a part of the day and a time.

Each part is optional; the date comes first ("明天下午3点", "Friday 3pm") or after the time
("3pm Friday", "at 10 on Dec 3"). date_rules reads the date, date_clock the time.

The rules, all in the rep's time zone:
- A time without a date (下午3点, 3pm): today if still ahead, otherwise tomorrow.
- An explicit date in the past (今天8点 at 10:00) is returned as parsed; the caller decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from functools import cache
from typing import NamedTuple

from crm.language.date_clock import CLOCK, PART, clock_of, part_of, time_of_day
from crm.language.date_rules import DATE, Day, date_of
from crm.language.date_words import EN_START
from crm.language.zh_hant import fold

_ON = rf"(?:{EN_START}(?:on|by)\s+)?"
_STARTS = (
    r"(?=[\d零〇一二两三四五六七八九十今明后昨前大上下本这周星礼月凌清早中晚傍夜元过年节]"
    r"|(?<![A-Za-z0-9])[A-Za-z@]|(?<![А-Яа-яЁё0-9])[А-Яа-яЁё])"
)  # "on Friday": left out of the phrase found
_SEP = r"[\s,，]*"


# Compiled at first use, not at import: in three languages they take a good half-second, which
# every process start (and every command-line call) would pay.
@cache
def _when() -> re.Pattern[str]:
    """One phrase: a date, a part of the day, a time, each optional but in this order..."""
    return re.compile(
        # A phrase starts on a word that can start one: the look-ahead skips every other place
        # at once (the alternatives are many), and a space before "3 дня назад" is not tried
        # as the start of "3" alone, which would hide the date.
        rf"{_STARTS}{_ON}(?P<date>{DATE})?{_SEP}(?P<part_all>{PART})?{_SEP}(?P<clock>{CLOCK})?",
        re.IGNORECASE,
    )


@cache
def _date_after() -> re.Pattern[str]:
    """... or a time followed by its date ("3pm Friday", "at 10 on Dec 3")."""
    return re.compile(rf"{_SEP}{_ON}(?P<date>{DATE})", re.IGNORECASE)


# Words that may surround a date without changing it: 大概明天, 周五前, "by Friday", "Friday-ish".
_FILLER_BEFORE = re.compile(
    r"(?:在|于|约|大概|大约|预计|大约在|on|by|around|about|примерно|где-то|около|до)?", re.I
)
_FILLER_AFTER = re.compile(
    r"(?:左右|前后|之前|以前|前|或者更早|or\s+so|-?ish|at\s+the\s+latest|примерно|или\s+раньше)?",
    re.I,
)


def _is_filler(text: str, filler: re.Pattern[str]) -> bool:
    """True if text is only filler words, spaces, punctuation or emoji."""
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    return filler.fullmatch(text.strip()) is not None


def _resolve(
    m: re.Match[str], date_match: re.Match[str] | None, local_now: datetime, past: bool = False
) -> datetime | None:
    today = local_now.date()
    day = Day(today, roll=1)  # a time alone: today, or tomorrow once it has passed
    if date_match is not None:
        found = date_of(date_match, today)
        if found is None:
            return None
        day = found
    clock = clock_of(m) if m["clock"] else None
    if clock is not None and clock.bare and date_match is not m:
        return None  # "3" alone, or "3 Friday", is not a time
    offset = time_of_day(part_of(m) or day.part, clock)
    if offset is None:
        return None
    result = datetime.combine(day.day, time()) + offset
    if past:  # when something happened: the latest such time not after now
        while day.roll and result > local_now:
            result -= timedelta(days=day.roll)
        if day.yearly and result > local_now:
            result = result.replace(year=result.year - 1)
        return result
    while day.roll and result <= local_now:
        result += timedelta(days=day.roll)
    return result


class Phrase(NamedTuple):
    """A date phrase found in a text, read both ways: as a time ahead (a follow-up) and as a
    time gone by (when a visit happened); they differ only for phrases that recur (周五, 下午,
    12月3日)."""

    start: int
    end: int
    ahead: datetime  # local, naive
    back: datetime
    timed: bool  # a part of the day or a clock time was said (今晚 says one)
    dated: bool  # a day was said


def phrases(text: str, local_now: datetime) -> Iterator[Phrase]:
    """Every date phrase in text, as scan finds them, each read ahead and back."""
    text = fold(text)
    _date_after()  # both patterns compiled on the first message, not one on a later one
    for m in _when().finditer(text):
        found = [g for g in ("date", "part_all", "clock") if m[g]]
        if not found:
            continue
        start, end = m.start(found[0]), m.end(found[-1])
        date_match: re.Match[str] | None = m if m["date"] else None
        if date_match is None:
            after = _date_after().match(text, end)
            if after is not None:
                date_match, end = after, after.end()
        ahead = _resolve(m, date_match, local_now)
        back = _resolve(m, date_match, local_now, past=True)
        if ahead is None or back is None:
            continue
        day = date_of(date_match, local_now.date()) if date_match is not None else None
        timed = bool(m["part_all"] or m["clock"] or (day is not None and day.part))
        yield Phrase(start, end, ahead, back, timed, date_match is not None)


def scan(text: str, local_now: datetime) -> Iterator[tuple[int, int, datetime]]:
    """Every date phrase the grammar finds in text: (start, end, local naive datetime).

    Traditional Chinese is read through crm.language.zh_hant.fold, which keeps positions."""
    text = fold(text)
    for m in _when().finditer(text):
        found = [g for g in ("date", "part_all", "clock") if m[g]]
        if not found:
            continue
        start, end = m.start(found[0]), m.end(found[-1])
        date_match: re.Match[str] | None = m if m["date"] else None
        if date_match is None:
            after = _date_after().match(text, end)
            if after is not None:
                date_match, end = after, after.end()
        when = _resolve(m, date_match, local_now)
        if when is not None:
            yield start, end, when


def grammar(text: str, local_now: datetime) -> datetime | None:
    """The grammar's reading of text, if one phrase makes up all of it."""
    first = next(scan(text, local_now), None)
    if first is None:
        return None
    start, end, when = first
    text = fold(text)
    if _is_filler(text[:start], _FILLER_BEFORE) and _is_filler(text[end:], _FILLER_AFTER):
        return when
    return None


def malformed(text: str, local_now: datetime) -> bool:
    """True if text is shaped like one of the grammar's phrases but names no real time
    (32 декабря, 明天25点): then no one else should guess at it."""
    text = fold(text).strip()
    m = _when().fullmatch(text)
    if m is None or not any(m[g] for g in ("date", "part_all", "clock")):
        return False
    return _resolve(m, m if m["date"] else None, local_now) is None
