"""Periods typed by managers for a report: "today", "本周", "last week", "上个月", "2026-11",
"2026-11-01..2026-11-15", "11月1日至11月15日", "最近7天", "Nov 1 - Nov 15".

Unlike dates (when to follow up, so future-leaning), a report looks back: a date or a month
typed without a year is the latest one not after today ("11月" on 1 December is this November,
"12月20日" is last December's). Weeks run Monday to Sunday (ISO), as in the summaries.

The result is a closed range of local days [first, last] and its kind ("day", "week", "month"
or "range"), so a caller can title "last week" as a week. What the grammar does not know, each
end of a range included, goes to dateparser, asked to prefer the past.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dateparser

from crm.language.date_words import MONTHS, number
from crm.limits import year_ok

DAY, WEEK, MONTH, RANGE = "day", "week", "month", "range"
# A report of more than a year is an export, not a chat message; and it bounds the queries.
MAX_DAYS = 366
MAX_LENGTH = 60

# Why a text is not a period; the caller words the answer.
UNREADABLE, REVERSED, FUTURE, TOO_LONG = "unreadable", "reversed", "future", "too_long"


@dataclass(frozen=True)
class DateRange:
    kind: str
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Parsed:
    range: DateRange | None = None
    problem: str | None = None


def week_of(day: date) -> DateRange:
    monday = day - timedelta(days=day.weekday())
    return DateRange(WEEK, monday, monday + timedelta(days=6))


def month_of(year: int, month: int) -> DateRange:
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    return DateRange(MONTH, first, after - timedelta(days=1))


def last_month(today: date) -> DateRange:
    previous = today.replace(day=1) - timedelta(days=1)
    return month_of(previous.year, previous.month)


def _named(today: date) -> dict[str, DateRange]:
    day = DateRange(DAY, today, today)
    yesterday = today - timedelta(days=1)
    week, previous_week = week_of(today), week_of(today - timedelta(days=7))
    month, previous_month = month_of(today.year, today.month), last_month(today)
    year = DateRange(RANGE, date(today.year, 1, 1), date(today.year, 12, 31))
    previous_year = DateRange(RANGE, date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    words = {
        day: "today 今天 今日 当天",
        DateRange(DAY, yesterday, yesterday): "yesterday 昨天 昨日",
        week: "this_week week 本周 这周 本星期 这星期 这个星期 本礼拜 这礼拜 周",
        previous_week: "last_week previous_week 上周 上星期 上个星期 上一周 上礼拜 上个礼拜",
        month: "this_month month 本月 这个月 这月 当月 月",
        previous_month: "last_month previous_month 上个月 上月 上一个月",
        year: "this_year 今年 本年",
        previous_year: "last_year 去年 上一年",
    }
    return {word: found for found, spelled in words.items() for word in spelled.split()}


def _normalise(text: str) -> str:
    # Full-width digits and punctuation (２０２６－１１) read as their ASCII forms.
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"\s+", " ", text)


_LAST_DAYS = re.compile(
    r"(?:last|past|previous) (?P<en>\w+) days?"
    r"|(?:最近|近|过去|前)(?P<zh>[\d一二两三四五六七八九十百]+)天"
)
_YEAR_MONTH = re.compile(r"(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*月?")
_MONTH_ZH = re.compile(r"(?P<m>[\d一二三四五六七八九十]{1,3})月(?:份)?")
# One day: 2026-11-01, 2026/11/1, 2026.11.1, 2026年11月1日, 11月1日, 11/1.
_DATE = (
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*[日号]?"
    r"|\d{1,2}/\d{1,2}"
)
_ONE_DATE = re.compile(
    r"(?:(?P<y>\d{4})\s*[-/.年]\s*)?(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
)
_SEP = r"\s*(?:\.\.\.?|…|~|～|至|到|-|–|—|to|until|till|through)\s*"
# The end may be a day of the start's month alone: 11月1日-15日.
_RANGE = re.compile(
    rf"(?:从|from )?(?P<a>{_DATE}){_SEP}(?:(?P<b>{_DATE})|(?P<day>\d{{1,2}})\s*[日号])"
)
# Ends of a range in words ("Nov 1 to Nov 15"): split here, each end read by dateparser.
_WORD_SEP = re.compile(r"\s*(?:\.\.\.?|…|~|～|至|到|–|—| - | to | until | till | through )\s*")


def _past(year: int | None, month: int, day: int, today: date) -> date | None:
    """That day in `year`, or without a year the latest one not after today."""
    try:
        if year is not None:
            return date(year, month, day)
        found = date(today.year, month, day)
        return found if found <= today else date(today.year - 1, month, day)
    except ValueError:
        return None


def _one_date(text: str, today: date, year: int | None = None) -> date | None:
    m = _ONE_DATE.fullmatch(text.strip())
    if m is None:
        return None
    y = int(m["y"]) if m["y"] else year
    return _past(y, int(m["m"]), int(m["d"]), today)


def _dateparser(text: str, today: date) -> date | None:
    settings = {
        "PREFER_DATES_FROM": "past",
        "RELATIVE_BASE": datetime.combine(today, datetime.min.time()),
        "PREFER_DAY_OF_MONTH": "first",
        "REQUIRE_PARTS": ["day", "month"],
    }

    parsed = dateparser.parse(text, languages=["zh", "en"], settings=settings)  # type: ignore[arg-type]
    return parsed.date() if parsed is not None else None


def _month(text: str, today: date) -> DateRange | None:
    m = _YEAR_MONTH.fullmatch(text)
    if m is not None:
        year, month = int(m["y"]), int(m["m"])
    else:
        m = _MONTH_ZH.fullmatch(text)
        words = text.split()
        if m is not None:
            month = number(m["m"]) or 0
            year = None
        elif 1 <= len(words) <= 2 and words[0] in MONTHS:
            month = MONTHS[words[0]]
            year = int(words[1]) if len(words) == 2 and re.fullmatch(r"\d{4}", words[1]) else None
            if len(words) == 2 and year is None:
                return None
        else:
            return None
        if year is None:
            year = today.year if month <= today.month else today.year - 1
    if not 1 <= month <= 12 or not 1900 < year < 3000:
        return None
    return month_of(year, month)


def _range(text: str, today: date) -> DateRange | None:
    m = _RANGE.fullmatch(text)
    if m is not None:
        first = _one_date(m["a"], today)
        if first is None:
            return None
        if m["day"]:
            last_day = _past(first.year, first.month, int(m["day"]), today)
            return None if last_day is None else DateRange(RANGE, first, last_day)
        # An end without a year is in the start's year (or the next, for Dec 20 - Jan 5).
        explicit_year = re.match(r"\d{4}", m["b"].strip()) is not None
        last = _one_date(m["b"], today, None if explicit_year else first.year)
        if last is not None and not explicit_year and last < first:
            last = _one_date(m["b"], today, first.year + 1)
        return None if last is None else DateRange(RANGE, first, last)
    parts = _WORD_SEP.split(text)
    if len(parts) != 2 or not all(parts):
        return None
    first = _one_date(parts[0], today) or _dateparser(parts[0], today)
    last = _one_date(parts[1], today) or _dateparser(parts[1], today)
    if first is None or last is None:
        return None
    return DateRange(RANGE, first, last)


def _read(text: str, today: date) -> DateRange | None:
    named = _named(today).get(text.replace(" ", "_"))
    if named is not None:
        return named
    m = _LAST_DAYS.fullmatch(text)
    if m is not None:
        n = number(m["en"] or m["zh"] or "")
        if not n:
            return None
        return DateRange(RANGE, today - timedelta(days=n - 1), today)
    found = _month(text, today) or _range(text, today)
    if found is not None:
        return found
    if re.fullmatch(_DATE, text):
        single = _one_date(text, today)
    else:
        # "1 Nov 2026", "Nov 1": a day in words needs a number.
        single = _dateparser(text, today) if re.search(r"\d", text) else None
    return None if single is None else DateRange(DAY, single, single)


def parse_range(text: str, today: date) -> Parsed:
    """The period `text` names, as of `today` (the reader's local date), or why it is none."""
    text = _normalise(text)
    if not text or len(text) > MAX_LENGTH:
        return Parsed(problem=UNREADABLE)
    try:
        found = _read(text, today)
    except (OverflowError, ValueError):  # a year 0001 or 9999 moved by a day
        found = None
    # Years a report can be about; "0001-01-01" would overflow once put in a time zone.
    if found is None or not (year_ok(found.first) and year_ok(found.last)):
        return Parsed(problem=UNREADABLE)
    if found.last < found.first:
        return Parsed(problem=REVERSED)
    if found.first > today:
        return Parsed(problem=FUTURE)
    if found.days > MAX_DAYS:
        return Parsed(problem=TOO_LONG)
    return Parsed(found)
