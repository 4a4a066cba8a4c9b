"""Which day a date phrase means, for dates: one rule per phrasing, in Chinese, English and
Russian.

The rules, all in the rep's time zone:
- A date without a year (12月3日, Dec 3, 5号, the 5th) is its next occurrence, today included.
- 周五 / 星期五 / Friday: the first such day whose time (given or default) is still ahead; so on a
  Tuesday at 09:00 "周二" is next Tuesday, "周二下午" this afternoon.
- 下周二 / 下星期二 / 下礼拜二: Tuesday of the next calendar week (weeks start on Monday), as
  Chinese speakers mean it; 这周二/本周二 is this week's, even if already past. English "next
  Tuesday" keeps dateparser's meaning, the coming Tuesday (today excluded); "this Friday" is the
  coming Friday, today included.
- Russian: во вторник is the coming Tuesday, rolled a week on once its time has passed (as 周二);
  в следующий вторник and во вторник на следующей неделе are Tuesday of the next calendar week
  (as 下周二), в этот вторник this week's; через 3 дня / через неделю count from today;
  на следующей неделе is a week from today, в следующем месяце the first of the next month.
  5 декабря is its next occurrence; 05.12.2026 is day, month, year.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from crm.language.date_words import (
    COUNT,
    EN_END,
    EN_START,
    MONTH_EN,
    MONTH_RU,
    MONTHS,
    NUM,
    ORDINAL,
    RELATIVE_DAYS,
    RU_END,
    RU_MONTHS,
    RU_START,
    WEEKDAY_EN,
    WEEKDAY_RU,
    WEEKDAYS,
    number,
    words,
)


@dataclass(frozen=True)
class Day:
    day: date
    roll: int = 0  # days to add while the result is not after now (weekdays 7, times alone 1)
    part: str | None = None  # a part of the day the word implies (今晚 → 晚上)
    yearly: bool = False  # a date typed without its year (12月3日, 12/15): it recurs each year


_Resolve = Callable[[re.Match[str], date], "Day | None"]


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


def _iso(m: re.Match[str], today: date) -> Day | None:
    found = _safe_date(int(m["iso_y"]), int(m["iso_m"]), int(m["iso_d"]))
    return Day(found) if found else None


def _zh_month_day(m: re.Match[str], today: date) -> Day | None:
    month, day = number(m["zmd_m"]), number(m["zmd_d"])
    found = _next_date(today, month, day) if month and day else None
    return Day(found, yearly=True) if found else None


def _en_month_day(m: re.Match[str], today: date) -> Day | None:
    month = MONTHS[m["emd_mon"].lower().rstrip(".")]
    year = int(m["emd_y"]) if m["emd_y"] else None
    found = _next_date(today, month, int(m["emd_d"]), year)
    return Day(found, yearly=year is None) if found else None


def _en_day_month(m: re.Match[str], today: date) -> Day | None:
    month = MONTHS[m["edm_mon"].lower().rstrip(".")]
    year = int(m["edm_y"]) if m["edm_y"] else None
    found = _next_date(today, month, int(m["edm_d"]), year)
    return Day(found, yearly=year is None) if found else None


def _count_later(m: re.Match[str], today: date) -> Day | None:
    count = number(m["cl_n"] or m["in_n"])
    unit = (m["cl_unit"] or m["in_unit"]).lower()
    if count is None:
        return None
    days = count * 7 if any(w in unit for w in ("周", "星期", "礼拜", "week")) else count
    return Day(today + timedelta(days=days))


def _zh_next_month(m: re.Match[str], today: date) -> Day | None:
    day = number(m["znm_d"])
    found = _month_day(today, day, months_ahead=1) if day else None
    return Day(found) if found else None


def _en_day_of_month(m: re.Match[str], today: date) -> Day | None:
    next_month = bool(m["edom_nm1"] or m["edom_nm2"])
    found = _month_day(today, int(m["edom_d"]), months_ahead=int(next_month))
    return Day(found) if found else None


def _zh_day_of_month(m: re.Match[str], today: date) -> Day | None:
    day = number(m["zdom_d"])
    found = _month_day(today, day, months_ahead=0) if day else None
    return Day(found) if found else None


def _monday(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _coming(today: date, weekday: int) -> date:
    """The next date with this weekday, today included."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _zh_weekday(m: re.Match[str], today: date) -> Day:
    weekday = WEEKDAYS[m["zw_d"]]
    weeks = {"下下": 2, "下": 1, "这": 0, "本": 0, "上": -1}.get(m["zw_prefix"] or "")
    if weeks is None:  # 周五: the coming one, rolled a week on if its time has passed
        return Day(_coming(today, weekday), roll=7)
    return Day(_monday(today) + timedelta(weeks=weeks, days=weekday))


def _en_weekday_next_week(m: re.Match[str], today: date) -> Day:
    weekday = WEEKDAYS[(m["enw_d1"] or m["enw_d2"]).lower().rstrip(".")]
    return Day(_monday(today) + timedelta(weeks=1, days=weekday))


def _en_weekday(m: re.Match[str], today: date) -> Day:
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


def _slash(m: re.Match[str], today: date) -> Day | None:
    """12/15: month and day, as Chinese and American reps write them."""
    found = _next_date(today, int(m["sl_m"]), int(m["sl_d"]))
    return Day(found, yearly=True) if found else None


def _count_ago(m: re.Match[str], today: date) -> Day | None:
    count = number(m["ca_n"] or m["cr_n"] or "")
    unit = (m["ca_unit"] or m["cr_unit"]).lower()
    if count is None:
        return None
    weeks = any(w in unit for w in ("周", "星期", "礼拜", "week", "недел"))
    return Day(today - timedelta(days=count * 7 if weeks else count))


def _weekend(m: re.Match[str], today: date) -> Day:
    """周末 / this weekend: the coming Saturday; 下周末 / next weekend: next week's."""
    if m["we_next"]:
        return Day(_monday(today) + timedelta(weeks=1, days=5))
    return Day(_coming(today, 5), roll=7)


def _month_edge(m: re.Match[str], today: date) -> Day | None:
    """月底 / end of month: the month's last day; 月初 / early next month: the next month's 1st."""
    edge = m["me_edge"].lower()
    ahead = 1 if m["me_next"] or "next" in edge or "следующ" in edge else 0
    if any(w in edge for w in ("初", "begin", "start", "early", "начал")):
        return Day(_month_day(today, 1, months_ahead=max(ahead, 1)) or today)
    year, month = divmod(today.month - 1 + ahead, 12)
    first = date(today.year + year, month + 1, 1)
    return Day((first + timedelta(days=32)).replace(day=1) - timedelta(days=1))


def _next_period(m: re.Match[str], today: date) -> Day:
    """下周 / next week: a week from today; 下个月 / next month: its first day (as dateparser)."""
    if "月" in m["np_unit"] or "month" in m["np_unit"].lower():
        return Day(_month_day(today, 1, months_ahead=1) or today)
    return Day(today + timedelta(weeks=1))


def _ru_day_month(m: re.Match[str], today: date) -> Day | None:
    month = RU_MONTHS[m["rdm_mon"].lower().rstrip(".")]
    year = int(m["rdm_y"]) if m["rdm_y"] else None
    found = _next_date(today, month, int(m["rdm_d"]), year)
    return Day(found, yearly=year is None) if found else None


def _dotted(m: re.Match[str], today: date) -> Day | None:
    found = _safe_date(int(m["dot_y"]), int(m["dot_m"]), int(m["dot_d"]))
    return Day(found) if found else None


def _ru_count(m: re.Match[str], today: date) -> Day | None:
    count = number(m["rc_n"]) if m["rc_n"] else 1  # через неделю: one week
    if count is None:
        return None
    days = count * 7 if m["rc_unit"].lower().startswith("недел") else count
    return Day(today + timedelta(days=days))


def _ru_next_week_weekday(m: re.Match[str], today: date) -> Day:
    weekday = WEEKDAYS[(m["rnw_d1"] or m["rnw_d2"]).lower().rstrip(".")]
    return Day(_monday(today) + timedelta(weeks=1, days=weekday))


def _ru_weekday(m: re.Match[str], today: date) -> Day:
    weekday = WEEKDAYS[m["rw_d"].lower().rstrip(".")]
    prefix = (m["rw_prefix"] or "").lower()
    if prefix.startswith("следующ"):
        return Day(_monday(today) + timedelta(weeks=1, days=weekday))
    if prefix.startswith("эт"):
        return Day(_monday(today) + timedelta(days=weekday))
    if prefix.startswith("прошл"):
        return Day(_latest_before(today, weekday))
    return Day(_coming(today, weekday), roll=7)  # во вторник, в ближайший вторник


def _ru_next_period(m: re.Match[str], today: date) -> Day:
    if "месяц" in m["rnp"].lower():
        return Day(_month_day(today, 1, months_ahead=1) or today)
    return Day(today + timedelta(weeks=1))


def _ru_day_of_month(m: re.Match[str], today: date) -> Day | None:
    found = _month_day(today, int(m["rdom_d"]), months_ahead=0)
    return Day(found) if found else None


def _relative_day(m: re.Match[str], today: date) -> Day:
    word = " ".join(m["rel"].lower().split()).removeprefix("the ")
    days, part = RELATIVE_DAYS[word]
    return Day(today + timedelta(days=days), part=part)


# Order matters where two rules can start at the same place: 3日后 is a count, not the 3rd;
# 12月3日 is a month and a day, not the 12th.
DATE_RULES = [
    _Rule(
        "iso",
        r"(?<!\d)(?P<iso_y>\d{4})\s*[-/.年]\s*(?P<iso_m>\d{1,2})\s*[-/.月]\s*(?P<iso_d>\d{1,2})"
        r"(?!\d)\s*[日号]?",
        _iso,
    ),
    _Rule(
        "dotted",
        r"(?<![\d.])(?P<dot_d>\d{1,2})\.(?P<dot_m>\d{1,2})\.(?P<dot_y>\d{4})(?![\d.])",
        _dotted,
    ),
    _Rule(
        "slash",
        r"(?<![\d/.:])(?P<sl_m>1[0-2]|0?[1-9])\s*/\s*(?P<sl_d>3[01]|[12]\d|0?[1-9])(?![\d/])",
        _slash,
    ),
    _Rule(
        "month_edge",
        rf"(?P<me_next>下个?(?=月[底末初])|{EN_START}next\s+month['’]?s?\s+|{RU_START}следующего\s+месяца\s+)?"
        rf"(?P<me_edge>月底|月末|月初|{EN_START}(?:the\s+)?(?:end|beginning|start)\s+of\s+"
        rf"(?:the\s+|this\s+|next\s+)?month{EN_END}|{EN_START}early\s+next\s+month{EN_END}"
        rf"|{RU_START}(?:в\s+)?(?:конц[еа]|начал[еа])\s+(?:этого\s+|следующего\s+)?месяца{RU_END})",
        _month_edge,
    ),
    _Rule(
        "weekend",
        rf"(?P<we_next>下个?|{EN_START}next\s+)?(?:周末|礼拜天?末|{EN_START}(?:this\s+)?weekend{EN_END}"
        rf"|{RU_START}на\s+выходных{RU_END})",
        _weekend,
    ),
    _Rule(
        "count_ago",
        rf"(?:(?P<ca_n>{COUNT})\s*(?P<ca_unit>天|日|周|个?星期|个?礼拜|days?{EN_END}|weeks?{EN_END})"
        rf"\s*(?:以前|之前|前|ago{EN_END})"
        rf"|{RU_START}(?P<cr_n>{COUNT})\s*(?P<cr_unit>день|дня|дней|неделю|недели|недель)\s+назад{RU_END})",
        _count_ago,
    ),
    _Rule(
        "ru_day_month",
        rf"{RU_START}(?P<rdm_d>\d{{1,2}})(?:-?го)?\s*(?P<rdm_mon>{MONTH_RU})"
        rf"(?:\s*(?P<rdm_y>\d{{4}})(?![\d:])(?:\s*(?:года|г\.|г{RU_END}))?)?",
        _ru_day_month,
    ),
    _Rule(
        "ru_count",
        rf"{RU_START}через\s+(?:(?P<rc_n>{COUNT})\s*)?(?P<rc_unit>день|дня|дней|неделю|недели|недель)"
        rf"{RU_END}",
        _ru_count,
    ),
    _Rule(
        "ru_day_of_month",
        rf"{RU_START}(?P<rdom_d>\d{{1,2}})(?:-?го)?\s+числа{RU_END}",
        _ru_day_of_month,
    ),
    _Rule(
        "ru_next_week_weekday",
        rf"{RU_START}на\s+следующей\s+неделе\s*,?\s*(?:во?\s+)?(?P<rnw_d1>{WEEKDAY_RU})"
        rf"|(?:{RU_START}во?\s+)?(?P<rnw_d2>{WEEKDAY_RU})\s+на\s+следующей\s+неделе{RU_END}",
        _ru_next_week_weekday,
    ),
    _Rule(
        "ru_weekday",
        rf"(?:{RU_START}во?\s+)?(?:(?P<rw_prefix>следующ(?:ий|ую|ее)|прошл(?:ый|ую|ое)|эт(?:от|у|о)|ближайш(?:ий|ую|ее))"
        rf"\s+)?(?P<rw_d>{WEEKDAY_RU})",
        _ru_weekday,
    ),
    _Rule(
        "ru_next_period",
        rf"(?P<rnp>{RU_START}(?:на\s+следующей\s+неделе|в\s+следующем\s+месяце)){RU_END}",
        _ru_next_period,
    ),
    _Rule("zh_month_day", rf"(?P<zmd_m>{NUM})\s*月\s*(?P<zmd_d>{NUM})\s*[日号]?", _zh_month_day),
    _Rule(
        "en_month_day",
        rf"(?P<emd_mon>{MONTH_EN})\s*(?P<emd_d>\d{{1,2}}){ORDINAL}?(?!\d){EN_END}"
        rf"(?:,?\s*(?P<emd_y>\d{{4}})(?![\d:]))?",
        _en_month_day,
    ),
    _Rule(
        "en_day_month",
        rf"{EN_START}(?P<edm_d>\d{{1,2}}){ORDINAL}?\s*(?:of\s+)?(?P<edm_mon>{MONTH_EN})"
        rf"(?:,?\s*(?P<edm_y>\d{{4}})(?![\d:]))?",
        _en_day_month,
    ),
    _Rule(
        "count_later",
        rf"(?:(?P<cl_n>{COUNT})\s*(?P<cl_unit>天|日|周|个?星期|个?礼拜|days?{EN_END}|weeks?{EN_END})"
        rf"\s*(?:以后|之后|后|later{EN_END}|from\s+now{EN_END})"
        rf"|{EN_START}in\s+(?P<in_n>{COUNT})\s+(?P<in_unit>days?|weeks?){EN_END})",
        _count_later,
    ),
    _Rule("zh_next_month", rf"下个?月\s*(?P<znm_d>{NUM})\s*[号日]", _zh_next_month),
    _Rule(
        "en_day_of_month",
        rf"(?:{EN_START}(?P<edom_nm1>next\s+month)\s+(?:on\s+)?)?(?:{EN_START}the\s+)?"
        rf"{EN_START}(?P<edom_d>\d{{1,2}}){ORDINAL}{EN_END}"
        rf"(?:\s+(?:of\s+)?(?P<edom_nm2>next\s+month))?",
        _en_day_of_month,
    ),
    _Rule("zh_day_of_month", rf"(?P<zdom_d>{NUM})\s*[号日]", _zh_day_of_month),
    _Rule(
        "zh_weekday",
        r"(?P<zw_prefix>下下|下|这|本|上)?\s*个?(?:周|星期|礼拜)(?P<zw_d>[一二三四五六日天1-7])",
        _zh_weekday,
    ),
    _Rule(
        "en_weekday_next_week",
        rf"{EN_START}(?:next\s+week\s+(?:on\s+)?(?P<enw_d1>{WEEKDAY_EN})"
        rf"|(?P<enw_d2>{WEEKDAY_EN})\s+(?:of\s+)?next\s+week{EN_END})",
        _en_weekday_next_week,
    ),
    _Rule(
        "en_weekday",
        rf"(?:{EN_START}(?P<ewd_prefix>this\s+coming|this|next|coming|last)\s+)?(?P<ewd_d>{WEEKDAY_EN})",
        _en_weekday,
    ),
    _Rule(
        "next_period",
        rf"(?P<np_unit>下个?月|下周|下星期|下礼拜|{EN_START}next\s+(?:month|week){EN_END})",
        _next_period,
    ),
    _Rule(
        "relative",
        rf"(?P<rel>{words(RELATIVE_DAYS)}|{EN_START}the\s+day\s+after\s+tomorrow{EN_END})",
        _relative_day,
    ),
]


DATE = "|".join(f"(?P<{r.name}>{r.pattern})" for r in DATE_RULES)


def date_of(m: re.Match[str], today: date) -> Day | None:
    """The day of a match of DATE, by the rule that matched; None if it names no real day."""
    for rule in DATE_RULES:
        if m[rule.name] is not None:
            return rule.resolve(m, today)
    return None
