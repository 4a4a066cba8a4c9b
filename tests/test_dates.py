"""parse_when and find_when: the date phrasings reps type, in Chinese and English."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.language.dates import find_when, parse_when
from tests.dates_helpers import NOW, TZ, at, local

PHRASES = [
    # Chinese: relative days and parts of the day
    ("明天下午3点", at(12, 2, 15)),
    ("明天上午10点", at(12, 2, 10)),
    ("明天", at(12, 2)),
    ("明天 10:00", at(12, 2, 10)),
    ("后天上午", at(12, 3)),
    ("后天上午10点", at(12, 3, 10)),
    ("大后天", at(12, 4)),
    ("今晚8点", at(12, 1, 20)),
    ("今晚", at(12, 1, 19)),
    ("晚上8点", at(12, 1, 20)),
    ("中午", at(12, 1, 12)),
    ("中午1点", at(12, 1, 13)),
    ("下午3点", at(12, 1, 15)),
    ("下午三点十五分", at(12, 1, 15, 15)),
    ("明天3点半", at(12, 2, 15, 30)),  # no 上午/下午: an hour 1-6 is in the afternoon
    ("明天十点一刻", at(12, 2, 10, 15)),
    ("明天15点", at(12, 2, 15)),
    ("明天两点", at(12, 2, 14)),
    ("明早", at(12, 2, 9)),
    ("晚上12点", at(12, 2, 0)),
    # Chinese: counts and weekdays
    ("3天后", at(12, 4)),
    ("三天以后", at(12, 4)),
    ("两周后", at(12, 15)),
    ("下周二", at(12, 8)),
    ("下周二下午", at(12, 8, 15)),
    ("下星期五下午4点", at(12, 11, 16)),
    ("下礼拜一", at(12, 7)),
    ("下下周一", at(12, 14)),
    ("周五下午三点", at(12, 4, 15)),
    ("星期五", at(12, 4)),
    ("星期天", at(12, 6)),
    ("周二", at(12, 8)),  # today is Tuesday and 09:00 has come: next week's
    ("周二下午", at(12, 1, 15)),  # ... but this afternoon is still ahead
    ("这周一", at(11, 30)),  # this week's Monday, already past: returned as parsed
    ("下周", at(12, 8)),
    # Chinese: dates
    ("12月3日", at(12, 3)),
    ("12月3日上午", at(12, 3)),
    ("12月3号下午", at(12, 3, 15)),
    ("12月5日 15:00", at(12, 5, 15)),
    ("2026年12月3日", at(12, 3)),
    ("2027年1月8日上午10点半", at(1, 8, 10, 30, year=2027)),
    ("11月20日", at(11, 20, year=2027)),  # no year and already past: next year's
    ("下个月5号", at(1, 5, year=2027)),
    ("5号", at(12, 5)),
    ("1号", at(12, 1)),  # today is the 1st: today, not next month
    ("下个月", at(1, 1, year=2027)),
    ("明天3点左右", at(12, 2, 15)),
    ("大概周五", at(12, 4)),
    ("１２月３日", at(12, 3)),  # full-width digits
    # ISO and numbers
    ("2026-12-01", at(12, 1)),  # the same day: 09:00 that day
    ("2026-12-05", at(12, 5)),
    ("2026-12-10 10:00", at(12, 10, 10)),
    ("2026/12/05", at(12, 5)),
    # English
    ("next Friday 3pm", at(12, 4, 15)),
    ("in 3 days", at(12, 4)),
    ("in two weeks", at(12, 15)),
    ("3 days later", at(12, 4)),
    ("tomorrow 10am", at(12, 2, 10)),
    ("tomorrow at 3", at(12, 2, 15)),
    ("tomorrow at 3:30", at(12, 2, 15, 30)),
    ("tomorrow 9", at(12, 2, 9)),
    ("tomorrow morning", at(12, 2)),
    ("tomorrow", at(12, 2)),
    ("Friday 3pm", at(12, 4, 15)),
    ("Friday at 3", at(12, 4, 15)),
    ("Friday afternoon at 3", at(12, 4, 15)),
    ("3pm Friday", at(12, 4, 15)),
    ("Dec 3 10:30", at(12, 3, 10, 30)),
    ("Dec 3rd at 10:30", at(12, 3, 10, 30)),
    ("3 Dec", at(12, 3)),
    ("December 5th 2pm", at(12, 5, 14)),
    ("next Tuesday afternoon", at(12, 8, 15)),
    ("next wed", at(12, 2)),
    ("this Friday", at(12, 4)),
    ("this coming Friday", at(12, 4)),
    ("next Monday morning", at(12, 7)),
    ("Monday next week", at(12, 7)),
    ("next week Tuesday", at(12, 8)),
    ("the 5th", at(12, 5)),
    ("the 5th of next month", at(1, 5, year=2027)),
    ("tonight", at(12, 1, 20)),
    ("tonight at 8", at(12, 1, 20)),
    ("this evening", at(12, 1, 18)),
    ("3pm", at(12, 1, 15)),
    ("8am", at(12, 2, 8)),  # a time alone that has passed today: tomorrow
    ("by Friday", at(12, 4)),
    ("in 2 hours", at(12, 1, 11)),  # left to dateparser
    ("next week", at(12, 8)),
    # in the past, returned as parsed: the caller decides
    ("today 8am", at(12, 1, 8)),
    ("今天8点", at(12, 1, 8)),
]

GARBAGE = [
    "随便",
    "whenever you like 🙂",
    "",
    "   ",
    "x" * 200,
    "日" * 5000,
    "明天" * 2500,
    "hello",
    "谢谢",
    "13月5日",
    "明天25点",
    "32号",
    "2027年2月29日",
]


@pytest.mark.parametrize(("text", "expected"), PHRASES, ids=[p for p, _ in PHRASES])
def test_phrasing(text: str, expected: datetime) -> None:
    assert local(text) == expected


@pytest.mark.parametrize("text", GARBAGE, ids=[g[:20] or "empty" for g in GARBAGE])
def test_garbage_is_none(text: str) -> None:
    assert parse_when(text, NOW, TZ) is None


def test_a_bare_date_is_nine_whatever_the_time_now() -> None:
    afternoon = NOW.replace(hour=14, minute=27)
    assert local("明天", afternoon) == at(12, 2)
    assert local("tomorrow", afternoon) == at(12, 2)
    assert local("in 3 days", afternoon) == at(12, 4)
    assert local("next week", afternoon) == at(12, 8)
    assert local("in 2 hours", afternoon) == at(12, 1, 16, 27)  # hours do count from now


def test_weekday_rolls_a_week_once_its_time_has_passed() -> None:
    evening = NOW.replace(hour=16)
    assert local("周二下午", evening) == at(12, 8, 15)
    assert local("周二晚上", evening) == at(12, 1, 19)
    assert local("Tuesday", evening) == at(12, 8)


def test_now_in_another_zone_is_read_in_the_reps_zone() -> None:
    # 2026-12-01 20:30 UTC is already 2 December 04:30 in Shanghai
    late = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
    assert local("明天", late) == at(12, 3)
    assert local("下午3点", late) == at(12, 2, 15)


def test_slash_dates_are_left_to_dateparser() -> None:
    assert local("12/3") == at(12, 3)


def test_find_when_finds_the_phrase_inside_a_clause() -> None:
    found = find_when("下周二下午跟进报价", NOW, TZ)
    assert found is not None
    assert found.phrase == "下周二下午"
    assert found.start == 0
    assert found.when == datetime(2026, 12, 8, 15, 0, tzinfo=TZ)
    found = find_when("with Li next Friday at 3pm about the quote", NOW, TZ)
    assert found is not None
    assert (found.phrase, found.start) == ("next Friday at 3pm", 8)
    assert find_when("with the pricing team", NOW, TZ) is None
    assert find_when("x" * 600, NOW, TZ) is None


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=120))
def test_any_text_gives_none_or_an_aware_local_datetime(text: str) -> None:
    parsed = parse_when(text, NOW, TZ)
    assert parsed is None or parsed.tzinfo is TZ
