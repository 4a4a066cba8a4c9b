"""Service-level time limits: a business calendar and the deadlines of a customer's request.

Pure: no database. The calendar comes from `rules.business_hours` (daily start and end, ISO
weekdays) and the public holidays of `holiday_country` from the `holidays` library, which also
knows China's make-up working days (调休: a Saturday or Sunday worked in exchange for a longer
holiday); those count as business days.

Which clock a target runs on (`rules.sla.<kind>`):

* `business_hours = false` (fault reports): plain elapsed time, around the clock.
* `business_hours = true`, first response: business minutes. A complaint received on Friday at
  20:00 with a 60-minute target is due on Monday at 10:00 (hours 09:00-17:30).
* `business_hours = true`, resolution: the hours are read as working days, 24 h to a working
  day, and counted on the business clock too (one working day = one business day's length of
  business time, 8.5 h with the defaults). A service centre that promises "complaints resolved
  within 24 hours" means "by the same time the next working day". Not 24 business hours: with
  8.5-hour days that is three working days, which no customer reads into "24 hours". Not
  elapsed time either: a complaint sent on Friday evening or before the Spring Festival would
  fall due while nobody is there to resolve it. So 24 h from Tuesday 10:00 is Wednesday 10:00,
  from Friday 10:00 Monday 10:00, from Friday 20:00 Monday 17:30 (a full working day from the
  opening); 48 h is two working days, 168 h (a suggestion) seven. Deadlines always fall within
  business hours, and the first answer is never due after the resolution.

Class A customers get both targets multiplied by `rules.sla.class_a_factor`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Protocol

import holidays

from crm.enums import CustomerClass
from crm.rules import BusinessHours, QuietHours, Rules

# Longer than any run of days off (weekends plus the longest holiday): a calendar that finds no
# business day within this many days has no business days at all.
HORIZON_DAYS = 400


def library_days(country: str, year: int) -> tuple[dict[date, str], dict[date, str], str]:
    """(days off, make-up working days, source) of one year from the libraries: for China
    chinese-calendar, which has the State Council's schedule with its 调休 working days, for the
    years it knows ("official"); otherwise `holidays` ("library", no make-up days for CN)."""
    if not country:
        return {}, {}, "library"
    if country == "CN":
        off, work = _chinese_calendar(year)
        if off:
            return off, work, "official"
    found = holidays.country_holidays(country, years=year)
    workdays = getattr(found, "weekend_workdays", ())
    return (
        {d: str(name) for d, name in found.items()},
        {d: "" for d in workdays if d.year == year},
        "library",
    )


def _chinese_calendar(year: int) -> tuple[dict[date, str], dict[date, str]]:
    from chinese_calendar import constants

    off = {d: str(n) for d, n in constants.holidays.items() if d.year == year}
    work = {d: str(n) for d, n in constants.workdays.items() if d.year == year}
    # chinese-calendar lists weekends among its "holidays" only when they are part of a
    # holiday; a year it does not know has no entries at all.
    return off, work


@cache
def _holidays(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, make-up working days) of one year; cached per country and year."""
    off, work, _source = library_days(country, year)
    return frozenset(off), frozenset(work)


class Clock(Protocol):
    """What a deadline needs of a calendar: move forward by an amount, and measure between."""

    def add(self, start: datetime, amount: timedelta) -> datetime: ...

    def between(self, start: datetime, end: datetime) -> timedelta: ...


class AroundTheClock:
    """Elapsed time: nights, weekends and holidays count like any other hour."""

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return (start.astimezone(UTC) + amount).astimezone(start.tzinfo)

    def between(self, start: datetime, end: datetime) -> timedelta:
        return max(end.astimezone(UTC) - start.astimezone(UTC), timedelta(0))


class BusinessCalendar:
    """Business time in the company's time zone: `hours.start` to `hours.end` on working days."""

    def __init__(self, hours: BusinessHours, tz: tzinfo) -> None:
        self.hours = hours
        self.tz = tz
        # The admin's table, for the years it covers (crm.services.calendar).
        self._years = frozenset(hours.table_years)
        self._off = frozenset(hours.days_off)
        self._work = frozenset(hours.extra_workdays)

    def _hours_of(self, day: date) -> tuple[time, time] | None:
        """The opening and closing time of a weekday, or None when it is not a working weekday."""
        span = self.hours.by_weekday.get(day.isoweekday())
        if span is not None:
            return (span[0], span[1]) if len(span) == 2 else None
        if day.isoweekday() in self.hours.weekdays:
            return self.hours.start, self.hours.end
        return None

    @property
    def day_length(self) -> timedelta:
        """The business time of one working day (wall clock: a clock change does not alter it)."""
        day = date(2000, 1, 3)
        return datetime.combine(day, self.hours.end) - datetime.combine(day, self.hours.start)

    def is_business_day(self, day: date) -> bool:
        if day.year in self._years:
            days_off, workdays = self._off, self._work
        else:
            days_off, workdays = _holidays(self.hours.holiday_country, day.year)
        if day in workdays:
            return True
        return self._hours_of(day) is not None and day not in days_off

    def is_holiday(self, day: date) -> bool:
        """A public holiday (a day off of the calendar, not merely a weekend)."""
        if day.year in self._years:
            return day in self._off
        return day in _holidays(self.hours.holiday_country, day.year)[0]

    def _period(self, day: date) -> tuple[datetime, datetime] | None:
        """The business period of a day, in UTC, or None on a day off. A make-up working day
        on a weekend keeps the usual hours."""
        if not self.is_business_day(day):
            return None
        opening, closing = self._hours_of(day) or (self.hours.start, self.hours.end)
        start = datetime.combine(day, opening, self.tz)
        end = datetime.combine(day, closing, self.tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    def _periods(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business periods that end after `since`, in order (the first may have begun)."""
        first = since.astimezone(self.tz).date()
        for i in range(HORIZON_DAYS):
            period = self._period(first + timedelta(days=i))
            if period is not None and period[1] > since:
                yield period
        raise ValueError(f"no business day within {HORIZON_DAYS} days of {since}")

    def is_business_time(self, dt: datetime) -> bool:
        period = self._period(dt.astimezone(self.tz).date())
        return period is not None and period[0] <= dt < period[1]

    def next_business_start(self, dt: datetime) -> datetime:
        """The start of the first business period that starts at or after `dt`.

        Inside business hours that is the next day's opening, not `dt`: callers ask it about
        times outside business hours ("when does the office open again?").
        """
        return next(start for start, _end in self._periods(dt) if start >= dt).astimezone(self.tz)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """`start` plus `amount` of business time (from the next opening when outside hours)."""
        left = amount
        for begin, end in self._periods(start):
            begin = max(begin, start)
            if begin + left <= end:
                return (begin + left).astimezone(self.tz)
            left -= end - begin
        raise AssertionError("unreachable: _periods never ends without raising")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end` (zero when `end` is not later)."""
        total = timedelta(0)
        if end <= start:
            return total
        for begin, finish in self._periods(start):
            if begin >= end:
                break
            total += min(finish, end) - max(begin, start)
        return total

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        return self.add(start, timedelta(minutes=minutes))


def clock_for(rules: Rules, kind: str, tz: tzinfo) -> Clock:
    """The clock a kind's targets run on: around the clock, or the business calendar."""
    if getattr(rules.sla, kind).business_hours:
        return BusinessCalendar(rules.business_hours, tz)
    return AroundTheClock()


def deadlines(
    rules: Rules, kind: str, customer_class: str | None, received_at: datetime, tz: tzinfo
) -> tuple[datetime, datetime]:
    """(first response due, resolution due) of a request of this kind received at that time."""
    target = getattr(rules.sla, kind)
    factor = rules.sla.class_a_factor if customer_class == CustomerClass.A else 1.0
    clock = clock_for(rules, kind, tz)
    to_resolve = timedelta(hours=target.resolution_hours * factor)
    if isinstance(clock, BusinessCalendar):
        to_resolve = to_resolve / timedelta(hours=24) * clock.day_length  # 24 h = a working day
    first = clock.add(received_at, timedelta(minutes=target.first_response_minutes * factor))
    return first, clock.add(received_at, to_resolve)


def twice_the_target(
    rules: Rules, kind: str, received_at: datetime, due: datetime, tz: tzinfo
) -> datetime:
    """When twice the time allowed has passed: received + 2 x (due - received), on the target's
    own clock, so a complaint due at 09:30 after a night is escalated at 10:30, not at 02:00."""
    clock = clock_for(rules, kind, tz)
    return clock.add(due, clock.between(received_at, due))


def in_quiet_hours(dt: datetime, quiet: QuietHours, tz: tzinfo) -> bool:
    """Whether `dt` falls in the quiet hours (a window such as 21:00-08:00 may span midnight)."""
    local = dt.astimezone(tz).time()
    if quiet.start <= quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end
