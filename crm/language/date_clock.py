"""Which time of day a phrase means, for crm.language.dates: parts of the day and clock times.

The rules:
- A date without a time means 09:00. Parts of the day: 上午/早上/morning 09:00, 中午/noon 12:00,
  下午/afternoon 15:00, 傍晚 and evening 18:00, 晚上/今晚 19:00, tonight/night 20:00 (the English
  values are the ones dateparser always gave).
- An hour from 1 to 6 with no 上午/下午/am/pm ("3点", "at 3", "3:30") is in the afternoon: reps
  meet customers in working hours. A two-digit clock hour ("15:00", "03:30") is read as 24-hour.
- 下午3点 → 15:00, 晚上8点 → 20:00, 中午1点 → 13:00, 晚上12点 → 00:00 the next day.
- Russian: утром 09:00, в обед/в полдень 12:00, днём/после обеда 15:00, вечером 19:00, ночью
  21:00; в 3 часа дня → 15:00, в 10 утра → 10:00, в 7 вечера → 19:00, в 2 ночи → 02:00;
  в 15:00 or в 15.30 as typed; в 3 / в 3 часа alone is in the afternoon, as 3点.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

from crm.language.date_words import (
    EN_END,
    EN_NUMBERS,
    EN_START,
    NUM,
    ORDINAL,
    PARTS,
    RU_END,
    RU_START,
    number,
    words,
)

DEFAULT_HOUR = time(9, 0)

_AMPM = rf"[ap]\.?m{EN_END}\.?"
_AT = rf"(?:{EN_START}(?:at|around|about|by|@)|{RU_START}(?:в|к|около){RU_END})\s*"
# в 3 часа дня, в 10 утра: the Russian word for the part of the day works as am/pm.
_RU_MERIDIEM = {"утра": "am", "дня": "pm", "вечера": "pm", "ночи": "am"}

PART = rf"(?:{EN_START}in\s+the\s+|{EN_START}around\s+|{RU_START}в\s+)?(?P<part>{words(PARTS)})"
CLOCK = (
    # 3点, 三点半, 十点一刻, 3点15分, 15点
    rf"(?P<zh_h>{NUM})\s*[点點时時]\s*钟?\s*"
    rf"(?:(?P<zh_half>半)|(?P<zh_quarter>[一三])\s*刻|(?P<zh_m>{NUM})\s*分?)?"
    # в 3 часа дня, в 10 утра, в 3 дня
    rf"|{_AT}(?P<ru_h>\d{{1,2}})(?:\s*[:.]\s*(?P<ru_m>\d{{2}}))?\s*(?:час(?:а|ов)?{RU_END}\s*)?"
    rf"(?P<ru_part>{'|'.join(_RU_MERIDIEM)}){RU_END}"
    # 3 часа дня, 10 утра, 7:30 вечера; but "3 дня" alone is three days
    rf"|(?P<rub_h>\d{{1,2}})(?:\s*[:.]\s*(?P<rub_m>\d{{2}}))?\s*"
    rf"(?:час(?:а|ов)?{RU_END}\s*(?P<rub_part>{'|'.join(_RU_MERIDIEM)})|(?P<rub_part2>утра|вечера|ночи))"
    rf"{RU_END}"
    # в 3 часа
    rf"|(?:{_AT})?(?P<ruh_h>\d{{1,2}})\s*час(?:а|ов)?{RU_END}"
    # в 15.30
    rf"|{RU_START}(?:в|к|около)\s*(?P<rudot_h>\d{{1,2}})\.(?P<rudot_m>\d{{2}})(?![\d.])"
    # 15:00, 3:30pm, at 10:30
    rf"|(?:{_AT})?(?P<colon_h>\d{{1,2}})\s*[:：]\s*(?P<colon_m>\d{{2}})(?:\s*(?P<colon_ampm>{_AMPM}))?"
    # 3pm, 10 am, at 3 p.m.
    rf"|(?:{_AT})?(?P<ampm_h>\d{{1,2}})\s*(?P<ampm>{_AMPM})"
    # 3 o'clock
    rf"|(?:{_AT})?(?P<oclock_h>\d{{1,2}}|{words(EN_NUMBERS)})\s*o['’]?clock{EN_END}"
    # at 3
    rf"|{_AT}(?P<at_h>\d{{1,2}})(?![\d:.])(?!\s*{ORDINAL}{EN_END})"
    # tomorrow 9: a lone number, accepted only right after a date
    rf"|(?P<bare_h>\d{{1,2}})(?![\d:./-])(?!\s*(?:{ORDINAL}|[a-z]|[号日点月天时周个]))"
)


@dataclass(frozen=True)
class Clock:
    hour: int
    minute: int = 0
    meridiem: str | None = None  # "am" / "pm" when typed
    exact: bool = False  # a two-digit clock hour ("03:30", "15:00"), read as 24-hour
    bare: bool = False  # a lone number ("tomorrow 9"), only a time right after a date


def clock_of(m: re.Match[str]) -> Clock | None:
    """The time a match of CLOCK names, as typed; None if its numbers are no numbers."""
    if m["zh_h"]:
        hour = number(m["zh_h"])
        if m["zh_half"]:
            minute = 30
        elif m["zh_quarter"]:
            minute = 15 if m["zh_quarter"] == "一" else 45
        else:
            minute = number(m["zh_m"]) if m["zh_m"] else 0
        return Clock(hour, minute) if hour is not None and minute is not None else None
    if m["ru_h"] or m["rub_h"]:
        hour, minute = (m["ru_h"], m["ru_m"]) if m["ru_h"] else (m["rub_h"], m["rub_m"])
        part = m["ru_part"] or m["rub_part"] or m["rub_part2"]
        return Clock(int(hour), int(minute) if minute else 0, _RU_MERIDIEM[part.lower()])
    if m["ruh_h"]:
        return Clock(int(m["ruh_h"]))
    if m["rudot_h"]:
        exact = len(m["rudot_h"]) == 2
        return Clock(int(m["rudot_h"]), int(m["rudot_m"]), exact=exact)
    if m["colon_h"]:
        meridiem = m["colon_ampm"][0].lower() + "m" if m["colon_ampm"] else None
        exact = meridiem is None and len(m["colon_h"]) == 2  # "03:30", "15:00"; not "3:30"
        return Clock(int(m["colon_h"]), int(m["colon_m"]), meridiem, exact=exact)
    if m["ampm_h"]:
        return Clock(int(m["ampm_h"]), 0, m["ampm"][0].lower() + "m")
    if m["oclock_h"]:
        hour = number(m["oclock_h"])
        return Clock(hour) if hour is not None else None
    if m["at_h"]:
        return Clock(int(m["at_h"]))
    if m["bare_h"]:
        return Clock(int(m["bare_h"]), bare=True)
    return None


def part_of(m: re.Match[str]) -> str | None:
    """The part of the day a match of PART names, as a key of PARTS."""
    if not m["part"]:
        return None
    return " ".join(m["part"].lower().split())


def time_of_day(part: str | None, clock: Clock | None) -> timedelta | None:
    """Time after midnight; may pass 24:00 (晚上12点 is midnight at the end of the day)."""
    default_hour, reading = PARTS[part] if part else (DEFAULT_HOUR.hour, None)
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
