"""parse_visit: one message typed outside a customer's gate → a visit draft."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.language.visit_text import VisitDraft, parse_visit

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)  # a Tuesday


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute)


def draft(text: str) -> VisitDraft:
    parsed = parse_visit(text, NOW, TZ)
    assert parsed is not None, text
    return parsed


# (message, customer_query, contacts, kind, follow-up as local time)
REPORTS = [
    # --- Chinese
    (
        "拜访华能电厂，见了张工，谈变压器报价，下周二下午跟进",
        "华能电厂",
        ["张工"],
        "onsite",
        at(12, 8, 15),
    ),
    ("拜访华能电厂，见了张工，谈变压器报价", "华能电厂", ["张工"], "onsite", None),
    ("拜访华能电厂见了张工，谈了报价", "华能电厂", ["张工"], "onsite", None),
    (
        "拜访了国网南京供电公司，见了李总、王工，沟通了增容方案，明天下午3点再联系",
        "国网南京供电公司",
        ["李总", "王工"],
        "onsite",
        at(12, 2, 15),
    ),
    (
        "走访大唐发电，约了陈总，初步意向，后天上午10点跟进",
        "大唐发电",
        ["陈总"],
        "onsite",
        at(12, 3, 10),
    ),
    (
        "去华能电厂和张工谈变压器报价，明天上午10点再联系",
        "华能电厂",
        ["张工"],
        "onsite",
        at(12, 2, 10),
    ),
    (
        "打电话给国网南京供电公司，李总说预算已批，12月3日上午回访",
        "国网南京供电公司",
        ["李总"],
        "phone",
        at(12, 3),
    ),
    ("给华能电厂打了电话，王经理说下周给答复", "华能电厂", ["王经理"], "phone", None),
    ("电话联系了南瑞集团刘工，确认交货时间，3天后跟进", "南瑞集团", ["刘工"], "phone", at(12, 4)),
    (
        "电话回访华能电厂张工，设备运行正常，1月8日上午十点半跟进",
        "华能电厂",
        ["张工"],
        "phone",
        at(1, 8, 10, 30, year=2027),
    ),
    (
        "和华能电厂开了视频会议，张工、李总参加，讨论方案，3天后跟进",
        "华能电厂",
        ["张工", "李总"],
        "online",
        at(12, 4),
    ),
    (
        "线上会议：南瑞集团，见了王经理和刘工，演示了系统",
        "南瑞集团",
        ["王经理", "刘工"],
        "online",
        None,
    ),
    (
        "腾讯会议：南京会展中心，刘经理、陈工参会，确认展位布置，后天下午两点跟进",
        "南京会展中心",
        ["刘经理", "陈工"],
        "online",
        at(12, 3, 14),
    ),
    (
        "拜访了万达广场的王经理，谈租赁续约，下个月5号跟进",
        "万达广场",
        ["王经理"],
        "onsite",
        at(1, 5, year=2027),
    ),
    ("华能电厂：见了张工，谈报价，周五下午三点跟进", "华能电厂", ["张工"], None, at(12, 4, 15)),
    ("今天上午拜访华能电厂 见了张工 谈报价", "华能电厂", ["张工"], "onsite", None),
    (
        "拜访 华能电厂 见了张工 谈报价 明天下午3点跟进",
        "华能电厂",
        ["张工"],
        "onsite",
        at(12, 2, 15),
    ),
    (
        "拜访华能电厂😀，见了张工👍，谈变压器报价。下周二下午跟进！",
        "华能电厂",
        ["张工"],
        "onsite",
        at(12, 8, 15),
    ),
    (
        "拜访华能电厂,见了张工,谈报价,下个月5号跟进",
        "华能电厂",
        ["张工"],
        "onsite",
        at(1, 5, year=2027),
    ),
    (
        "拜访华能电厂；见了张工；谈报价；周五下午三点跟进",
        "华能电厂",
        ["张工"],
        "onsite",
        at(12, 4, 15),
    ),
    (
        "拜访华能电厂，见了张工，谈报价，跟进时间：下周二下午",
        "华能电厂",
        ["张工"],
        "onsite",
        at(12, 8, 15),
    ),
    ("拜访华能电厂，见了张工，谈报价，12月3日上午跟进", "华能电厂", ["张工"], "onsite", at(12, 3)),
    ("拜访华能电厂，见了张工，谈报价，需要再跟进", "华能电厂", ["张工"], "onsite", None),
    ("回访华能电厂，张工反馈设备运行正常", "华能电厂", ["张工"], None, None),
    (
        "上门拜访会展中心，见了赵主任，展位续签基本确定；12月5日 15:00跟进合同",
        "会展中心",
        ["赵主任"],
        "onsite",
        at(12, 5, 15),
    ),
    (
        "拜访 华能电厂，见了 张工 和 李工，谈了检修计划，2026-12-05再跟进",
        "华能电厂",
        ["张工", "李工"],
        "onsite",
        at(12, 5),
    ),
    (
        "走访华能电厂张工，了解用电需求，今晚8点电话回访",
        "华能电厂",
        ["张工"],
        "onsite",
        at(12, 1, 20),
    ),
    (
        "去了南京展览馆，和孙经理谈展会合作，下周一跟进",
        "南京展览馆",
        ["孙经理"],
        "onsite",
        at(12, 7),
    ),
    (
        "今天去了国网苏州供电公司，跟王主任聊了配网改造，下周三上午再去",
        "国网苏州供电公司",
        ["王主任"],
        "onsite",
        at(12, 9),
    ),
    ("在华能电厂见了张工，谈了电费结算问题", "华能电厂", ["张工"], "onsite", None),
    (
        "走访会展中心，和李总、王经理一起看了场地，下个月5号回访",
        "会展中心",
        ["李总", "王经理"],
        "onsite",
        at(1, 5, year=2027),
    ),
    # --- English
    (
        "visited Acme, met Li, they want a quote, follow up Friday 3pm",
        "Acme",
        ["Li"],
        "onsite",
        at(12, 4, 15),
    ),
    ("visited Acme, met Li", "Acme", ["Li"], "onsite", None),
    (
        "visited acme logistics, met li and zhou, quote requested, follow-up 2026-12-05",
        "acme logistics",
        ["li", "zhou"],
        "onsite",
        at(12, 5),
    ),
    ("visited acme, met li, quote, follow up 2026-12-01", "acme", ["li"], "onsite", at(12, 1)),
    (
        "called Acme, spoke to Li, they need 20 units, call back in 3 days",
        "Acme",
        ["Li"],
        "phone",
        at(12, 4),
    ),
    (
        "met with Li and Wang at Globex, discussed pricing, follow up next Tuesday afternoon",
        "Globex",
        ["Li", "Wang"],
        None,
        at(12, 8, 15),
    ),
    (
        "zoom call with Initech, met Bob, demo went well, follow up Dec 3 10:30",
        "Initech",
        ["Bob"],
        "online",
        at(12, 3, 10, 30),
    ),
    (
        "video call with Umbrella Corp - met Alice - demo went well - follow up tomorrow 10am",
        "Umbrella Corp",
        ["Alice"],
        "online",
        at(12, 2, 10),
    ),
    ("Acme - met Li - quote - follow up Fri", "Acme", ["Li"], None, at(12, 4)),
    (
        "visited Acme and met Li to discuss the quote. Follow up next Friday at 3pm.",
        "Acme",
        ["Li"],
        "onsite",
        at(12, 4, 15),
    ),
    (
        "Visited ACME Corp 🏭, met Li & Wang 👍, they want a quote, follow up next Friday 3pm",
        "ACME Corp",
        ["Li", "Wang"],
        "onsite",
        at(12, 4, 15),
    ),
    ("met with Acme, they want a quote", "Acme", [], None, None),
    ("called Li at Acme, wants a discount", "Acme", ["Li"], "phone", None),
    (
        "visited Globex today, met Mr. Chen, signed the renewal",
        "Globex",
        ["Mr. Chen"],
        "onsite",
        None,
    ),
    (
        "visited Hooli; saw the CFO; budget approved; revisit in two weeks",
        "Hooli",
        ["CFO"],
        "onsite",
        at(12, 15),
    ),
    (
        "visit to Stark Industries, met Pepper and Happy, tour of the plant, "
        "follow up next Monday morning",
        "Stark Industries",
        ["Pepper", "Happy"],
        "onsite",
        at(12, 7),
    ),
    (
        "phoned Wayne Enterprises, talked to Lucius, price too high, follow up tomorrow at 3",
        "Wayne Enterprises",
        ["Lucius"],
        "phone",
        at(12, 2, 15),
    ),
    (
        "online meeting with Cyberdyne, met Miles, need security review, follow-up on Dec 10",
        "Cyberdyne",
        ["Miles"],
        "online",
        at(12, 10),
    ),
    (
        "dropped by Soylent, saw Mr. Thorn, no decision yet",
        "Soylent",
        ["Mr. Thorn"],
        "onsite",
        None,
    ),
    (
        "visited Acme, met Li, discussed Q1 volumes, follow up in 3 days",
        "Acme",
        ["Li"],
        "onsite",
        at(12, 4),
    ),
    (
        "Visited Acme Logistics!! Met Li. They want a quote. Follow up Friday 3pm 🙂",
        "Acme Logistics",
        ["Li"],
        "onsite",
        at(12, 4, 15),
    ),
    (
        "Teams call with Initrode, spoke with Peter and Samir, follow up next week",
        "Initrode",
        ["Peter", "Samir"],
        "online",
        at(12, 8),
    ),
    (
        "call with Globex, Hank wants pricing, call back tomorrow morning",
        "Globex",
        [],
        "phone",
        at(12, 2),
    ),
    (
        "Visited Initech. Met Bill Lumbergh. Budget next quarter. Follow up next Friday 3pm.",
        "Initech",
        ["Bill Lumbergh"],
        "onsite",
        at(12, 4, 15),
    ),
    (
        "visited Acme — met Li — they want a quote — follow up Friday 3pm",
        "Acme",
        ["Li"],
        "onsite",
        at(12, 4, 15),
    ),
    ("visited Acme, met Li, quote, follow up on the 5th", "Acme", ["Li"], "onsite", at(12, 5)),
    ("met Li, they want a quote, follow up Friday", None, ["Li"], None, at(12, 4)),
]

NOT_REPORTS = [
    "hello",
    "谢谢",
    "/start",
    "/visit Acme",
    "明天下午3点",
    "next Friday 3pm",
    "2026-12-01",
    "ok thanks",
    "好的，收到",
    "下周二跟进",
    "follow up Friday",
    "what's the weather tomorrow?",
    "thanks for the call",
    "saw the movie last night, great",
    "谈了报价",
    "👍",
    "",
    "x" * 3000,
]


@pytest.mark.parametrize(
    ("text", "customer", "contacts", "kind", "followup"), REPORTS, ids=[r[0][:40] for r in REPORTS]
)
def test_report(
    text: str,
    customer: str | None,
    contacts: list[str],
    kind: str | None,
    followup: datetime | None,
) -> None:
    got = draft(text)
    assert got.customer_query == customer
    assert got.contacts == contacts
    assert got.kind == kind
    if followup is None:
        assert got.followup_at is None
        assert got.followup_text is None
    else:
        assert got.followup_at is not None
        assert got.followup_at.tzinfo is TZ
        assert got.followup_at.replace(tzinfo=None) == followup
        assert got.followup_text
    assert got.outcome.strip()


@pytest.mark.parametrize("text", NOT_REPORTS, ids=[t[:20] or "empty" for t in NOT_REPORTS])
def test_not_a_report(text: str) -> None:
    assert parse_visit(text, NOW, TZ) is None


def test_the_two_examples_in_full() -> None:
    assert draft("拜访华能电厂，见了张工，谈变压器报价，下周二下午跟进") == VisitDraft(
        customer_query="华能电厂",
        contacts=["张工"],
        outcome="谈变压器报价",
        followup_at=datetime(2026, 12, 8, 15, 0, tzinfo=TZ),
        followup_text="下周二下午",
        kind="onsite",
    )
    assert draft("visited Acme, met Li, they want a quote, follow up Friday 3pm") == VisitDraft(
        customer_query="Acme",
        contacts=["Li"],
        outcome="they want a quote",
        followup_at=datetime(2026, 12, 4, 15, 0, tzinfo=TZ),
        followup_text="Friday 3pm",
        kind="onsite",
    )


@pytest.mark.parametrize(
    ("text", "outcome", "followup_text"),
    [
        ("拜访华能电厂，见了张工，谈报价，需要再跟进", "谈报价，需要再跟进", None),
        (
            "上门拜访会展中心，见了赵主任，展位续签基本确定；12月5日 15:00跟进合同",
            "展位续签基本确定，跟进合同",
            "12月5日 15:00",
        ),
        ("拜访 华能电厂 见了张工 谈报价 明天下午3点跟进", "谈报价", "明天下午3点"),
        (
            "visited Acme, met Li, they want a quote so follow up Friday 3pm",
            "they want a quote",
            "Friday 3pm",
        ),
        (
            "visited Acme, met Li, they want a quote, follow up with Li next Friday 3pm",
            "they want a quote, follow up with Li",
            "next Friday 3pm",
        ),
        ("visited Acme, met Li, quote, follow-up on Dec 10", "quote", "Dec 10"),
        ("visited Acme, met Li", "visited Acme, met Li", None),  # nothing else: the whole text
    ],
)
def test_outcome_and_followup_text(text: str, outcome: str, followup_text: str | None) -> None:
    got = draft(text)
    assert got.outcome == outcome
    assert got.followup_text == followup_text


def test_past_followup_is_returned_for_the_caller_to_judge() -> None:
    got = draft("拜访华能电厂，见了张工，谈报价，今天8点跟进")
    assert got.followup_at == datetime(2026, 12, 1, 8, 0, tzinfo=TZ)


def test_table_is_half_chinese_half_english() -> None:
    chinese = sum(1 for text, *_ in REPORTS if any("\u4e00" <= c <= "\u9fff" for c in text))
    assert len(REPORTS) >= 40
    assert abs(chinese - (len(REPORTS) - chinese)) <= len(REPORTS) // 5


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=300))
def test_any_text_gives_none_or_a_draft(text: str) -> None:
    got = parse_visit(text, NOW, TZ)
    if got is not None:
        assert got.customer_query or got.contacts
        assert got.outcome
        assert got.followup_at is None or got.followup_at.tzinfo is TZ
