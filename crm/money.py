"""Money as typed by people and as stored: exact Decimals with two places, never floats.

Reps type amounts the way they say them: 80万, 1.2亿, 一百二十万, 八十万元, ¥1,200,000.50, 800k,
1.5m, 120 000,50 ₽. Arabic digits with a unit are read here exactly (Decimal arithmetic on the
digits as typed). Chinese numerals (一百二十万, 三千五百元) go to cn2an, which reads every form of
them; its numbers are turned into Decimals through their shortest text form, exact for the
amounts accepted here (at most 15 significant digits: up to 1e12 with cents).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import cn2an

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount accepted: a typo (an extra 亿) is refused rather than stored.
MAX_AMOUNT = Decimal("1000000000000")

UNITS = {
    "千": Decimal(1000),
    "k": Decimal(1000),
    "万": Decimal(10000),
    "w": Decimal(10000),
    "m": Decimal(1000000),
    "mln": Decimal(1000000),
    "млн": Decimal(1000000),
    "тыс": Decimal(1000),
    "亿": Decimal(100000000),
    "億": Decimal(100000000),
    "萬": Decimal(10000),
}
# Currency words and signs around an amount, dropped before reading it.
_CURRENCY = re.compile(
    r"(?i)(人民币|rmb|cny|rub|руб(?:\.|лей|ля|ль)?|yuan|元整|元|块钱|块|圆|¥|￥|\$|₽|usd|eur|€)"
)
_DIGITS = re.compile(
    r"^(?P<num>\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)"
    r"(?P<unit>千|万|萬|亿|億|k|w|mln|m|млн|тыс)?$",
    re.I,
)
_CN_CHARS = set("零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬億点點")
# An amount inside a sentence: digits (with separators) and a unit, or Chinese numerals with
# a magnitude (八十万): what `find_amount` looks for.
AMOUNT_IN_TEXT = re.compile(
    r"(?:[¥￥$₽]\s?)?"
    r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(?:千|万|萬|亿|億|(?i:k|w|mln|m)\b|млн|тыс)?"
    r"(?:\s?(?:元|块|rmb|yuan|руб\w*|₽))?"
    r"|[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?[万萬亿億](?:元)?"
)


class BadAmount(ValueError):
    """Not an amount we accept: unreadable, not positive, sub-cent or too large."""


def exact(value: Decimal | int | str) -> Decimal:
    """A stored amount: a Decimal with exactly two places. Floats are refused outright."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    amount = Decimal(value)
    if not amount.is_finite():
        raise BadAmount(str(value))
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def total(amounts: Iterable[Decimal]) -> Decimal:
    """The exact sum (Decimal addition of two-place values never rounds)."""
    return sum((exact(a) for a in amounts), ZERO)


def _checked(amount: Decimal) -> Decimal:
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise BadAmount(str(amount))
    if amount != amount.quantize(CENT):
        raise BadAmount(str(amount))  # fractions of a cent: a typo, not money
    return exact(amount)


def _from_digits(text: str) -> Decimal | None:
    m = _DIGITS.match(text)
    if m is None:
        return None
    num = m.group("num").replace("，", ",")
    if re.fullmatch(r"\d+,\d{1,2}", num):
        num = num.replace(",", ".")  # 1200,50: a decimal comma (ru)
    else:
        num = num.replace(",", "")
    unit = (m.group("unit") or "").lower()
    try:
        return Decimal(num) * UNITS.get(unit, Decimal(1))
    except InvalidOperation:
        return None


def _from_chinese(text: str) -> Decimal | None:
    if not text or not any(ch in _CN_CHARS for ch in text):
        return None
    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # str() of a float is its shortest exact text: 1205000.0, never 1204999.9999.
    return Decimal(str(value))


def parse_amount(text: str) -> Decimal:
    """An amount as typed → a positive Decimal with two places; BadAmount otherwise."""
    raw = (text or "").strip()
    if not raw or len(raw) > 40:
        raise BadAmount(raw)
    cleaned = _CURRENCY.sub("", raw)
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", cleaned)
    if re.fullmatch(r"\d{1,3}(?:\s\d{3})+(?:,\d{1,2})?", _CURRENCY.sub("", raw).strip()):
        cleaned = cleaned.replace(",", ".")  # 1 200 000,50 (ru)
    amount = _from_digits(cleaned)
    if amount is None:
        amount = _from_chinese(cleaned)
    if amount is None:
        raise BadAmount(raw)
    return _checked(amount)


def find_amount(text: str) -> tuple[int, int, Decimal] | None:
    """The first amount inside a sentence with its span, or None: 报价80万 → 800000.00."""
    for m in AMOUNT_IN_TEXT.finditer(text):
        piece = m.group(0).strip()
        after = text[m.end() : m.end() + 1]
        marked = bool(re.search(r"[^\d.,\s]", piece))  # a unit or a currency with the digits
        if not marked and (
            len(re.sub(r"\D", "", piece)) < 4 or (after != "" and after in "年月日号点:-/")
        ):
            continue  # a bare short number: a date, a time, a quantity, not money
        try:
            return m.start(), m.end(), parse_amount(piece)
        except BadAmount:
            continue
    return None
