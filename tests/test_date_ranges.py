"""Periods typed for /report (crm/date_ranges.py), on Tue 1 Dec 2026."""

from __future__ import annotations

from datetime import date

import pytest

from crm.language import date_ranges as dr

TODAY = date(2026, 12, 1)  # a Tuesday
D = date


@pytest.mark.parametrize(
    ("text", "kind", "first", "last"),
    [
        # Named periods, in both languages.
        ("today", dr.DAY, TODAY, TODAY),
        ("今天", dr.DAY, TODAY, TODAY),
        ("昨天", dr.DAY, D(2026, 11, 30), D(2026, 11, 30)),
        ("this week", dr.WEEK, D(2026, 11, 30), D(2026, 12, 6)),
        ("本周", dr.WEEK, D(2026, 11, 30), D(2026, 12, 6)),
        ("Last Week", dr.WEEK, D(2026, 11, 23), D(2026, 11, 29)),
        ("上周", dr.WEEK, D(2026, 11, 23), D(2026, 11, 29)),
        ("上个星期", dr.WEEK, D(2026, 11, 23), D(2026, 11, 29)),
        ("this month", dr.MONTH, D(2026, 12, 1), D(2026, 12, 31)),
        ("本月", dr.MONTH, D(2026, 12, 1), D(2026, 12, 31)),
        ("last month", dr.MONTH, D(2026, 11, 1), D(2026, 11, 30)),
        ("上个月", dr.MONTH, D(2026, 11, 1), D(2026, 11, 30)),
        ("上月", dr.MONTH, D(2026, 11, 1), D(2026, 11, 30)),
        ("去年", dr.RANGE, D(2025, 1, 1), D(2025, 12, 31)),
        # Months: a month without a year is the latest one not after today.
        ("2026-11", dr.MONTH, D(2026, 11, 1), D(2026, 11, 30)),
        ("2026年2月", dr.MONTH, D(2026, 2, 1), D(2026, 2, 28)),
        ("11月", dr.MONTH, D(2026, 11, 1), D(2026, 11, 30)),
        ("十二月", dr.MONTH, D(2026, 12, 1), D(2026, 12, 31)),
        ("November 2025", dr.MONTH, D(2025, 11, 1), D(2025, 11, 30)),
        # Typed ranges.
        ("2026-11-01..2026-11-15", dr.RANGE, D(2026, 11, 1), D(2026, 11, 15)),
        ("2026-11-01 - 2026-11-15", dr.RANGE, D(2026, 11, 1), D(2026, 11, 15)),
        ("2026/11/1至2026/11/15", dr.RANGE, D(2026, 11, 1), D(2026, 11, 15)),
        ("从11月1日到11月15日", dr.RANGE, D(2026, 11, 1), D(2026, 11, 15)),
        ("11月1日-15日", dr.RANGE, D(2026, 11, 1), D(2026, 11, 15)),
        ("１１月１日～１１月１５日", dr.RANGE, D(2026, 11, 1), D(2026, 11, 15)),
        ("12月20日-1月5日", dr.RANGE, D(2025, 12, 20), D(2026, 1, 5)),
        ("Nov 1 - Nov 15", dr.RANGE, D(2026, 11, 1), D(2026, 11, 15)),
        ("from 2026-11-01 to 2026-11-15", dr.RANGE, D(2026, 11, 1), D(2026, 11, 15)),
        ("最近7天", dr.RANGE, D(2026, 11, 25), TODAY),
        ("近三十天", dr.RANGE, D(2026, 11, 2), TODAY),
        ("last 7 days", dr.RANGE, D(2026, 11, 25), TODAY),
        # One day; without a year the latest one not after today.
        ("2026-11-05", dr.DAY, D(2026, 11, 5), D(2026, 11, 5)),
        ("12月25日", dr.DAY, D(2025, 12, 25), D(2025, 12, 25)),
        # A period still running is fine: the report says "so far".
        ("2026-12-01..2026-12-31", dr.RANGE, D(2026, 12, 1), D(2026, 12, 31)),
    ],
)
def test_periods_read(text: str, kind: str, first: date, last: date) -> None:
    parsed = dr.parse_range(text, TODAY)
    assert parsed.problem is None
    assert parsed.range == dr.DateRange(kind, first, last)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", dr.UNREADABLE),
        ("someday", dr.UNREADABLE),
        ("下下下个月吧", dr.UNREADABLE),
        ("2026-13", dr.UNREADABLE),
        ("2026-02-30..2026-03-01", dr.UNREADABLE),
        ("最近0天", dr.UNREADABLE),
        ("x" * 200, dr.UNREADABLE),
        ("2026-11-15..2026-11-01", dr.REVERSED),
        ("2027-01-01..2027-01-05", dr.FUTURE),
        ("2025-01-01..2026-11-01", dr.TOO_LONG),
    ],
)
def test_periods_refused(text: str, problem: str) -> None:
    assert dr.parse_range(text, TODAY) == dr.Parsed(problem=problem)


def test_weeks_and_months_around_the_turn_of_the_year() -> None:
    jan = date(2027, 1, 3)  # a Sunday: its week began on Monday 28 December
    assert dr.parse_range("this week", jan).range == dr.DateRange(
        dr.WEEK, D(2026, 12, 28), D(2027, 1, 3)
    )
    assert dr.parse_range("上个月", jan).range == dr.DateRange(
        dr.MONTH, D(2026, 12, 1), D(2026, 12, 31)
    )
    # "12月" in January is the December just gone.
    assert dr.parse_range("12月", jan).range == dr.DateRange(
        dr.MONTH, D(2026, 12, 1), D(2026, 12, 31)
    )
