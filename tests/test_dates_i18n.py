"""parse_when and find_when in Russian and Traditional Chinese, against the app's clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from crm.clock import ManualClock
from crm.language.dates import find_when, parse_when
from tests.dates_helpers import NOW, TZ, at, local

RUSSIAN = [
    ("завтра в 15:00", at(12, 2, 15)),
    ("Завтра в 10 утра", at(12, 2, 10)),
    ("завтра в 3 часа дня", at(12, 2, 15)),
    ("завтра в 3", at(12, 2, 15)),  # working hours, as 3点
    ("завтра утром", at(12, 2, 9)),
    ("завтра", at(12, 2)),
    ("послезавтра", at(12, 3)),
    ("послезавтра в 9:30", at(12, 3, 9, 30)),
    ("сегодня в 18:00", at(12, 1, 18)),
    ("сегодня вечером", at(12, 1, 19)),
    ("вечером в 8", at(12, 1, 20)),
    ("в 7 вечера", at(12, 1, 19)),
    ("в 3 дня", at(12, 1, 15)),
    ("завтра 7:30 вечера", at(12, 2, 19, 30)),
    ("послезавтра 3 часа дня", at(12, 3, 15)),
    ("в 2 ночи", at(12, 2, 2)),
    ("в 15.30", at(12, 1, 15, 30)),
    ("в обед", at(12, 1, 12)),
    ("через 3 дня", at(12, 4)),
    ("через две недели", at(12, 15)),
    ("через неделю", at(12, 8)),
    ("через день", at(12, 2)),
    ("в следующий вторник", at(12, 8)),  # next week's, as 下周二
    ("в следующую пятницу в 11:00", at(12, 11, 11)),
    ("во вторник на следующей неделе", at(12, 8)),
    ("в пятницу", at(12, 4)),
    ("в пятницу в 15:00", at(12, 4, 15)),
    ("в среду после обеда", at(12, 2, 15)),
    ("во вторник", at(12, 8)),  # today is Tuesday and 09:00 has come
    ("в эту пятницу", at(12, 4)),
    ("до пятницы", at(12, 4)),
    ("в понедельник", at(12, 7)),
    ("5 декабря", at(12, 5)),
    ("5 декабря в 10:30", at(12, 5, 10, 30)),
    ("12 декабря 2026 г.", at(12, 12)),
    ("20 ноября", at(11, 20, year=2027)),  # passed this year: next year's
    ("05.12.2026", at(12, 5)),
    ("15 числа", at(12, 15)),
    ("на следующей неделе", at(12, 8)),
    ("в следующем месяце", at(1, 1, year=2027)),
    ("через 2 часа", at(12, 1, 11)),  # left to dateparser
]

TRADITIONAL = [
    ("下週二下午三點", at(12, 8, 15)),
    ("明天上午10點", at(12, 2, 10)),
    ("後天", at(12, 3)),
    ("大後天", at(12, 4)),
    ("12月5日", at(12, 5)),
    ("12月3號下午", at(12, 3, 15)),
    ("下週五", at(12, 11)),
    ("三天後", at(12, 4)),
    ("兩週後", at(12, 15)),
    ("禮拜三", at(12, 2)),
    ("下禮拜一", at(12, 7)),
    ("星期五下午4點", at(12, 4, 16)),
    ("週五下午三點半", at(12, 4, 15, 30)),
    ("下個月5號", at(1, 5, year=2027)),
    ("今晚8點", at(12, 1, 20)),
    ("明天兩點", at(12, 2, 14)),
    ("明天十點一刻", at(12, 2, 10, 15)),
    ("這週一", at(11, 30)),
    ("下下週一", at(12, 14)),
    ("晚上12點", at(12, 2, 0)),
    ("明天3點左右", at(12, 2, 15)),
]

GARBAGE = [
    "привет",
    "спасибо",
    "когда-нибудь",
    "через",
    "32 декабря",  # dateparser would read 1 December 2032
    "30 февраля",
    "завтра в 25:00",  # dateparser would drop the time
    "隨便",
    "謝謝",
    "明天25點",
    "13月5號",
]


@pytest.mark.parametrize(("text", "expected"), RUSSIAN, ids=[p for p, _ in RUSSIAN])
def test_russian(text: str, expected: datetime) -> None:
    assert local(text) == expected


@pytest.mark.parametrize(("text", "expected"), TRADITIONAL, ids=[p for p, _ in TRADITIONAL])
def test_traditional_chinese(text: str, expected: datetime) -> None:
    assert local(text) == expected


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_is_none(text: str) -> None:
    assert parse_when(text, NOW, TZ) is None


def test_the_clock_moves_the_reading() -> None:
    later = ManualClock(NOW)
    later.advance(timedelta(hours=8))  # Tuesday 17:00
    assert local("во вторник в 16:00", later.now()) == at(12, 8, 16)  # today's 16:00 has passed
    assert local("週二晚上", later.now()) == at(12, 1, 19)
    assert local("завтра", later.now()) == at(12, 2)


def test_find_when_inside_a_russian_clause() -> None:
    found = find_when("перезвонить в следующий вторник после обеда по цене", NOW, TZ)
    assert found is not None
    assert (found.phrase, found.start) == ("в следующий вторник после обеда", 12)
    assert found.when == datetime(2026, 12, 8, 15, 0, tzinfo=TZ)
    assert find_when("обсудили цену трансформатора", NOW, TZ) is None
    # Three days, not three in the afternoon.
    assert find_when("предупредить за 3 дня до поставки", NOW, TZ) is None


def test_find_when_keeps_the_traditional_text_as_typed() -> None:
    found = find_when("下週二下午跟進報價", NOW, TZ)
    assert found is not None
    assert (found.phrase, found.start) == ("下週二下午", 0)
    assert found.when == datetime(2026, 12, 8, 15, 0, tzinfo=TZ)
