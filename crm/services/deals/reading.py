"""One message about a deal → an opportunity draft: `华能电厂 变压器增容 报价80万 预计1月底签`,
`Huaneng Power Plant, transformer upgrade, quote 800k, close end of January`.

A message is read as a deal only when it names an amount (with a unit, a currency or at least
four digits: crm.money.find_amount) and a deal word (报价, 预计…签, quote, close…), and does not
open with a visit verb (those are visit reports: crm.visit_text). The customer is the first part
of the message (before the first space in Chinese, the first comma in English); what remains,
without the amount and the close date, is what is being sold.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from crm.language.zh_hant import fold
from crm.money import BadAmount, find_amount, parse_amount

_DEAL_WORDS = re.compile(
    r"报价|金额|商机|合同额|预计.{0,8}签|签约|签单|成交|预算|"
    r"(?i:\bquote[ds]?\b|\bdeal\b|\bopportunity\b|\bclose\b|\bclosing\b|\bsign(?:ing)?\b|"
    r"сделк|предложени|подписан)"
)
_VISIT_START = re.compile(r"^(?:拜访|回访|走访|见了|电话|(?i:visit(?:ed)?|met|called)\b)")
_CUE_WORDS = re.compile(
    r"(?i)报价|金额|合同额|预算|\bquote[ds]?\b|\bdeal\b|\bopportunity\b|\bamount\b|"
    r"\bworth\b|\bfor\b\s*$"
)
_EN_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m
}
_ZH_MONTH_END = re.compile(
    r"(?:预计|计划|争取|力争)?(?:(?P<next>下个?)月|(?P<m>\d{1,2})月)(?P<part>底|末|初|中旬|中|(?P<d>\d{1,2})[日号])?"
    r"(?:前|之前)?(?:签约|签单|签|成交|落地)?"
)
_ZH_YEAR_END = re.compile(r"(?:预计|计划|争取)?(?P<next>明)?年底(?:前)?(?:签约|签单|签|成交)?")
_EN_CLOSE = re.compile(
    r"(?i)(?:expected\s+)?(?:to\s+)?(?:close|closing|sign(?:ing)?|by)?\s*(?:by\s+)?"
    r"(?:(?:the\s+)?end\s+of\s+(?P<em>[a-z]+)|(?P<m>[a-z]{3,9})\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}))"
)


@dataclass(frozen=True)
class OpportunityReading:
    customer_query: str
    title: str
    amount: Decimal
    expected_close: date | None


def _coming(today: date, month: int, day: int | None) -> date | None:
    """That month (and day, else its last day), this year or, when past, next year."""
    for year in (today.year, today.year + 1):
        last = calendar.monthrange(year, month)[1]
        try:
            found = date(year, month, min(day, last) if day else last)
        except ValueError:
            return None
        if found >= today:
            return found
    return None


def _zh_close(text: str, today: date) -> tuple[re.Match[str], date] | None:
    m = _ZH_YEAR_END.search(text)
    if m:
        return m, date(today.year + (1 if m.group("next") else 0), 12, 31)
    for m in _ZH_MONTH_END.finditer(text):
        if m.group("next"):
            month = today.month % 12 + 1
        else:
            month = int(m.group("m"))
            if not 1 <= month <= 12:
                continue
        part = m.group("part") or "底"
        day = {"初": 5, "中": 15, "中旬": 15}.get(part)
        if m.group("d"):
            day = int(m.group("d"))
        found = _coming(today, month, day)
        if found is not None:
            return m, found
    return None


def _en_close(text: str, today: date) -> tuple[re.Match[str], date] | None:
    for m in _EN_CLOSE.finditer(text):
        if m.group("iso"):
            try:
                return m, date.fromisoformat(m.group("iso"))
            except ValueError:
                continue
        name = (m.group("em") or m.group("m") or "").lower()
        month = _EN_MONTHS.get(name)
        if month is None:
            continue
        day = int(m.group("d")) if m.group("d") else None
        found = _coming(today, month, day)
        if found is not None:
            return m, found
    return None


def _clean(text: str) -> str:
    text = _CUE_WORDS.sub(" ", text)
    text = re.sub(r"[\s,，;；:：、.。]+", " ", text)
    return text.strip()


def read_opportunity(text: str, now: datetime, tz: ZoneInfo) -> OpportunityReading | None:
    """The opportunity a rep's one message describes, or None when it is not about a deal."""
    text = (text or "").strip()
    if not text or len(text) > 300 or text.startswith("/"):
        return None
    folded = fold(text)  # Traditional read as Simplified, positions kept
    if _VISIT_START.match(folded) or not _DEAL_WORDS.search(folded):
        return None
    found = find_amount(folded)
    if found is None:
        return None
    start, end, amount = found
    today = now.astimezone(tz).date()
    close = _zh_close(folded, today) or _en_close(folded, today)
    spans = [(start, end)]
    expected = None
    if close is not None:
        m, expected = close
        spans.append(m.span())
    rest = text
    for a, b in sorted(spans, reverse=True):
        rest = rest[:a] + " " + rest[b:]
    # The customer: before the first comma when there is one, else the first word.
    head, _sep, tail = _split(rest)
    customer = head.strip()
    title = _clean(tail)
    if not customer or not title:
        return None
    return OpportunityReading(customer[:100], title[:200], amount, expected)


def _split(rest: str) -> tuple[str, str, str]:
    rest = rest.strip()
    m = re.search(r"[,，;；:：]", rest)
    if m is not None:
        return rest[: m.start()], m.group(0), rest[m.end() :]
    parts = rest.split(maxsplit=1)
    if len(parts) < 2:
        return rest, "", ""
    return parts[0], " ", parts[1]


# ---------------------------------------------------------------- dates of contracts, payments

_ISO = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?$")
_ZH_MD = re.compile(r"^(\d{1,2})月(\d{1,2})[日号]?$")
_RU_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_EN_MD = re.compile(
    r"^(?i:([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?|(\d{1,2})\s+([a-z]{3,9})\.?)(?:,?\s+(\d{4}))?$"
)
_TODAY = {"today", "今天", "今日", "сегодня"}
_YESTERDAY = {"yesterday", "昨天", "昨日", "вчера"}


def _nearest(today: date, month: int, day: int) -> date | None:
    """A date without a year: the one of this year, last year or next nearest to today."""
    found = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            found.append(date(year, month, day))
        except ValueError:
            continue
    return min(found, key=lambda d: abs((d - today).days)) if found else None


def parse_day(text: str, today: date) -> date | None:
    """A calendar day as typed for a signing or a payment (past or future): 2026-12-01,
    12月1日, 1.12.2026, Dec 1, today, 昨天."""
    t = fold(text.strip()).lower().rstrip("。.")
    if t in _TODAY:
        return today
    if t in _YESTERDAY:
        return date.fromordinal(today.toordinal() - 1)
    try:
        if m := _ISO.match(t):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _RU_DMY.match(t):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := _ZH_MD.match(t):
            return _nearest(today, int(m[1]), int(m[2]))
        if m := _EN_MD.match(t):
            name, day = (m[1], m[2]) if m[1] else (m[4], m[3])
            month = _EN_MONTHS.get(name.lower())
            if month is None:
                return None
            if m[5]:
                return date(int(m[5]), month, int(day))
            return _nearest(today, month, int(day))
    except ValueError:
        return None
    return None


_LENGTH = re.compile(
    r"^(?P<n>\d{1,2}|[一二两三四五六七八九十]{1,2})\s*"
    r"(?P<u>年|个月|個月|月|years?|months?|года?|лет|месяц(?:а|ев)?)$",
    re.I,
)
_ZH_SMALL = {c: i for i, c in enumerate("零一二三四五六七八九十")} | {"两": 2}


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    last = calendar.monthrange(day.year + y, m + 1)[1]
    return date(day.year + y, m + 1, min(day.day, last))


def parse_term(text: str, start: date, today: date) -> tuple[date, date] | None:
    """A contract's term: two days (`2026-12-01..2027-11-30`, `2026-12-01 至 2027-11-30`) or a
    length from `start` (1年, 12个月, 2 years): the end is the day before the anniversary."""
    t = fold(text.strip())
    parts = re.split(r"\s*(?:\.\.|~|～|至|到|—|–|\bto\b|\s-\s)\s*", t, maxsplit=1)
    if len(parts) == 2:
        a, b = parse_day(parts[0], today), parse_day(parts[1], today)
        if a is None or b is None or b <= a:
            return None
        return a, b
    m = _LENGTH.match(t)
    if m is None:
        return None
    raw = m.group("n")
    n = (
        int(raw)
        if raw.isdigit()
        else (
            10 + _ZH_SMALL.get(raw[-1], 0)
            if raw.startswith("十") and len(raw) == 2
            else _ZH_SMALL.get(raw, 0)
        )
    )
    if n <= 0 or n > 120:
        return None
    unit = m.group("u").lower()
    months = n * 12 if unit.startswith(("年", "year", "год", "лет")) else n
    end = _add_months(start, months)
    return start, date.fromordinal(end.toordinal() - 1)


def parse_schedule(text: str, today: date) -> list[tuple[date, Decimal]] | None:
    """Instalments typed one a line (or split by ;): an amount and a due date in either order,
    `40万 2026-12-31`, `12月31日 400000`. None when a line is unreadable."""
    found: list[tuple[date, Decimal]] = []
    for line in re.split(r"[\n;；]+", text.strip()):
        line = line.strip().strip(",，")
        if not line:
            continue
        words = re.split(r"[\s,，]+", line)
        if len(words) < 2:
            return None
        reading = None
        for first, second in ((words[-1], " ".join(words[:-1])), (words[0], " ".join(words[1:]))):
            day = parse_day(first, today)
            if day is None:
                continue
            try:
                reading = (day, parse_amount(second))
            except BadAmount:
                continue
            break
        if reading is None:
            return None
        found.append(reading)
    return found or None
