"""The business calendar and SLA deadlines (crm/sla.py): pure, no database.

Default rules: business hours 09:00-17:30 Monday to Friday, Chinese public holidays. In 2026:
Spring Festival 16-23 Feb off with Sat 14 and Sat 28 Feb worked; National Day 1-7 Oct off with
Sun 20 Sep and Sat 10 Oct worked; Mid-Autumn Fri 25 Sep; Dragon Boat Fri 19 Jun.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm import sla
from crm.rules import BusinessHours, QuietHours, Rules, load_rules
from crm.services import tickets as ticket_svc

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
CAL = sla.BusinessCalendar(RULES.business_hours, SHANGHAI)


def at(text: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-12-01T09:00", True),  # Tuesday, opening
        ("2026-12-01T08:59", False),
        ("2026-12-01T17:29", True),
        ("2026-12-01T17:30", False),  # closing is not business time
        ("2026-12-05T10:00", False),  # Saturday
        ("2026-12-06T10:00", False),  # Sunday
        ("2026-10-01T10:00", False),  # National Day
        ("2026-10-07T10:00", False),  # National Day, a Wednesday off
        ("2026-10-10T10:00", True),  # Saturday worked for National Day (调休)
        ("2026-09-20T10:00", True),  # Sunday worked for National Day
        ("2026-02-17T10:00", False),  # Spring Festival
        ("2026-02-14T10:00", True),  # Saturday worked for the Spring Festival
        ("2026-04-06T10:00", False),  # Qingming (observed)
        ("2026-05-01T10:00", False),  # Labour Day
        ("2026-06-19T10:00", False),  # Dragon Boat
        ("2026-09-25T10:00", False),  # Mid-Autumn
        ("2026-01-01T10:00", False),  # New Year
    ],
)
def test_is_business_time(when: str, expected: bool) -> None:
    assert CAL.is_business_time(at(when)) is expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-12-01T07:00", "2026-12-01T09:00"),  # early morning: today's opening
        ("2026-12-01T09:00", "2026-12-01T09:00"),  # at the opening itself
        ("2026-12-01T10:00", "2026-12-02T09:00"),  # open now: the next period starts tomorrow
        ("2026-12-01T20:00", "2026-12-02T09:00"),  # a night
        ("2026-12-04T20:00", "2026-12-07T09:00"),  # a weekend
        ("2026-09-30T20:00", "2026-10-08T09:00"),  # National Day
        ("2026-10-09T18:00", "2026-10-10T09:00"),  # to a worked Saturday
        ("2026-02-13T18:00", "2026-02-14T09:00"),  # to a worked Saturday
        ("2026-02-15T12:00", "2026-02-24T09:00"),  # the whole Spring Festival
    ],
)
def test_next_business_start(when: str, expected: str) -> None:
    assert CAL.next_business_start(at(when)) == at(expected)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        ("2026-12-01T10:00", 60, "2026-12-01T11:00"),
        ("2026-12-01T17:00", 60, "2026-12-02T09:30"),  # across a night
        ("2026-12-04T17:00", 60, "2026-12-07T09:30"),  # across a weekend
        ("2026-12-05T10:00", 0, "2026-12-07T09:00"),  # nothing to add: the next opening
        ("2026-12-01T09:00", 510, "2026-12-01T17:30"),  # a whole day ends at closing
        ("2026-12-01T09:00", 511, "2026-12-02T09:01"),
        ("2026-12-01T20:00", 240, "2026-12-02T13:00"),
        ("2026-09-30T17:00", 60, "2026-10-08T09:30"),  # across National Day
        ("2026-02-13T17:00", 60, "2026-02-14T09:30"),  # into a worked Saturday
        ("2026-02-15T10:00", 60, "2026-02-24T10:00"),  # across the Spring Festival
        ("2026-02-17T10:00", 1020, "2026-02-25T17:30"),  # two business days after it
    ],
)
def test_add_business_minutes(start: str, minutes: int, expected: str) -> None:
    assert CAL.add_business_minutes(at(start), minutes) == at(expected)


def test_between_is_the_inverse_of_add() -> None:
    for start, minutes in [("2026-12-04T16:00", 300), ("2026-09-30T12:00", 900)]:
        end = CAL.add_business_minutes(at(start), minutes)
        assert CAL.between(at(start), end) == timedelta(minutes=minutes)
    assert CAL.between(at("2026-12-05T10:00"), at("2026-12-06T10:00")) == timedelta(0)
    assert CAL.between(at("2026-12-02T10:00"), at("2026-12-01T10:00")) == timedelta(0)


# kind, class, received, first response due, resolution due
DEADLINES = [
    # The rule's example: a complaint on Friday evening is answered Monday morning; its 24 hours
    # are one working day, all of Monday.
    ("complaint", "B", "2026-12-04T20:00", "2026-12-07T10:00", "2026-12-07T17:30"),
    # Received in business hours: resolved by the same time the next working day.
    ("complaint", "B", "2026-12-01T10:00", "2026-12-01T11:00", "2026-12-02T10:00"),
    ("complaint", "B", "2026-12-04T10:00", "2026-12-04T11:00", "2026-12-07T10:00"),
    ("complaint", None, "2026-12-01T17:00", "2026-12-02T09:30", "2026-12-02T17:00"),
    # Class A: half an hour to answer, half a working day to resolve.
    ("complaint", "A", "2026-12-01T10:00", "2026-12-01T10:30", "2026-12-01T14:15"),
    ("complaint", "A", "2026-12-04T17:20", "2026-12-07T09:20", "2026-12-07T13:05"),
    # National Day and the Spring Festival stop the clock.
    ("complaint", "C", "2026-09-30T17:00", "2026-10-08T09:30", "2026-10-08T17:00"),
    ("complaint", "C", "2026-02-16T10:00", "2026-02-24T10:00", "2026-02-24T17:30"),
    # Fault reports run around the clock, nights, weekends and holidays included.
    ("fault", "B", "2026-12-05T23:00", "2026-12-05T23:30", "2026-12-06T07:00"),
    ("fault", "A", "2026-12-05T23:00", "2026-12-05T23:15", "2026-12-06T03:00"),
    ("fault", None, "2026-10-01T12:00", "2026-10-01T12:30", "2026-10-01T20:00"),
    ("inquiry", None, "2026-12-01T16:00", "2026-12-02T11:30", "2026-12-03T16:00"),
    ("inquiry", "A", "2026-12-01T16:00", "2026-12-02T09:30", "2026-12-02T16:00"),
    # The Saturday worked for National Day is a working day.
    ("inquiry", "B", "2026-10-09T10:00", "2026-10-09T14:00", "2026-10-12T10:00"),
    # Seven working days from an opening end at the seventh day's closing.
    ("suggestion", "C", "2026-12-01T09:00", "2026-12-01T17:00", "2026-12-09T17:30"),
    ("service", "B", "2026-12-01T09:00", "2026-12-01T13:00", "2026-12-03T17:30"),
]


@pytest.mark.parametrize(("kind", "cls", "received", "first", "resolve"), DEADLINES)
def test_deadlines(kind: str, cls: str | None, received: str, first: str, resolve: str) -> None:
    assert sla.deadlines(RULES, kind, cls, at(received), SHANGHAI) == (at(first), at(resolve))
    # The ticket service gives the same answer (it delegates).
    assert ticket_svc.deadlines(RULES, kind, cls, at(received), SHANGHAI) == (
        at(first),
        at(resolve),
    )


@pytest.mark.parametrize("kind", ["complaint", "fault", "inquiry", "suggestion", "service"])
def test_class_a_halves_both_targets(kind: str) -> None:
    received = at("2026-12-01T09:00")
    first_b, resolve_b = sla.deadlines(RULES, kind, "B", received, SHANGHAI)
    first_a, resolve_a = sla.deadlines(RULES, kind, "A", received, SHANGHAI)
    clock = sla.clock_for(RULES, kind, SHANGHAI)
    for due_b, due_a in ((first_b, first_a), (resolve_b, resolve_a)):
        assert clock.between(received, due_a) * 2 == clock.between(received, due_b)
        assert due_a < due_b


def test_deadlines_fall_in_business_hours_and_in_order() -> None:
    """Every 20 minutes over two weeks around National Day, every kind and class."""
    start = at("2026-09-26T00:00")
    for step in range(0, 14 * 24 * 3):
        received = start + timedelta(minutes=20 * step + 7)
        for kind in ("complaint", "fault", "inquiry", "suggestion", "service"):
            business = getattr(RULES.sla, kind).business_hours
            for cls in ("A", "B"):
                first, resolve = sla.deadlines(RULES, kind, cls, received, SHANGHAI)
                assert received < first <= resolve, (kind, cls, received)
                if business:
                    # Within hours, or exactly at a closing.
                    for due in (first, resolve):
                        assert CAL.is_business_time(due - timedelta(seconds=1)), (kind, due)


@pytest.mark.parametrize(
    ("kind", "received", "due", "expected"),
    [
        # After a night the doubled target is measured on the business clock: 10:30, not 02:00.
        ("complaint", "2026-12-01T17:00", "2026-12-02T09:30", "2026-12-02T10:30"),
        ("complaint", "2026-12-01T09:00", "2026-12-01T10:00", "2026-12-01T11:00"),
        ("complaint", "2026-12-04T20:00", "2026-12-07T17:30", "2026-12-08T17:30"),
        ("complaint", "2026-09-30T17:00", "2026-10-08T09:30", "2026-10-08T10:30"),
        ("fault", "2026-12-05T23:00", "2026-12-05T23:30", "2026-12-06T00:00"),
        ("fault", "2026-12-05T23:00", "2026-12-06T07:00", "2026-12-06T15:00"),
    ],
)
def test_twice_the_target(kind: str, received: str, due: str, expected: str) -> None:
    got = sla.twice_the_target(RULES, kind, at(received), at(due), SHANGHAI)
    assert got == at(expected)


def _rules_with_hours(**hours: object) -> Rules:
    data = RULES.business_hours.model_dump() | hours
    return RULES.model_copy(update={"business_hours": BusinessHours.model_validate(data)})


def test_company_hours_and_holidays_are_rules() -> None:
    # Open Monday to Saturday, 08:00-12:00, with no holiday calendar.
    rules = _rules_with_hours(
        start=time(8), end=time(12), weekdays=[1, 2, 3, 4, 5, 6], holiday_country=""
    )
    cal = sla.BusinessCalendar(rules.business_hours, SHANGHAI)
    assert cal.is_business_time(at("2026-12-05T09:00"))  # Saturday
    assert cal.is_business_time(at("2026-10-01T09:00"))  # no holiday calendar
    assert cal.next_business_start(at("2026-12-05T13:00")) == at("2026-12-07T08:00")
    first, _ = sla.deadlines(rules, "complaint", "B", at("2026-12-04T11:30"), SHANGHAI)
    assert first == at("2026-12-05T08:30")


def test_another_time_zone_across_a_clock_change() -> None:
    london = ZoneInfo("Europe/London")
    hours = _rules_with_hours(holiday_country="GB").business_hours
    cal = sla.BusinessCalendar(hours, london)
    # Summer time starts on Sunday 29 March 2026; the business day still opens at 09:00.
    assert cal.add_business_minutes(at("2026-03-27T17:00", london), 60) == at(
        "2026-03-30T09:30", london
    )
    # Around the clock, eight hours are eight real hours: the night is an hour shorter.
    due = sla.AroundTheClock().add(at("2026-03-29T00:30", london), timedelta(hours=8))
    assert due == at("2026-03-29T09:30", london)
    # Good Friday (3 April 2026) is a day off in the GB calendar.
    assert not cal.is_business_time(at("2026-04-03T10:00", london))


@pytest.mark.parametrize(
    ("when", "quiet"),
    [("20:59", False), ("21:00", True), ("23:30", True), ("07:59", True), ("08:00", False)],
)
def test_quiet_hours_span_midnight(when: str, quiet: bool) -> None:
    dt = at(f"2026-12-01T{when}")
    assert sla.in_quiet_hours(dt, RULES.quiet_hours, SHANGHAI) is quiet
    daytime = QuietHours(start=time(12), end=time(14))
    assert sla.in_quiet_hours(at("2026-12-01T13:00"), daytime, SHANGHAI)
    assert not sla.in_quiet_hours(at("2026-12-01T14:00"), daytime, SHANGHAI)
