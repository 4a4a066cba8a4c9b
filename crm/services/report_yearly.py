"""The yearly summary: a lead's report of a calendar year (visits, customers won and lost with
the reasons, the complaint analysis and ratings: crm/services/report.py over the year) and the
year's top reps (the leaderboard's ranking). Sent to managers on the first working day of the
year (scheduler/yearly_jobs.py) and on demand (`/report 去年`, `/report 2025`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from crm import sla
from crm.language.date_ranges import RANGE, DateRange
from crm.models import Staff
from crm.rules import Rules
from crm.services import report
from crm.services.digest import Period
from crm.services.digest_board import BoardRow, leaderboard

# Reps named as the year's best.
TOP = 3
# "Last year" in the four languages (去年 and 上一年 are also zh_TW).
_LAST_YEAR = {
    "去年", "上一年", "上年", "去年全年", "去年度", "last year", "previous year",
    "прошлый год", "за прошлый год", "в прошлом году",
}  # fmt: skip
_THIS_YEAR = {"今年", "本年", "this year", "этот год", "в этом году", "за этот год"}
_YEAR = re.compile(r"(\d{4})\s*(?:年|год|г\.?)?")


def year_asked(words: str, today: date) -> int | None:
    """The year a typed period names as a whole ("去年", "last year", "2025", "2025年",
    "прошлый год"), or None; a year that has not begun is None too."""
    s = unicodedata.normalize("NFKC", words).strip().lower()
    if s in _LAST_YEAR:
        return today.year - 1
    if s in _THIS_YEAR:
        return today.year
    m = _YEAR.fullmatch(s)
    if m is None:
        return None
    year = int(m.group(1))
    return year if 2000 <= year <= today.year else None


def whole_year(found: DateRange) -> int | None:
    """The year when a parsed range is exactly one calendar year."""
    first, last = found.first, found.last
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and first.year == last.year:
        return first.year
    return None


def period_of_year(year: int, tz: ZoneInfo) -> Period:
    return Period(RANGE, date(year, 1, 1), date(year + 1, 1, 1), tz)


def first_working_day(year: int, rules: Rules, tz: ZoneInfo) -> date:
    """The first business day of the year on the company's calendar (holidays, make-up days)."""
    cal = sla.BusinessCalendar(rules.business_hours, tz)
    day = date(year, 1, 1)
    for _ in range(31):
        if cal.is_business_day(day):
            return day
        day = date.fromordinal(day.toordinal() + 1)
    return date(year, 1, 1)  # a January without a working day: the 1st, not never


@dataclass
class Yearly:
    year: int
    report: report.Report
    top: list[BoardRow] = field(default_factory=list)
    reps: int = 0

    @property
    def open(self) -> bool:
        return self.report.open


async def build(
    session: AsyncSession, lead: Staff, year: int, tz: ZoneInfo, now: datetime, rules: Rules
) -> Yearly:
    period = period_of_year(year, tz)
    found = await report.build(session, lead, period, now, rules)
    board = await leaderboard(session, lead, period, now)
    # Only reps who did something are named among the best.
    top = [row for row in board if row.won or row.visits or row.new_customers][:TOP]
    return Yearly(year, found, top, len(board))
