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
from datetime import date

from crm.language.date_days import (
    Day,
    count_ago,
    count_later,
    dotted,
    en_day_month,
    en_day_of_month,
    en_month_alone,
    en_month_day,
    en_weekday,
    en_weekday_next_week,
    iso,
    month_dot,
    month_edge,
    next_period,
    relative_day,
    ru_count,
    ru_day_month,
    ru_day_of_month,
    ru_next_period,
    ru_next_week_weekday,
    ru_weekday,
    slash,
    weekend,
    year_edge,
    zh_day_of_month,
    zh_month_day,
    zh_next_month,
    zh_weekday,
)
from crm.language.date_words import (
    COUNT,
    EN_END,
    EN_START,
    MONTH_EN,
    MONTH_RU,
    NUM,
    ORDINAL,
    RELATIVE_DAYS,
    RU_END,
    RU_START,
    WEEKDAY_EN,
    WEEKDAY_RU,
    words,
)

__all__ = ["DATE", "DATE_RULES", "Day", "date_of"]


_Resolve = Callable[[re.Match[str], date], "Day | None"]


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: str
    resolve: _Resolve


# Order matters where two rules can start at the same place: 3日后 is a count, not the 3rd;
# 12月3日 is a month and a day, not the 12th.
DATE_RULES = [
    _Rule(
        "iso",
        r"(?<!\d)(?P<iso_y>\d{4})\s*[-/.年]\s*(?P<iso_m>\d{1,2})\s*[-/.月]\s*(?P<iso_d>\d{1,2})"
        r"(?!\d)\s*[日号]?",
        iso,
    ),
    _Rule(
        "dotted",
        r"(?<![\d.])(?P<dot_d>\d{1,2})\.(?P<dot_m>\d{1,2})\.(?P<dot_y>\d{4})(?![\d.])",
        dotted,
    ),
    _Rule(
        "slash",
        r"(?<![\d/.:])(?P<sl_m>1[0-2]|0?[1-9])\s*/\s*(?P<sl_d>3[01]|[12]\d|0?[1-9])(?![\d/])",
        slash,
    ),
    _Rule(
        "month_edge",
        rf"(?P<me_next>下个?(?=月[底末初])|{EN_START}next\s+month['’]?s?\s+|{RU_START}следующего\s+месяца\s+)?"
        rf"(?P<me_edge>月底|月末|月初|{EN_START}(?:the\s+)?(?:end|beginning|start)\s+of\s+"
        rf"(?:the\s+|this\s+|next\s+)?month{EN_END}|{EN_START}early\s+next\s+month{EN_END}"
        rf"|{RU_START}(?:в\s+)?(?:конц[еа]|начал[еа])\s+(?:этого\s+|следующего\s+)?месяца{RU_END})",
        month_edge,
    ),
    _Rule(
        "year_edge",
        rf"(?P<ye>年底|年末|元旦(?:以后|之后|过后|后)|过完元旦|节后(?!天)"
        rf"|{EN_START}(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?year"
        rf"|after\s+(?:the\s+)?new\s+year(?:['’]s)?){EN_END}"
        rf"|{RU_START}(?:в\s+конце\s+года|после\s+нового\s+года){RU_END})",
        year_edge,
    ),
    _Rule(
        "month_dot",  # 12.15 (not 5.8万, 3.5w, 1.5倍: amounts)
        r"(?<![\d.,:/])(?P<mdot_a>\d{1,2})\.(?P<mdot_b>\d{1,2})(?![\d.,:/])"
        r"(?!\s*(?:万|w|W|k|K|元|块|吨|%|米|个|台|倍|亿|千|百|kg|m|分|折|公斤|度|小时|h\b))",
        month_dot,
    ),
    _Rule(
        "en_month_alone",
        rf"{EN_START}(?:in|by|early|until|till|from|mid)\s+(?P<ema_mon>{MONTH_EN})(?!\s*\d){EN_END}",
        en_month_alone,
    ),
    _Rule(
        "weekend",
        rf"(?P<we_next>下个?|{EN_START}next\s+)?(?:周末|礼拜天?末|{EN_START}(?:this\s+)?weekend{EN_END}"
        rf"|{RU_START}на\s+выходных{RU_END})",
        weekend,
    ),
    _Rule(
        "count_ago",
        rf"(?:(?P<ca_n>{COUNT})\s*(?P<ca_unit>天|日|周|个?星期|个?礼拜|days?{EN_END}|weeks?{EN_END})"
        rf"\s*(?:以前|之前|前|ago{EN_END})"
        rf"|{RU_START}(?P<cr_n>{COUNT})\s*(?P<cr_unit>день|дня|дней|неделю|недели|недель)\s+назад{RU_END})",
        count_ago,
    ),
    _Rule(
        "ru_day_month",
        rf"{RU_START}(?P<rdm_d>\d{{1,2}})(?:-?го)?\s*(?P<rdm_mon>{MONTH_RU})"
        rf"(?:\s*(?P<rdm_y>\d{{4}})(?![\d:])(?:\s*(?:года|г\.|г{RU_END}))?)?",
        ru_day_month,
    ),
    _Rule(
        "ru_count",
        rf"{RU_START}через\s+(?:(?P<rc_n>{COUNT})\s*)?(?P<rc_unit>день|дня|дней|неделю|недели|недель)"
        rf"{RU_END}",
        ru_count,
    ),
    _Rule(
        "ru_day_of_month",
        rf"{RU_START}(?P<rdom_d>\d{{1,2}})(?:-?го)?\s+числа{RU_END}",
        ru_day_of_month,
    ),
    _Rule(
        "ru_next_week_weekday",
        rf"{RU_START}на\s+следующей\s+неделе\s*,?\s*(?:во?\s+)?(?P<rnw_d1>{WEEKDAY_RU})"
        rf"|(?:{RU_START}во?\s+)?(?P<rnw_d2>{WEEKDAY_RU})\s+на\s+следующей\s+неделе{RU_END}",
        ru_next_week_weekday,
    ),
    _Rule(
        "ru_weekday",
        rf"(?:{RU_START}во?\s+)?(?:(?P<rw_prefix>следующ(?:ий|ую|ее)|прошл(?:ый|ую|ое)|эт(?:от|у|о)|ближайш(?:ий|ую|ее))"
        rf"\s+)?(?P<rw_d>{WEEKDAY_RU})",
        ru_weekday,
    ),
    _Rule(
        "ru_next_period",
        rf"(?P<rnp>{RU_START}(?:на\s+следующей\s+неделе|в\s+следующем\s+месяце)){RU_END}",
        ru_next_period,
    ),
    _Rule("zh_month_day", rf"(?P<zmd_m>{NUM})\s*月\s*(?P<zmd_d>{NUM})\s*[日号]?", zh_month_day),
    _Rule(
        "en_month_day",
        rf"(?P<emd_mon>{MONTH_EN})\s*(?P<emd_d>\d{{1,2}}){ORDINAL}?(?!\d){EN_END}"
        rf"(?:,?\s*(?P<emd_y>\d{{4}})(?![\d:]))?",
        en_month_day,
    ),
    _Rule(
        "en_day_month",
        rf"{EN_START}(?P<edm_d>\d{{1,2}}){ORDINAL}?\s*(?:of\s+)?(?P<edm_mon>{MONTH_EN})"
        rf"(?:,?\s*(?P<edm_y>\d{{4}})(?![\d:]))?",
        en_day_month,
    ),
    _Rule(
        "count_later",
        rf"(?:(?P<cl_n>{COUNT})\s*(?P<cl_unit>天|日|周|个?星期|个?礼拜|days?{EN_END}|weeks?{EN_END})"
        rf"\s*(?:以后|之后|后|later{EN_END}|from\s+now{EN_END})"
        rf"|{EN_START}in\s+(?P<in_n>{COUNT})\s+(?P<in_unit>days?|weeks?){EN_END})",
        count_later,
    ),
    _Rule("zh_next_month", rf"下个?月\s*(?P<znm_d>{NUM})\s*[号日]", zh_next_month),
    _Rule(
        "en_day_of_month",
        rf"(?:{EN_START}(?P<edom_nm1>next\s+month)\s+(?:on\s+)?)?(?:{EN_START}the\s+)?"
        rf"{EN_START}(?P<edom_d>\d{{1,2}}){ORDINAL}{EN_END}"
        rf"(?:\s+(?:of\s+)?(?P<edom_nm2>next\s+month))?",
        en_day_of_month,
    ),
    _Rule("zh_day_of_month", rf"(?P<zdom_d>{NUM})\s*[号日]", zh_day_of_month),
    _Rule(
        "zh_weekday",
        r"(?P<zw_prefix>下下|下|这|本|上)?\s*个?(?:周|星期|礼拜)(?P<zw_d>[一二三四五六日天1-7])",
        zh_weekday,
    ),
    _Rule(
        "en_weekday_next_week",
        rf"{EN_START}(?:next\s+week\s+(?:on\s+)?(?P<enw_d1>{WEEKDAY_EN})"
        rf"|(?P<enw_d2>{WEEKDAY_EN})\s+(?:of\s+)?next\s+week{EN_END})",
        en_weekday_next_week,
    ),
    _Rule(
        "en_weekday",
        rf"(?:{EN_START}(?P<ewd_prefix>this\s+coming|this|next|coming|last)\s+)?(?P<ewd_d>{WEEKDAY_EN})",
        en_weekday,
    ),
    _Rule(
        "next_period",
        rf"(?P<np_unit>下个?月|下周|下星期|下礼拜|{EN_START}next\s+(?:month|week){EN_END})",
        next_period,
    ),
    _Rule(
        "relative",
        rf"(?P<rel>{words(RELATIVE_DAYS)}|{EN_START}the\s+day\s+after\s+tomorrow{EN_END})",
        relative_day,
    ),
]


DATE = "|".join(f"(?P<{r.name}>{r.pattern})" for r in DATE_RULES)


def date_of(m: re.Match[str], today: date) -> Day | None:
    """The day of a match of DATE, by the rule that matched; None if it names no real day."""
    for rule in DATE_RULES:
        if m[rule.name] is not None:
            return rule.resolve(m, today)
    return None
