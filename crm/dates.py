"""Dates and times typed by people ("明天下午3点", "下周二", "next Friday 3pm", "2026-12-01").

A small grammar of our own reads the phrasings reps really type, in Chinese and English; whatever
it does not recognise goes to dateparser. dateparser knows many more forms but fails on common
Chinese ones (明天下午3点, 下周二, 12月3日) and silently misreads some English ones ("Friday at 3"
becomes 1 March, "tomorrow at 3" tomorrow at the current time), hence the grammar comes first.

The rules, all in the rep's time zone:
- A date without a time means 09:00. Parts of the day: 上午/早上/morning 09:00, 中午/noon 12:00,
  下午/afternoon 15:00, 傍晚 and evening 18:00, 晚上/今晚 19:00, tonight/night 20:00 (the English
  values are the ones dateparser always gave).
- An hour from 1 to 6 with no 上午/下午/am/pm ("3点", "at 3", "3:30") is in the afternoon: reps
  meet customers in working hours. A two-digit clock hour ("15:00", "03:30") is read as 24-hour.
- 下午3点 → 15:00, 晚上8点 → 20:00, 中午1点 → 13:00, 晚上12点 → 00:00 the next day.
- A date without a year (12月3日, Dec 3, 5号, the 5th) is its next occurrence, today included.
- 周五 / 星期五 / Friday: the first such day whose time (given or default) is still ahead; so on a
  Tuesday at 09:00 "周二" is next Tuesday, "周二下午" this afternoon.
- 下周二 / 下星期二 / 下礼拜二: Tuesday of the next calendar week (weeks start on Monday), as
  Chinese speakers mean it; 这周二/本周二 is this week's, even if already past. English "next
  Tuesday" keeps dateparser's meaning, the coming Tuesday (today excluded); "this Friday" is the
  coming Friday, today included.
- A time without a date (下午3点, 3pm): today if still ahead, otherwise tomorrow.
- An explicit date in the past (今天8点 at 10:00) is returned as parsed; the caller decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import dateparser

LANGUAGES = ["zh", "en"]
DEFAULT_HOUR = time(9, 0)
MAX_LENGTH = 100  # a date phrase, not a paragraph
MAX_SEARCH_LENGTH = 500  # find_when looks inside a clause of a message

# --- words → numbers -----------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_WEEKDAYS = {
    "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
    "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6,
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
# word → (days from today, the part of the day the word implies)
_RELATIVE_DAYS: dict[str, tuple[int, str | None]] = {
    "今天": (0, None), "今日": (0, None), "今晚": (0, "晚上"), "今早": (0, "早上"),
    "明天": (1, None), "明日": (1, None), "明晚": (1, "晚上"), "明早": (1, "早上"),
    "后天": (2, None), "大后天": (3, None),
    "today": (0, None), "tonight": (0, "tonight"), "this morning": (0, "morning"),
    "this afternoon": (0, "afternoon"), "this evening": (0, "evening"),
    "tomorrow": (1, None), "tomorow": (1, None), "tmrw": (1, None), "tmr": (1, None),
    "day after tomorrow": (2, None),
}  # fmt: skip
# part of the day → (default hour, how an hour said with it is read)
_PARTS: dict[str, tuple[int, str]] = {
    "凌晨": (6, "am"), "清晨": (7, "am"), "早上": (9, "am"), "早晨": (9, "am"),
    "上午": (9, "am"), "morning": (9, "am"),
    "中午": (12, "noon"), "noon": (12, "noon"), "midday": (12, "noon"),
    "lunchtime": (12, "noon"), "lunch": (12, "noon"),
    "下午": (15, "pm"), "afternoon": (15, "pm"), "傍晚": (18, "pm"), "evening": (18, "pm"),
    "晚上": (19, "night"), "晚间": (19, "night"), "夜里": (21, "night"), "夜间": (21, "night"),
    "night": (20, "night"), "tonight": (20, "night"),
}  # fmt: skip
_CN_NUMERAL = "零〇一二两三四五六七八九十"


def _number(word: str) -> int | None:
    """12, １２, 十二, 二十五, 两, 零五, three → the number; None for anything else."""
    word = word.strip().lower()
    if word.isdecimal():  # also full-width digits, which int() reads
        return int(word)
    if word in _EN_NUMBERS:
        return _EN_NUMBERS[word]
    if not word or any(c not in _CN_NUMERAL for c in word):
        return None
    if "十" in word:  # 十 = 10, 十五 = 15, 二十 = 20, 二十五 = 25
        tens, _, ones = word.partition("十")
        if "十" in ones or len(tens) > 1 or len(ones) > 1:
            return None
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
    value = 0
    for c in word:  # 零五 = 05
        value = value * 10 + _CN_DIGITS[c]
    return value


# --- the grammar ---------------------------------------------------------------------------------
# English words need boundaries of their own: \b does not separate "明天" from "3pm" (both count
# as word characters), and Chinese words need none (下周二下午3点 has no spaces).
_B = r"(?<![A-Za-z0-9])"
_E = r"(?![A-Za-z])"


def _words(table: dict[str, object]) -> str:
    """An alternation of the table's words, longest first so that 大后天 wins over 后天."""

    def word(w: str) -> str:
        pattern = re.escape(w).replace(r"\ ", r"\s+")
        return f"{_B}{pattern}{_E}" if w.isascii() else pattern

    return "|".join(word(w) for w in sorted(table, key=len, reverse=True))


_NUM = rf"\d{{1,2}}|[{_CN_NUMERAL}]{{1,3}}"
_COUNT = rf"\d{{1,3}}|[{_CN_NUMERAL}]{{1,3}}|{_words(_EN_NUMBERS)}"
_WEEKDAY_EN = (
    rf"(?:{_words({k: v for k, v in _WEEKDAYS.items() if k.isalpha() and k.isascii()})})\.?"
)
_MONTH_EN = rf"(?:{_words(_MONTHS)})\.?"
_ORDINAL = r"(?:st|nd|rd|th)"
_AMPM = rf"[ap]\.?m{_E}\.?"
_AT = rf"{_B}(?:at|around|about|by|@)\s*"


@dataclass(frozen=True)
class _Day:
    day: date
    roll: int = 0  # days to add while the result is not after now (weekdays 7, times alone 1)
    part: str | None = None  # a part of the day the word implies (今晚 → 晚上)


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int = 0
    meridiem: str | None = None  # "am" / "pm" when typed
    exact: bool = False  # a two-digit clock hour ("03:30", "15:00"), read as 24-hour
    bare: bool = False  # a lone number ("tomorrow 9"), only a time right after a date


_Resolve = Callable[[re.Match[str], date], "_Day | None"]


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: str
    resolve: _Resolve


def _next_date(today: date, month: int, day: int, year: int | None = None) -> date | None:
    """The date; without a year its next occurrence, today included (29 Feb waits for a leap)."""
    if year is not None:
        return _safe_date(year, month, day)
    for y in range(today.year, today.year + 9):
        candidate = _safe_date(y, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_day(today: date, day: int, months_ahead: int) -> date | None:
    """Day `day` of the month `months_ahead` from now; this month's only if not yet past."""
    for ahead in range(months_ahead, months_ahead + 12):
        year, month = divmod(today.month - 1 + ahead, 12)
        candidate = _safe_date(today.year + year, month + 1, day)
        if months_ahead and ahead == months_ahead and candidate is None:
            return None  # 下个月31号 in a 30-day month is a mistake, not "some later month"
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _iso(m: re.Match[str], today: date) -> _Day | None:
    found = _safe_date(int(m["iso_y"]), int(m["iso_m"]), int(m["iso_d"]))
    return _Day(found) if found else None


def _zh_month_day(m: re.Match[str], today: date) -> _Day | None:
    month, day = _number(m["zmd_m"]), _number(m["zmd_d"])
    found = _next_date(today, month, day) if month and day else None
    return _Day(found) if found else None


def _en_month_day(m: re.Match[str], today: date) -> _Day | None:
    month = _MONTHS[m["emd_mon"].lower().rstrip(".")]
    year = int(m["emd_y"]) if m["emd_y"] else None
    found = _next_date(today, month, int(m["emd_d"]), year)
    return _Day(found) if found else None


def _en_day_month(m: re.Match[str], today: date) -> _Day | None:
    month = _MONTHS[m["edm_mon"].lower().rstrip(".")]
    year = int(m["edm_y"]) if m["edm_y"] else None
    found = _next_date(today, month, int(m["edm_d"]), year)
    return _Day(found) if found else None


def _count_later(m: re.Match[str], today: date) -> _Day | None:
    count = _number(m["cl_n"] or m["in_n"])
    unit = (m["cl_unit"] or m["in_unit"]).lower()
    if count is None:
        return None
    days = count * 7 if any(w in unit for w in ("周", "星期", "礼拜", "week")) else count
    return _Day(today + timedelta(days=days))


def _zh_next_month(m: re.Match[str], today: date) -> _Day | None:
    day = _number(m["znm_d"])
    found = _month_day(today, day, months_ahead=1) if day else None
    return _Day(found) if found else None


def _en_day_of_month(m: re.Match[str], today: date) -> _Day | None:
    next_month = bool(m["edom_nm1"] or m["edom_nm2"])
    found = _month_day(today, int(m["edom_d"]), months_ahead=int(next_month))
    return _Day(found) if found else None


def _zh_day_of_month(m: re.Match[str], today: date) -> _Day | None:
    day = _number(m["zdom_d"])
    found = _month_day(today, day, months_ahead=0) if day else None
    return _Day(found) if found else None


def _monday(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _coming(today: date, weekday: int) -> date:
    """The next date with this weekday, today included."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _zh_weekday(m: re.Match[str], today: date) -> _Day:
    weekday = _WEEKDAYS[m["zw_d"]]
    weeks = {"下下": 2, "下": 1, "这": 0, "本": 0, "上": -1}.get(m["zw_prefix"] or "")
    if weeks is None:  # 周五: the coming one, rolled a week on if its time has passed
        return _Day(_coming(today, weekday), roll=7)
    return _Day(_monday(today) + timedelta(weeks=weeks, days=weekday))


def _en_weekday_next_week(m: re.Match[str], today: date) -> _Day:
    weekday = _WEEKDAYS[(m["enw_d1"] or m["enw_d2"]).lower().rstrip(".")]
    return _Day(_monday(today) + timedelta(weeks=1, days=weekday))


def _en_weekday(m: re.Match[str], today: date) -> _Day:
    weekday = _WEEKDAYS[m["ewd_d"].lower().rstrip(".")]
    prefix = " ".join((m["ewd_prefix"] or "").lower().split())
    if prefix in ("next", "coming", "this coming"):  # dateparser's "next": today excluded
        return _Day(_coming(today + timedelta(days=1), weekday))
    if prefix == "this":
        return _Day(_coming(today, weekday))
    return _Day(_coming(today, weekday), roll=7)


def _next_period(m: re.Match[str], today: date) -> _Day:
    """下周 / next week: a week from today; 下个月 / next month: its first day (as dateparser)."""
    if "月" in m["np_unit"] or "month" in m["np_unit"].lower():
        return _Day(_month_day(today, 1, months_ahead=1) or today)
    return _Day(today + timedelta(weeks=1))


def _relative_day(m: re.Match[str], today: date) -> _Day:
    word = " ".join(m["rel"].lower().split()).removeprefix("the ")
    days, part = _RELATIVE_DAYS[word]
    return _Day(today + timedelta(days=days), part=part)


# Order matters where two rules can start at the same place: 3日后 is a count, not the 3rd;
# 12月3日 is a month and a day, not the 12th.
_DATE_RULES = [
    _Rule(
        "iso",
        r"(?<!\d)(?P<iso_y>\d{4})\s*[-/.年]\s*(?P<iso_m>\d{1,2})\s*[-/.月]\s*(?P<iso_d>\d{1,2})"
        r"(?!\d)\s*[日号]?",
        _iso,
    ),
    _Rule("zh_month_day", rf"(?P<zmd_m>{_NUM})\s*月\s*(?P<zmd_d>{_NUM})\s*[日号]?", _zh_month_day),
    _Rule(
        "en_month_day",
        rf"(?P<emd_mon>{_MONTH_EN})\s*(?P<emd_d>\d{{1,2}}){_ORDINAL}?(?!\d){_E}"
        rf"(?:,?\s*(?P<emd_y>\d{{4}})(?![\d:]))?",
        _en_month_day,
    ),
    _Rule(
        "en_day_month",
        rf"{_B}(?P<edm_d>\d{{1,2}}){_ORDINAL}?\s*(?:of\s+)?(?P<edm_mon>{_MONTH_EN})"
        rf"(?:,?\s*(?P<edm_y>\d{{4}})(?![\d:]))?",
        _en_day_month,
    ),
    _Rule(
        "count_later",
        rf"(?:(?P<cl_n>{_COUNT})\s*(?P<cl_unit>天|日|周|个?星期|个?礼拜|days?{_E}|weeks?{_E})"
        rf"\s*(?:以后|之后|后|later{_E}|from\s+now{_E})"
        rf"|{_B}in\s+(?P<in_n>{_COUNT})\s+(?P<in_unit>days?|weeks?){_E})",
        _count_later,
    ),
    _Rule("zh_next_month", rf"下个?月\s*(?P<znm_d>{_NUM})\s*[号日]", _zh_next_month),
    _Rule(
        "en_day_of_month",
        rf"(?:{_B}(?P<edom_nm1>next\s+month)\s+(?:on\s+)?)?(?:{_B}the\s+)?"
        rf"{_B}(?P<edom_d>\d{{1,2}}){_ORDINAL}{_E}(?:\s+(?:of\s+)?(?P<edom_nm2>next\s+month))?",
        _en_day_of_month,
    ),
    _Rule("zh_day_of_month", rf"(?P<zdom_d>{_NUM})\s*[号日]", _zh_day_of_month),
    _Rule(
        "zh_weekday",
        r"(?P<zw_prefix>下下|下|这|本|上)?\s*个?(?:周|星期|礼拜)(?P<zw_d>[一二三四五六日天1-7])",
        _zh_weekday,
    ),
    _Rule(
        "en_weekday_next_week",
        rf"{_B}(?:next\s+week\s+(?:on\s+)?(?P<enw_d1>{_WEEKDAY_EN})"
        rf"|(?P<enw_d2>{_WEEKDAY_EN})\s+(?:of\s+)?next\s+week{_E})",
        _en_weekday_next_week,
    ),
    _Rule(
        "en_weekday",
        rf"(?:{_B}(?P<ewd_prefix>this\s+coming|this|next|coming)\s+)?(?P<ewd_d>{_WEEKDAY_EN})",
        _en_weekday,
    ),
    _Rule(
        "next_period",
        rf"(?P<np_unit>下个?月|下周|下星期|下礼拜|{_B}next\s+(?:month|week){_E})",
        _next_period,
    ),
    _Rule(
        "relative",
        rf"(?P<rel>{_words(_RELATIVE_DAYS)}|{_B}the\s+day\s+after\s+tomorrow{_E})",
        _relative_day,
    ),
]

_DATE = "|".join(f"(?P<{r.name}>{r.pattern})" for r in _DATE_RULES)
_ON = rf"(?:{_B}(?:on|by)\s+)?"  # "on Friday": left out of the phrase found
_PART = rf"(?:{_B}in\s+the\s+|{_B}around\s+)?(?P<part>{_words(_PARTS)})"
_CLOCK = (
    # 3点, 三点半, 十点一刻, 3点15分, 15点
    rf"(?P<zh_h>{_NUM})\s*[点點时時]\s*钟?\s*"
    rf"(?:(?P<zh_half>半)|(?P<zh_quarter>[一三])\s*刻|(?P<zh_m>{_NUM})\s*分?)?"
    # 15:00, 3:30pm, at 10:30
    rf"|(?:{_AT})?(?P<colon_h>\d{{1,2}})\s*[:：]\s*(?P<colon_m>\d{{2}})(?:\s*(?P<colon_ampm>{_AMPM}))?"
    # 3pm, 10 am, at 3 p.m.
    rf"|(?:{_AT})?(?P<ampm_h>\d{{1,2}})\s*(?P<ampm>{_AMPM})"
    # 3 o'clock
    rf"|(?:{_AT})?(?P<oclock_h>\d{{1,2}}|{_words(_EN_NUMBERS)})\s*o['’]?clock{_E}"
    # at 3
    rf"|{_AT}(?P<at_h>\d{{1,2}})(?![\d:.])(?!\s*{_ORDINAL}{_E})"
    # tomorrow 9: a lone number, accepted only right after a date
    rf"|(?P<bare_h>\d{{1,2}})(?![\d:./-])(?!\s*(?:{_ORDINAL}|[a-z]|[号日点月天时周个]))"
)
_SEP = r"[\s,，]*"
# One phrase: a date, a part of the day, a time, each optional but in this order...
_WHEN = re.compile(
    rf"{_ON}(?P<date>{_DATE})?{_SEP}(?P<part_all>{_PART})?{_SEP}(?P<clock>{_CLOCK})?", re.IGNORECASE
)
# ... or a time followed by its date ("3pm Friday", "at 10 on Dec 3").
_DATE_AFTER = re.compile(rf"{_SEP}{_ON}(?P<date>{_DATE})", re.IGNORECASE)
# Words that may surround a date without changing it: 大概明天, 周五前, "by Friday", "Friday-ish".
_FILLER_BEFORE = re.compile(r"(?:在|于|约|大概|大约|预计|大约在|on|by|around|about)?", re.I)
_FILLER_AFTER = re.compile(
    r"(?:左右|前后|之前|以前|前|或者更早|or\s+so|-?ish|at\s+the\s+latest)?", re.I
)


def _is_filler(text: str, filler: re.Pattern[str]) -> bool:
    """True if text is only filler words, spaces, punctuation or emoji."""
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    return filler.fullmatch(text.strip()) is not None


def _clock(m: re.Match[str]) -> _Clock | None:
    if m["zh_h"]:
        hour = _number(m["zh_h"])
        if m["zh_half"]:
            minute = 30
        elif m["zh_quarter"]:
            minute = 15 if m["zh_quarter"] == "一" else 45
        else:
            minute = _number(m["zh_m"]) if m["zh_m"] else 0
        return _Clock(hour, minute) if hour is not None and minute is not None else None
    if m["colon_h"]:
        meridiem = m["colon_ampm"][0].lower() + "m" if m["colon_ampm"] else None
        exact = meridiem is None and len(m["colon_h"]) == 2  # "03:30", "15:00"; not "3:30"
        return _Clock(int(m["colon_h"]), int(m["colon_m"]), meridiem, exact=exact)
    if m["ampm_h"]:
        return _Clock(int(m["ampm_h"]), 0, m["ampm"][0].lower() + "m")
    if m["oclock_h"]:
        hour = _number(m["oclock_h"])
        return _Clock(hour) if hour is not None else None
    if m["at_h"]:
        return _Clock(int(m["at_h"]))
    if m["bare_h"]:
        return _Clock(int(m["bare_h"]), bare=True)
    return None


def _time_of_day(part: str | None, clock: _Clock | None) -> timedelta | None:
    """Time after midnight; may pass 24:00 (晚上12点 is midnight at the end of the day)."""
    default_hour, reading = _PARTS[part] if part else (DEFAULT_HOUR.hour, None)
    if clock is None:
        return timedelta(hours=default_hour)
    hour = clock.hour
    if hour > 24 or clock.minute > 59:
        return None
    if clock.meridiem == "pm" or (clock.meridiem is None and reading == "pm"):
        hour += 12 if hour < 12 else 0
    elif clock.meridiem == "am":
        hour = 0 if hour == 12 else hour
    elif reading == "night":  # 晚上8点 → 20:00, 晚上12点 → 24:00, 夜里2点 → 26:00
        hour += 24 if hour < 5 else 12 if hour <= 12 else 0
    elif reading == "noon":  # 中午1点 → 13:00
        hour += 12 if hour < 6 else 0
    elif reading is None and not clock.exact and 1 <= hour <= 6:
        hour += 12  # working hours: "3点", "at 3" mean the afternoon
    return timedelta(hours=hour, minutes=clock.minute)


def _date_of(m: re.Match[str], today: date) -> _Day | None:
    for rule in _DATE_RULES:
        if m[rule.name] is not None:
            return rule.resolve(m, today)
    return None


def _part_of(m: re.Match[str]) -> str | None:
    if not m["part"]:
        return None
    return " ".join(m["part"].lower().split())


def _resolve(
    m: re.Match[str], date_match: re.Match[str] | None, local_now: datetime
) -> datetime | None:
    today = local_now.date()
    day = _Day(today, roll=1)  # a time alone: today, or tomorrow once it has passed
    if date_match is not None:
        found = _date_of(date_match, today)
        if found is None:
            return None
        day = found
    clock = _clock(m) if m["clock"] else None
    if clock is not None and clock.bare and date_match is not m:
        return None  # "3" alone, or "3 Friday", is not a time
    offset = _time_of_day(_part_of(m) or day.part, clock)
    if offset is None:
        return None
    result = datetime.combine(day.day, time()) + offset
    while day.roll and result <= local_now:
        result += timedelta(days=day.roll)
    return result


def _scan(text: str, local_now: datetime) -> Iterator[tuple[int, int, datetime]]:
    """Every date phrase the grammar finds in text: (start, end, local naive datetime)."""
    for m in _WHEN.finditer(text):
        found = [g for g in ("date", "part_all", "clock") if m[g]]
        if not found:
            continue
        start, end = m.start(found[0]), m.end(found[-1])
        date_match: re.Match[str] | None = m if m["date"] else None
        if date_match is None:
            after = _DATE_AFTER.match(text, end)
            if after is not None:
                date_match, end = after, after.end()
        when = _resolve(m, date_match, local_now)
        if when is not None:
            yield start, end, when


def _grammar(text: str, local_now: datetime) -> datetime | None:
    """The grammar's reading of text, if one phrase makes up all of it."""
    first = next(_scan(text, local_now), None)
    if first is None:
        return None
    start, end, when = first
    if _is_filler(text[:start], _FILLER_BEFORE) and _is_filler(text[end:], _FILLER_AFTER):
        return when
    return None


# A time dateparser copied from RELATIVE_BASE (it reads "tomorrow" as "now + 1 day") is no time
# at all, unless the text names one or counts hours and minutes.
_NAMES_A_TIME = re.compile(
    r"\d\s*[:：点時时]|\d\s*[ap]\.?m|[点時时钟]|小时|分钟|秒|现在|马上|刚才|"
    r"hour|minute|min|sec|now|noon|midnight|morning|afternoon|evening|night|"
    r"上午|下午|中午|早上|晚上|凌晨|傍晚|今晚|明晚",
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
    docstring for how each phrasing is read.
    """
    text = text.strip()
    if not text or len(text) > MAX_LENGTH:
        return None
    local_now = _local_now(now, tz)
    parsed = _grammar(text, local_now) or _dateparser(text, local_now)
    return parsed.replace(tzinfo=tz) if parsed is not None else None


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
    for start, end, when in _scan(text, local_now):
        return FoundWhen(text[start:end], start, when.replace(tzinfo=tz))
    whole = parse_when(text, now, tz)
    if whole is None:
        return None
    return FoundWhen(text.strip(), len(text) - len(text.lstrip()), whole)
