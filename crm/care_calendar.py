"""Which care occasions fall on a date: birthdays (solar or lunar) and public holidays. Pure.

Birthdays are stored as a `date` and a lunar flag (crm.birthdays): for a lunar birthday the date
holds the lunar month and day (its year is the year of birth, or a stand-in). A lunar birthday
falls each year on the solar date of that lunar month and day (the `lunardate` library): lunar
8-15 is 2026-09-25 and 2027-09-15. A lunar month has 29 or 30 days; a birthday on the 30th is
kept on the 29th in a short month. In a leap month (闰月) nobody has a lunar birthday: people
keep their birthday in the ordinary month of that number. A solar 29 February is kept on the
28th in common years.

Holidays come from the `holidays` library for the company's country (rules.business_hours
.holiday_country), under the library's English names: "Chinese New Year (Spring Festival)",
"Dragon Boat Festival", "Mid-Autumn Festival", "National Day"... A holiday of several days is
greeted once, on its first day; the library's substitute days off (调休 "Day off (substituted
from ...)") and "(observed)" days are no occasion of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

import holidays
from lunardate import LunarDate

# "(observed)", "(estimated)" and the like qualify a day of a holiday; they are not its name.
_QUALIFIER = re.compile(r"\s*\((?:observed|estimated)[^)]*\)", re.IGNORECASE)
_NOT_AN_OCCASION = ("Day off",)
# An "(observed)" day may come after a weekend between: a name seen this recently is no new start.
LOOKBACK_DAYS = 10


# ---------------------------------------------------------------- birthdays


def lunar_to_solar(year: int, month: int, day: int) -> date | None:
    """The solar date of a lunar month and day (ordinary month) of lunar year `year`.

    Day 30 of a 29-day month is its last day, the 29th. None outside lunardate's years.
    """
    for d in (day, 29) if day == 30 else (day,):
        try:
            return LunarDate(year, month, d).to_solar_date()
        except ValueError:
            continue
    return None


def solar_birthday(birthday: date, year: int) -> date:
    """A solar birthday in `year` (29 February on the 28th in a common year)."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def birthday_in_year(birthday: date, lunar: bool, year: int) -> date | None:
    """When the birthday is kept in `year`: the solar year, or for a lunar one the lunar year
    (a birthday in the 12th lunar month of lunar year Y falls in January or February of Y+1)."""
    if lunar:
        return lunar_to_solar(year, birthday.month, birthday.day)
    return solar_birthday(birthday, year)


def is_birthday(birthday: date, lunar: bool, day: date) -> bool:
    """Whether `day` (a solar date) is the birthday."""
    if not lunar:
        return solar_birthday(birthday, day.year) == day
    try:
        on = LunarDate.from_solar_date(day.year, day.month, day.day)
    except ValueError:
        return False
    if on.is_leap_month or on.month != birthday.month:
        return False
    return lunar_to_solar(on.year, birthday.month, birthday.day) == day


def lunar_month_of(day: date) -> int | None:
    """The lunar month `day` falls in, or None in a leap month (or outside lunardate's years)."""
    try:
        on = LunarDate.from_solar_date(day.year, day.month, day.day)
    except ValueError:
        return None
    return None if on.is_leap_month else on.month


# ---------------------------------------------------------------- holidays


@cache
def _names_by_day(country: str, year: int) -> dict[date, tuple[str, ...]]:
    """Every holiday day of a year with its holidays' names, qualifiers removed."""
    if not country:
        return {}
    try:
        found = holidays.country_holidays(country, years=year, language="en_US")
    except NotImplementedError:
        return {}
    days: dict[date, tuple[str, ...]] = {}
    for day in found:
        names = []
        for name in found.get_list(day):
            if name.startswith(_NOT_AN_OCCASION):
                continue
            plain = _QUALIFIER.sub("", name).strip()
            if plain and plain not in names:
                names.append(plain)
        if names:
            days[day] = tuple(names)
    return days


def holiday_names(country: str, day: date) -> tuple[str, ...]:
    """The holidays on `day` (any day of them), by their English names."""
    return _names_by_day(country, day.year).get(day, ())


def holidays_beginning(country: str, day: date, skip: Iterable[str] = ()) -> list[str]:
    """The holidays whose first day is `day`, less those in `skip`: the day's greetings."""
    skipped = set(skip)
    before = {
        name
        for back in range(1, LOOKBACK_DAYS + 1)
        for name in holiday_names(country, day - timedelta(days=back))
    }
    return [n for n in holiday_names(country, day) if n not in before and n not in skipped]
