"""The digest's periods: a local day, an ISO week (Monday to Monday) or a calendar month in the
manager's time zone, always half-open: [start, end); and each rep's visit plan pro-rated to one.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm import sla
from crm.limits import year_ok
from crm.models import VisitPlan
from crm.rules import Rules
from crm.services import plans

DAY = "day"
WEEK = "week"
MONTH = "month"
KINDS = (DAY, WEEK, MONTH)


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # the first local day
    after: date  # the day after the last one
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.after, time(0), tzinfo=self.tz)

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)

    def days(self) -> Iterator[date]:
        day = self.first
        while day < self.after:
            yield day
            day += timedelta(days=1)

    @property
    def key(self) -> str:
        """Names the period in outbox dedupe keys: 2026-12-01, 2026-W49, 2026-12."""
        if self.kind == DAY:
            return self.first.isoformat()
        if self.kind == WEEK:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return plans.month_of(self.first)

    @property
    def code(self) -> str:
        """A short form for button payloads: d20261201, w20261130 (its Monday), m202612."""
        return f"{self.kind[0]}{self.first:%Y%m%d}"[: 7 if self.kind == MONTH else 9]


def period_of(kind: str, day: date, tz: ZoneInfo) -> Period:
    """The day, week or month that contains `day`."""
    if kind == DAY:
        return Period(DAY, day, day + timedelta(days=1), tz)
    if kind == WEEK:
        monday = day - timedelta(days=day.weekday())
        return Period(WEEK, monday, monday + timedelta(days=7), tz)
    if kind == MONTH:
        first = day.replace(day=1)
        return Period(MONTH, first, _next_month(first), tz)
    raise ValueError(f"unknown period kind: {kind!r}")


def previous(kind: str, day: date, tz: ZoneInfo) -> Period:
    """The whole period before the one that contains `day` (last week, last month)."""
    return period_of(kind, period_of(kind, day, tz).first - timedelta(days=1), tz)


def from_code(code: str, tz: ZoneInfo) -> Period | None:
    """A period from its `code`; None for anything else (a forged or garbled payload)."""
    kinds = {k[0]: k for k in KINDS}
    kind = kinds.get(code[:1])
    digits = code[1:]
    if (
        kind is None
        or not (digits.isascii() and digits.isdigit())
        or len(digits) != (6 if kind == MONTH else 8)
    ):
        return None
    try:
        day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]) if kind != MONTH else 1)
    except ValueError:
        return None
    if not year_ok(day):  # "d00010101": a day whose midnight overflows in a time zone
        return None
    period = period_of(kind, day, tz)
    return period if period.first == day else None


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _month_days(month: str) -> list[date]:
    year, mon = (int(p) for p in month.split("-"))
    return [date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1)]


# ---------------------------------------------------------------- plans


async def prorated_plans(
    session: AsyncSession, rep_ids: Sequence[int], period: Period, rules: Rules
) -> dict[int, float]:
    """Each rep's visit plan for the period; reps without a plan for its months are left out.

    Plans are monthly totals (per customer class, summed here) with no dates for the visits, so
    a shorter period gets a share of its month's plan. The share is by business days (the
    company's working days and public holidays, `rules.business_hours`): visits are made on
    working days, so a Tuesday's plan is the month's divided by its working days, a Saturday's
    is zero, a week's is its working days' worth, and a month's is exactly its plan. A week that
    spans two months takes each day's share from its own month. A month without a single
    working day (a calendar of no weekdays) falls back to calendar days.
    """
    if not rep_ids:
        return {}
    cal = sla.BusinessCalendar(rules.business_hours, period.tz)
    by_month: dict[str, list[date]] = defaultdict(list)
    for day in period.days():
        by_month[plans.month_of(day)].append(day)
    rows = await session.execute(
        select(VisitPlan.staff_id, VisitPlan.month, func.sum(VisitPlan.target))
        .where(VisitPlan.staff_id.in_(rep_ids), VisitPlan.month.in_(list(by_month)))
        .group_by(VisitPlan.staff_id, VisitPlan.month)
    )
    found: dict[int, float] = {}
    for staff_id, month, target in rows.all():
        month_days = _month_days(month)
        working = [d for d in month_days if cal.is_business_day(d)] or month_days
        share = sum(1 for d in by_month[month] if d in working) / len(working)
        found[staff_id] = found.get(staff_id, 0.0) + float(target or 0) * share
    return found
