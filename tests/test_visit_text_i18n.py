"""parse_visit on one-message reports in Traditional Chinese and in Russian."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from crm.clock import ManualClock
from crm.language.visit_text import parse_visit

TZ = ZoneInfo("Asia/Shanghai")
CLOCK = ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=TZ))  # a Tuesday


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


# (message, customer as typed, contacts, kind, follow-up, follow-up phrase, outcome)
REPORTS = [
    (
        "拜訪華能電廠，見了張工，談變壓器報價，下週二下午跟進",
        "華能電廠",
        ["張工"],
        "onsite",
        at(12, 8, 15),
        "下週二下午",
        "談變壓器報價",
    ),
    (
        "打電話給國網南京供電公司，李總說預算已批，12月3日上午回訪",
        "國網南京供電公司",
        ["李總"],
        "phone",
        at(12, 3),
        "12月3日上午",
        "李總說預算已批",
    ),
    (
        "和華能電廠開了視訊會議，張工、李總參加，討論方案，3天後跟進",
        "華能電廠",
        ["張工", "李總"],
        "online",
        at(12, 4),
        "3天後",
        "討論方案",
    ),
    (
        "走訪大唐發電，約了陳總，初步意向，後天上午10點跟進",
        "大唐發電",
        ["陳總"],
        "onsite",
        at(12, 3, 10),
        "後天上午10點",
        "初步意向",
    ),
    (
        "визит в Acme Logistics, встретился с Li, хотят цену на трансформатор, "
        "перезвонить в следующий вторник после обеда",
        "Acme Logistics",
        ["Li"],
        "onsite",
        at(12, 8, 15),
        "в следующий вторник после обеда",
        "хотят цену на трансформатор",
    ),
    (
        "Позвонил в Blue River Hotel, поговорил с Ms. Zhao о тарифах, созвониться завтра в 10 утра",
        "Blue River Hotel",
        ["Ms. Zhao"],
        "phone",
        at(12, 2, 10),
        "завтра в 10 утра",
        "о тарифах",
    ),
    (
        "Был в 华能电厂, встретился с 张工 и 李总, обсудили расширение, повторный визит 5 декабря",
        "华能电厂",
        ["张工", "李总"],
        "onsite",
        at(12, 5),
        "5 декабря",
        "обсудили расширение",
    ),
    (
        "видеозвонок с Sunrise Foods, согласны на пробную поставку, связаться через 3 дня",
        "Sunrise Foods",
        [],
        "online",
        at(12, 4),
        "через 3 дня",
        "согласны на пробную поставку",
    ),
    (
        "посетил Acme Logistics и обсудили договор",
        "Acme Logistics",
        [],
        "onsite",
        None,
        None,
        "обсудили договор",
    ),
]

NOT_REPORTS = ["привет", "спасибо, до завтра", "завтра в 15:00", "謝謝", "後天", "/start"]


@pytest.mark.parametrize(
    ("text", "customer", "contacts", "kind", "when", "phrase", "outcome"),
    REPORTS,
    ids=[r[0][:24] for r in REPORTS],
)
def test_report(
    text: str,
    customer: str,
    contacts: list[str],
    kind: str,
    when: datetime | None,
    phrase: str | None,
    outcome: str,
) -> None:
    draft = parse_visit(text, CLOCK.now(), TZ)
    assert draft is not None
    assert draft.customer_query == customer
    assert draft.contacts == contacts
    assert draft.kind == kind
    assert draft.followup_at == when
    assert draft.followup_text == phrase
    assert draft.outcome == outcome


@pytest.mark.parametrize("text", NOT_REPORTS)
def test_not_a_report(text: str) -> None:
    assert parse_visit(text, CLOCK.now(), TZ) is None


def test_simplified_text_is_left_as_typed() -> None:
    draft = parse_visit("拜访华能电厂，见了张工，谈变压器报价", CLOCK.now(), TZ)
    assert draft is not None
    assert (draft.customer_query, draft.contacts, draft.outcome) == (
        "华能电厂",
        ["张工"],
        "谈变压器报价",
    )
