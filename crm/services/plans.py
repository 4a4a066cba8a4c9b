"""Monthly visit plans: a manager's targets per customer class, and a rep's completion."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import CustomerClass
from crm.models import Customer, Staff, Visit, VisitPlan

CLASSES = tuple(c.value for c in CustomerClass)
# A monthly target above this is a typo ("A40" meant as "A4 0"?), not a plan.
MAX_TARGET = 999

Problem = Literal["empty", "unreadable", "negative", "duplicate", "too_large"]

# "A4", "A 4", "A:4", "A=4", "A类4", "A类4次"; separated by spaces, commas, 、 or ;.
_TOKEN = re.compile(r"([A-Z])\s*类?\s*[:=]?\s*(-?\d+)\s*次?")
_SEPARATORS = re.compile(r"[\s,;、]*")


@dataclass(frozen=True)
class ParsedTargets:
    targets: dict[str, int]
    problem: Problem | None = None


def parse_targets(text: str) -> ParsedTargets:
    """Targets typed by a manager: "A4 B6 C10", "A 4, B 6, C 10", "A类4 B类6 C类10".

    Full-width letters, digits and punctuation are read as their ASCII forms.
    """
    s = unicodedata.normalize("NFKC", text).upper().strip()
    if not s:
        return ParsedTargets({}, "empty")
    targets: dict[str, int] = {}
    pos = 0
    while True:
        sep = _SEPARATORS.match(s, pos)
        pos = sep.end() if sep else pos
        if pos >= len(s):
            break
        m = _TOKEN.match(s, pos)
        if m is None or m.group(1) not in CLASSES:
            return ParsedTargets({}, "unreadable")
        cls, value = m.group(1), int(m.group(2))
        if value < 0:
            return ParsedTargets({}, "negative")
        if value > MAX_TARGET:
            return ParsedTargets({}, "too_large")
        if cls in targets:
            return ParsedTargets({}, "duplicate")
        targets[cls] = value
        pos = m.end()
    if not targets:
        return ParsedTargets({}, "empty")
    return ParsedTargets({c: targets[c] for c in CLASSES if c in targets})


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of a "YYYY-MM" month in a time zone."""
    year, mon = (int(p) for p in month.split("-"))
    start = datetime.combine(date(year, mon, 1), time(0), tzinfo=tz)
    nxt = date(year + mon // 12, mon % 12 + 1, 1)
    return start, datetime.combine(nxt, time(0), tzinfo=tz)


def staff_tz(staff: Staff, default: ZoneInfo | None = None) -> ZoneInfo:
    try:
        return ZoneInfo(staff.timezone)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return default or ZoneInfo("UTC")


def current_month(staff: Staff, now: datetime) -> str:
    return month_of(now.astimezone(staff_tz(staff)).date())


async def targets_for(session: AsyncSession, staff_id: int, month: str) -> dict[str, int]:
    rows = await session.execute(
        select(VisitPlan.customer_class, VisitPlan.target).where(
            VisitPlan.staff_id == staff_id, VisitPlan.month == month
        )
    )
    found = dict(rows.all())
    return {c: found[c] for c in CLASSES if c in found}


async def set_plan(
    session: AsyncSession,
    rep: Staff,
    month: str,
    targets: dict[str, int],
    *,
    set_by: Staff,
    now: datetime,
) -> dict[str, int]:
    """Replaces the rep's plan for the month with `targets`; returns the previous targets.

    Classes left out are removed from the plan: the plan is what the manager typed.
    """
    rows = {
        p.customer_class: p
        for p in await session.scalars(
            select(VisitPlan).where(VisitPlan.staff_id == rep.id, VisitPlan.month == month)
        )
    }
    old = {c: rows[c].target for c in CLASSES if c in rows}
    for cls in CLASSES:
        row = rows.get(cls)
        if cls not in targets:
            if row is not None:
                await session.delete(row)
            continue
        if row is None:
            session.add(
                VisitPlan(
                    staff_id=rep.id,
                    month=month,
                    customer_class=cls,
                    target=targets[cls],
                    set_by=set_by.id,
                    updated_at=now,
                )
            )
        else:
            row.target = targets[cls]
            row.set_by = set_by.id
            row.updated_at = now
    await session.flush()
    return old


@dataclass(frozen=True)
class ClassProgress:
    customer_class: str
    done: int
    target: int

    @property
    def percent(self) -> int | None:
        return None if self.target <= 0 else self.done * 100 // self.target


@dataclass(frozen=True)
class PlanProgress:
    staff: Staff
    month: str
    # One entry per class in the plan (empty when no plan is set for the month).
    classes: list[ClassProgress]
    # Visits this month per class, planned or not.
    visits: dict[str, int]

    @property
    def has_plan(self) -> bool:
        return bool(self.classes)

    @property
    def percent(self) -> int | None:
        """Overall completion; visits beyond a class's target do not make up for another class."""
        total = sum(p.target for p in self.classes)
        if total <= 0:
            return None
        return sum(min(p.done, p.target) for p in self.classes) * 100 // total


async def visits_by_class(
    session: AsyncSession, staff_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    """The staff member's visits in [start, end), by the visited customer's (current) class."""
    rows = await session.execute(
        select(Customer.customer_class, func.count(Visit.id))
        .join(Customer, Customer.id == Visit.customer_id)
        .where(Visit.staff_id == staff_id, Visit.visited_at >= start, Visit.visited_at < end)
        .group_by(Customer.customer_class)
    )
    return {cls: int(n) for cls, n in rows.all()}


async def progress(
    session: AsyncSession, rep: Staff, now: datetime, month: str | None = None
) -> PlanProgress:
    """The rep's plan and visits for a month (default: the current month in the rep's zone)."""
    month = month or current_month(rep, now)
    start, end = month_bounds(month, staff_tz(rep))
    targets = await targets_for(session, rep.id, month)
    visits = await visits_by_class(session, rep.id, start, end)
    classes = [ClassProgress(c, visits.get(c, 0), t) for c, t in targets.items()]
    return PlanProgress(rep, month, classes, visits)
