"""Input limits in one place, derived from the database where the database sets them.

A text column's size comes from the model (`text_limit(Customer.name)`), so a flow cannot allow
more than the column holds (PostgreSQL refuses what SQLite silently keeps). Numbers, dates and
ids get the bounds a person can mean: amounts non-negative, finite and under 10^12 (what the
Numeric(14, 2) columns hold); dates in
the years 2000-2100; ids ASCII digits within a 32-bit column (`str.isdigit` accepts '²' and
'٣', which int() then refuses or misreads).
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crm.models import Customer

# Amounts are Numeric(14, 2) columns: at most 999,999,999,999.99, just under 10^12 (10^12 itself
# would overflow PostgreSQL's column). `number_limit(Customer.annual_value)` gives it.
CENT = Decimal("0.01")
FIRST_YEAR, LAST_YEAR = 2000, 2100
# Integer columns (ids, ratings' foreign keys) are 32-bit signed on PostgreSQL.
MAX_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")
# C0 and C1 controls (NUL among them), DEL, surrogates and private-use code points make no sense
# in a message: a line break (\n) stays, \r\n becomes \n and a tab a space.
_KEEP = {"\n"}


def text_limit(column: Any) -> int:
    """The length a String column holds (`Customer.name` -> 200); Text columns are unbounded
    in the database, so a generous cap for a chat message stands in."""
    col = getattr(column, "property", None)
    sa_column = col.columns[0] if col is not None else column
    length = getattr(sa_column.type, "length", None)
    return int(length) if length else 4000


def number_limit(column: Any) -> Decimal:
    """The largest value a Numeric(precision, scale) column holds (14, 2 -> 999999999999.99)."""
    prop = getattr(column, "property", None)
    sa_type = (prop.columns[0] if prop is not None else column).type
    return Decimal(10) ** (sa_type.precision - sa_type.scale) - Decimal(10) ** -sa_type.scale


MAX_AMOUNT = number_limit(Customer.annual_value)


def clean_text(text: str | None) -> str | None:
    """`text` without NUL and other control characters (a line break stays)."""
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\t", " ")
    if text.isprintable():
        return text
    return "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cs", "Co")
    )


def parse_id(text: str | None, maximum: int = MAX_ID) -> int | None:
    """An id typed or carried in a button: ASCII digits, 1..maximum; else None."""
    if text is None or _ASCII_DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if 0 < value <= maximum else None


def parse_index(text: str | None, size: int) -> int | None:
    """An index into a list of `size` choices (a button's position): ASCII digits, 0..size-1."""
    if text is None or _ASCII_DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value < size else None


def amount_ok(value: Decimal | float | int | None) -> bool:
    """Whether an amount of money is finite, not negative and within the amount columns
    (999,999,999,999.99, once rounded to cents as they store it)."""
    if value is None:
        return False
    if isinstance(value, float):
        if not math.isfinite(value):
            return False
        value = Decimal(str(value))
    if isinstance(value, int):
        value = Decimal(value)
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        return False
    return value.quantize(CENT) <= MAX_AMOUNT


def parse_amount(text: str) -> Decimal | None:
    """An amount typed by a person ("120,000", "12万", "¥3000元"), within `amount_ok`."""
    text = text.strip().replace(",", "").replace("，", "").replace("¥", "").removesuffix("元")
    multiplier = Decimal(10000) if text.endswith("万") else Decimal(1)
    try:
        value = Decimal(text.removesuffix("万"))
        if value.is_finite():
            value *= multiplier
    except (InvalidOperation, ArithmeticError):
        return None
    return value if amount_ok(value) else None


def year_ok(day: date | datetime | None) -> bool:
    """Whether a parsed date is within the years a CRM date can mean (2000-2100)."""
    return day is not None and FIRST_YEAR <= day.year <= LAST_YEAR
