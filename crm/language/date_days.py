"""Which day a matched date phrase means: one resolver per phrasing of crm.language.date_rules
(the rules themselves, in Chinese, English and Russian, are described there)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from crm.language.date_words import (
    MONTHS,
    RELATIVE_DAYS,
    RU_MONTHS,
    WEEKDAYS,
    number,
)


@dataclass(frozen=True)
class Day:
    day: date
    roll: int = 0  # days to add while the result is not after now (weekdays 7, times alone 1)
    part: str | None = None  # a part of the day the word implies (今晚 → 晚上)
    yearly: bool = False  # a date typed without its year (12月3日, 12/15): it recurs each year


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


def iso(m: re.Match[str], today: date) -> Day | None:
    found = _safe_date(int(m["iso_y"]), int(m["iso_m"]), int(m["iso_d"]))
    return Day(found) if found else None


def zh_month_day(m: re.Match[str], today: date) -> Day | None:
    month, day = number(m["zmd_m"]), number(m["zmd_d"])
    found = _next_date(today, month, day) if month and day else None
    return Day(found, yearly=True) if found else None


def en_month_day(m: re.Match[str], today: date) -> Day | None:
    month = MONTHS[m["emd_mon"].lower().rstrip(".")]
    year = int(m["emd_y"]) if m["emd_y"] else None
    found = _next_date(today, month, int(m["emd_d"]), year)
    return Day(found, yearly=year is None) if found else None


def en_day_month(m: re.Match[str], today: date) -> Day | None:
    month = MONTHS[m["edm_mon"].lower().rstrip(".")]
    year = int(m["edm_y"]) if m["edm_y"] else None
    found = _next_date(today, month, int(m["edm_d"]), year)
    return Day(found, yearly=year is None) if found else None


def count_later(m: re.Match[str], today: date) -> Day | None:
    count = number(m["cl_n"] or m["in_n"])
    unit = (m["cl_unit"] or m["in_unit"]).lower()
    if count is None:
        return None
    days = count * 7 if any(w in unit for w in ("周", "星期", "礼拜", "week")) else count
    return Day(today + timedelta(days=days))


def zh_next_month(m: re.Match[str], today: date) -> Day | None:
    day = number(m["znm_d"])
    found = _month_day(today, day, months_ahead=1) if day else None
    return Day(found) if found else None


def en_day_of_month(m: re.Match[str], today: date) -> Day | None:
    next_month = bool(m["edom_nm1"] or m["edom_nm2"])
    found = _month_day(today, int(m["edom_d"]), months_ahead=int(next_month))
    return Day(found) if found else None


def zh_day_of_month(m: re.Match[str], today: date) -> Day | None:
    day = number(m["zdom_d"])
    found = _month_day(today, day, months_ahead=0) if day else None
    return Day(found) if found else None


def _monday(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _coming(today: date, weekday: int) -> date:
    """The next date with this weekday, today included."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def zh_weekday(m: re.Match[str], today: date) -> Day:
    weekday = WEEKDAYS[m["zw_d"]]
    weeks = {"下下": 2, "下": 1, "这": 0, "本": 0, "上": -1}.get(m["zw_prefix"] or "")
    if weeks is None:  # 周五: the coming one, rolled a week on if its time has passed
        return Day(_coming(today, weekday), roll=7)
    return Day(_monday(today) + timedelta(weeks=weeks, days=weekday))


def en_weekday_next_week(m: re.Match[str], today: date) -> Day:
    weekday = WEEKDAYS[(m["enw_d1"] or m["enw_d2"]).lower().rstrip(".")]
    return Day(_monday(today) + timedelta(weeks=1, days=weekday))


def en_weekday(m: re.Match[str], today: date) -> Day:
    weekday = WEEKDAYS[m["ewd_d"].lower().rstrip(".")]
    prefix = " ".join((m["ewd_prefix"] or "").lower().split())
    if prefix in ("next", "coming", "this coming"):  # dateparser's "next": today excluded
        return Day(_coming(today + timedelta(days=1), weekday))
    if prefix == "this":
        return Day(_coming(today, weekday))
    if prefix == "last":  # the latest one before today
        return Day(_latest_before(today, weekday))
    return Day(_coming(today, weekday), roll=7)


def _latest_before(today: date, weekday: int) -> date:
    return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)


def slash(m: re.Match[str], today: date) -> Day | None:
    """12/15: month and day, as Chinese and American reps write them."""
    found = _next_date(today, int(m["sl_m"]), int(m["sl_d"]))
    return Day(found, yearly=True) if found else None


def count_ago(m: re.Match[str], today: date) -> Day | None:
    count = number(m["ca_n"] or m["cr_n"] or "")
    unit = (m["ca_unit"] or m["cr_unit"]).lower()
    if count is None:
        return None
    weeks = any(w in unit for w in ("周", "星期", "礼拜", "week", "недел"))
    return Day(today - timedelta(days=count * 7 if weeks else count))


def weekend(m: re.Match[str], today: date) -> Day:
    """周末 / this weekend: the coming Saturday; 下周末 / next weekend: next week's."""
    if m["we_next"]:
        return Day(_monday(today) + timedelta(weeks=1, days=5))
    return Day(_coming(today, 5), roll=7)


def month_edge(m: re.Match[str], today: date) -> Day | None:
    """月底 / end of month: the month's last day; 月初 / early next month: the next month's 1st."""
    edge = m["me_edge"].lower()
    ahead = 1 if m["me_next"] or "next" in edge or "следующ" in edge else 0
    if any(w in edge for w in ("初", "begin", "start", "early", "начал")):
        return Day(_month_day(today, 1, months_ahead=max(ahead, 1)) or today)
    year, month = divmod(today.month - 1 + ahead, 12)
    first = date(today.year + year, month + 1, 1)
    return Day((first + timedelta(days=32)).replace(day=1) - timedelta(days=1))


def next_period(m: re.Match[str], today: date) -> Day:
    """下周 / next week: a week from today; 下个月 / next month: its first day (as dateparser)."""
    if "月" in m["np_unit"] or "month" in m["np_unit"].lower():
        return Day(_month_day(today, 1, months_ahead=1) or today)
    return Day(today + timedelta(weeks=1))


def ru_day_month(m: re.Match[str], today: date) -> Day | None:
    month = RU_MONTHS[m["rdm_mon"].lower().rstrip(".")]
    year = int(m["rdm_y"]) if m["rdm_y"] else None
    found = _next_date(today, month, int(m["rdm_d"]), year)
    return Day(found, yearly=year is None) if found else None


def dotted(m: re.Match[str], today: date) -> Day | None:
    found = _safe_date(int(m["dot_y"]), int(m["dot_m"]), int(m["dot_d"]))
    return Day(found) if found else None


def ru_count(m: re.Match[str], today: date) -> Day | None:
    count = number(m["rc_n"]) if m["rc_n"] else 1  # через неделю: one week
    if count is None:
        return None
    days = count * 7 if m["rc_unit"].lower().startswith("недел") else count
    return Day(today + timedelta(days=days))


def ru_next_week_weekday(m: re.Match[str], today: date) -> Day:
    weekday = WEEKDAYS[(m["rnw_d1"] or m["rnw_d2"]).lower().rstrip(".")]
    return Day(_monday(today) + timedelta(weeks=1, days=weekday))


def ru_weekday(m: re.Match[str], today: date) -> Day:
    weekday = WEEKDAYS[m["rw_d"].lower().rstrip(".")]
    prefix = (m["rw_prefix"] or "").lower()
    if prefix.startswith("следующ"):
        return Day(_monday(today) + timedelta(weeks=1, days=weekday))
    if prefix.startswith("эт"):
        return Day(_monday(today) + timedelta(days=weekday))
    if prefix.startswith("прошл"):
        return Day(_latest_before(today, weekday))
    return Day(_coming(today, weekday), roll=7)  # во вторник, в ближайший вторник


def ru_next_period(m: re.Match[str], today: date) -> Day:
    if "месяц" in m["rnp"].lower():
        return Day(_month_day(today, 1, months_ahead=1) or today)
    return Day(today + timedelta(weeks=1))


def ru_day_of_month(m: re.Match[str], today: date) -> Day | None:
    found = _month_day(today, int(m["rdom_d"]), months_ahead=0)
    return Day(found) if found else None


def relative_day(m: re.Match[str], today: date) -> Day:
    word = " ".join(m["rel"].lower().split()).removeprefix("the ")
    days, part = RELATIVE_DAYS[word]
    return Day(today + timedelta(days=days), part=part)


def _after_new_year(today: date) -> date:
    """The first working day after New Year's Day (元旦后, after new year): 2 Jan, or the Monday
    after if that is a weekend."""
    day = date(today.year + (1 if today.month == 12 else 0), 1, 2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def year_edge(m: re.Match[str], today: date) -> Day | None:
    word = " ".join(m["ye"].lower().split())
    if word in ("年底", "年末") or "end" in word or "конце" in word:
        return Day(date(today.year, 12, 31))
    if word.startswith("节") and today.month not in (12, 1):
        return None  # 节后 means the next holiday; only New Year's is known here
    return Day(_after_new_year(today))


def month_dot(m: re.Match[str], today: date) -> Day | None:
    """12.15: month.day as Chinese reps write it, day.month in a Russian text (15.12);
    a number over 12 decides either way."""
    a, b = int(m["mdot_a"]), int(m["mdot_b"])
    day_first = bool(re.search(r"[А-Яа-яЁё]", m.string)) or a > 12
    month, day = (b, a) if day_first and b <= 12 else (a, b)
    found = _next_date(today, month, day) if 1 <= month <= 12 else None
    return Day(found, yearly=True) if found else None


def en_month_alone(m: re.Match[str], today: date) -> Day | None:
    """in jan, by March: the first of that month, its next occurrence."""
    month = MONTHS[m["ema_mon"].lower().rstrip(".")]
    found = _next_date(today, month, 1)
    return Day(found, yearly=True) if found else None
