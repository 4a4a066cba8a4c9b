"""The business calendar the admin owns: hours per weekday and, per year, the days off and
make-up working days (调休). Seeded per year from chinese-calendar (the official schedule with
its make-up days) where it knows the year, else from `holidays`; changed in /rules or by
import. Each change bumps the rules' version, so every process's RuleBook picks it up."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm import sla
from crm.models import CalendarDay, WeekdayHours
from crm.rules import BusinessHours, Rules
from crm.services import runtime

OFF, WORK = "off", "work"
OFFICIAL, LIBRARY, ADMIN, IMPORT = "official", "library", "admin", "import"
# Sources that mean the year's real schedule is in the table (not the library's guess).
CONFIRMED = (OFFICIAL, ADMIN, IMPORT)
VERSION_KEY = "rules.version"

_OFF_WORDS = {"off", "holiday", "休", "休息", "假", "放假", "выходной"}
_WORK_WORDS = {"work", "workday", "班", "上班", "补班", "调休", "рабочий"}
_LINE = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[\s,;，；]*([^\s,;，；]+)?[\s,;，；]*(.*)"
)
_SPAN = re.compile(r"(\d{1,2})[:：.](\d{2})\s*[-–~至到]\s*(\d{1,2})[:：.](\d{2})")
_CLOSED = {"closed", "off", "休息", "不营业", "休", "закрыто"}


async def bump(session: AsyncSession) -> None:
    row = await runtime.kv_lock(session, VERSION_KEY, default="0")
    row.value = str(int(row.value or 0) + 1)


async def with_calendar(session: AsyncSession, rules: Rules) -> Rules:
    """`rules` with the calendar tables folded into business_hours."""
    days = list(await session.scalars(select(CalendarDay)))
    hours = list(await session.scalars(select(WeekdayHours)))
    if not days and not hours:
        return rules
    by_weekday = {
        h.weekday: [time.fromisoformat(h.start), time.fromisoformat(h.end)]
        if h.start and h.end
        else []
        for h in hours
    }
    bh = rules.business_hours.model_copy(
        update={
            "by_weekday": by_weekday,
            "table_years": sorted({d.day.year for d in days}),
            "days_off": sorted(d.day for d in days if d.kind == OFF),
            "extra_workdays": sorted(d.day for d in days if d.kind == WORK),
        }
    )
    return rules.model_copy(update={"business_hours": bh})


async def year_source(session: AsyncSession, year: int) -> str | None:
    """The best source of a year's rows: official/admin/import, library, or None (no rows)."""
    rows = set(
        await session.scalars(
            select(CalendarDay.source)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .distinct()
        )
    )
    for source in (*CONFIRMED, LIBRARY):
        if source in rows:
            return source
    return None


async def seed_year(session: AsyncSession, hours: BusinessHours, year: int) -> str | None:
    """Fills a year the table does not have from the libraries, or replaces the `holidays`
    guess of a year once chinese-calendar knows it; returns the source used (None when nothing
    was written)."""
    have = await year_source(session, year)
    if have is not None and have != LIBRARY:
        return None
    off, work, source = sla.library_days(hours.holiday_country, year)
    if (not off and not work) or (have == LIBRARY and source != OFFICIAL):
        return None
    first, last = date(year, 1, 1), date(year, 12, 31)
    if have == LIBRARY:
        # A newer chinese-calendar now has the official schedule: it replaces the guess.
        await session.execute(
            delete(CalendarDay).where(
                CalendarDay.source == LIBRARY, CalendarDay.day >= first, CalendarDay.day <= last
            )
        )
    for kind, days in ((OFF, off), (WORK, work)):
        for day, name in days.items():
            session.add(CalendarDay(day=day, kind=kind, name=name[:80] or None, source=source))
    await bump(session)
    await session.flush()
    return source


async def year_days(session: AsyncSession, year: int) -> list[CalendarDay]:
    rows = await session.scalars(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    )
    return list(rows)


async def count_days(session: AsyncSession, year: int) -> dict[str, int]:
    rows = await session.execute(
        select(CalendarDay.kind, func.count())
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .group_by(CalendarDay.kind)
    )
    return {kind: int(n) for kind, n in rows.all()}


@dataclass(frozen=True)
class DayEntry:
    day: date
    kind: str  # OFF or WORK
    name: str | None


def parse_day(line: str) -> DayEntry | None:
    """`2027-02-05 off 春节`, `2027年2月14日 班`, `2027-02-14,work`: a day, its kind and a name."""
    m = _LINE.fullmatch(unicodedata.normalize("NFKC", line).strip())
    if m is None:
        return None
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    word = (m.group(4) or "").lower()
    if word in _OFF_WORDS:
        kind = OFF
    elif word in _WORK_WORDS:
        kind = WORK
    else:
        return None
    name = (m.group(5) or "").strip()[:80] or None
    return DayEntry(day, kind, name)


def parse_span(text: str) -> list[time] | None:
    """`09:00-17:30` as [start, end], `closed` as [] (closed that weekday), else None."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    if text in _CLOSED:
        return []
    m = _SPAN.fullmatch(text)
    if m is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    start, end = time(h1, m1), time(h2, m2)
    return [start, end] if start < end else None


async def set_day(session: AsyncSession, entry: DayEntry, source: str) -> None:
    row = await session.get(CalendarDay, entry.day)
    if row is None:
        session.add(CalendarDay(day=entry.day, kind=entry.kind, name=entry.name, source=source))
    else:
        row.kind, row.name, row.source = entry.kind, entry.name or row.name, source
    await bump(session)
    await session.flush()


async def remove_day(session: AsyncSession, day: date) -> bool:
    result = await session.execute(delete(CalendarDay).where(CalendarDay.day == day))
    if result.rowcount:
        await bump(session)
    return bool(result.rowcount)


async def set_hours(session: AsyncSession, weekday: int, span: list[time]) -> None:
    row = await session.get(WeekdayHours, weekday)
    start = span[0].strftime("%H:%M") if span else None
    end = span[1].strftime("%H:%M") if span else None
    if row is None:
        session.add(WeekdayHours(weekday=weekday, start=start, end=end))
    else:
        row.start, row.end = start, end
    await bump(session)
    await session.flush()
