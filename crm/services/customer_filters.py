"""Customers by conditions: class, stage, VIP, credit, area, industry, tag, owner and "not
visited for N days". One set of filters for /customers, the export and campaigns.

Typed as a rep would type them, in any of the four languages and in any order:
`A级 VIP 浦东 90天未拜访`, `class B lost @rep2`, `信用C 冶金 重点`. Words that are none of these
are returned, so that the chat can say which it did not understand.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Stage
from crm.models import Customer, Staff, Visit
from crm.services.access import customer_scope

# Parsing vocabulary (not shown to anyone): what people type for each stage.
STAGE_WORDS = {
    "lead": ("线索", "潜在", "lead", "лид"),
    "contacted": ("已联系", "跟进中", "contacted", "контакт"),
    "needs_confirmed": ("需求确认", "需求已确认", "needs", "потребность"),
    "proposal": ("方案", "报价", "proposal", "quote", "предложение"),
    "negotiation": ("谈判", "商务谈判", "negotiation", "переговоры"),
    "won": ("成交", "已成交", "签约", "won", "сделка"),
    "repeat": ("复购", "repeat", "повтор"),
    "lost": ("流失", "丢单", "lost", "потерян"),
}
CLASS_RE = re.compile(r"^(?:class|等级|клас+)?([abc])(?:级|类|类客户|级客户)?$", re.I)
CLASS_WORDS = {"重点": "A", "重点客户": "A", "普通": "B", "普通客户": "B", "小客户": "C"}
CREDIT_RE = re.compile(r"^(?:信用|credit|кредит)[:：]?(\w{1,8})$", re.I)
VIP_WORDS = ("vip", "贵宾", "大客户")
NOT_VISITED = (
    re.compile(r"(\d{1,4})\s*(?:天|日)\s*(?:未|没有?|无)\s*拜访"),
    re.compile(r"(?:未|没有?)\s*拜访\s*(\d{1,4})\s*(?:天|日)"),
    re.compile(r"not\s+visited\s+(?:for\s+|in\s+)?(\d{1,4})\s*d(?:ays?)?", re.I),
    re.compile(r"(?:не\s+было|без)\s+визит\w*\s+(\d{1,4})\s*дн\w*", re.I),
    re.compile(r"(\d{1,4})\s*дн\w*\s+без\s+визит\w*", re.I),
)
JOINED = re.compile(r"(class|credit|класс|кредит|信用|等级)\s+(\w)", re.I)
SPLIT = re.compile(r"[\s,，、;；]+")
MAX_DAYS = 3650


@dataclass
class Filters:
    classes: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    vip: bool | None = None
    credit: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    not_visited_days: int | None = None

    def empty(self) -> bool:
        return self == Filters()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Filters:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Known:
    """The values typed words are matched against: this team's areas, industries, tags, staff."""

    areas: list[str]
    industries: list[str]
    tags: list[str]
    staff: dict[str, int]  # handle or name (lower case) -> id
    credit_ratings: list[str]


async def known(session: AsyncSession, staff: Staff, credit_ratings: list[str]) -> Known:
    scope = customer_scope(staff)
    areas = await session.scalars(select(Customer.area).where(scope).distinct())
    industries = await session.scalars(select(Customer.industry).where(scope).distinct())
    tags: set[str] = set()
    for row in await session.scalars(select(Customer.tags).where(scope)):
        tags.update(t for t in row or () if isinstance(t, str) and t)
    people: dict[str, int] = {}
    for s in await session.scalars(select(Staff).where(Staff.active.is_(True))):
        people[s.name.lower()] = s.id
        if s.handle:
            people["@" + s.handle.lower()] = s.id
    return Known(
        areas=[a for a in areas if a],
        industries=[i for i in industries if i],
        tags=sorted(tags),
        staff=people,
        credit_ratings=credit_ratings,
    )


def parse(text: str, known: Known) -> tuple[Filters, list[str]]:
    """The filters in `text`, and the words that are none of them."""
    f = Filters()
    for pattern in NOT_VISITED:
        m = pattern.search(text)
        if m:
            f.not_visited_days = min(int(m.group(1)), MAX_DAYS)
            text = text[: m.start()] + " " + text[m.end() :]
            break
    # "class C", "credit A", "信用 A": the word and its letter are one condition.
    text = JOINED.sub(r"\1\2", text)
    unknown: list[str] = []
    stage_of = {w.lower(): key for key, words in STAGE_WORDS.items() for w in (*words, key)}
    ratings = {r.lower(): r for r in known.credit_ratings}
    for word in (w for w in SPLIT.split(text) if w):
        low = word.lower()
        if low in VIP_WORDS:
            f.vip = True
        elif (m := CREDIT_RE.match(word)) and m.group(1).lower() in ratings:
            f.credit.append(ratings[m.group(1).lower()])
        elif (m := CLASS_RE.match(word)) and len(word) > 1:  # a bare "A" says too little
            f.classes.append(m.group(1).upper())
        elif low in CLASS_WORDS:
            f.classes.append(CLASS_WORDS[low])
        elif low in stage_of and stage_of[low] in {s.value for s in Stage}:
            f.stages.append(stage_of[low])
        elif low in known.staff:
            f.owners.append(known.staff[low])
        elif (v := _pick(word, known.areas)) is not None:
            f.areas.append(v)
        elif (v := _pick(word, known.industries)) is not None:
            f.industries.append(v)
        elif (v := _pick(word.lstrip("#"), known.tags)) is not None:
            f.tags.append(v)
        else:
            unknown.append(word)
    return f, unknown


def _pick(word: str, values: list[str]) -> str | None:
    low = word.lower()
    return next((v for v in values if v.lower() == low), None)


def conditions(f: Filters, now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions of the filters (tags are matched in Python: `keep`)."""
    out: list[ColumnElement[bool]] = []
    if f.classes:
        out.append(Customer.customer_class.in_(f.classes))
    if f.stages:
        out.append(Customer.stage.in_(f.stages))
    if f.vip is not None:
        out.append(Customer.vip.is_(f.vip))
    if f.credit:
        out.append(Customer.credit_rating.in_(f.credit))
    if f.areas:
        out.append(Customer.area.in_(f.areas))
    if f.industries:
        out.append(Customer.industry.in_(f.industries))
    if f.owners:
        out.append(Customer.owner_id.in_(f.owners))
    if f.not_visited_days is not None:
        since = now - timedelta(days=f.not_visited_days)
        out.append(~exists().where(Visit.customer_id == Customer.id, Visit.visited_at >= since))
    return out


def keep(f: Filters, customer: Customer) -> bool:
    """The filters SQL cannot say alike on SQLite and PostgreSQL (JSON lists)."""
    return not f.tags or bool(set(f.tags) & set(customer.tags or ()))


async def find(
    session: AsyncSession,
    staff: Staff,
    f: Filters,
    now: datetime,
    *,
    page: int = 0,
    per_page: int = 8,
) -> tuple[list[Customer], int]:
    """One page of the customers this staff member may see that match, and how many match."""
    stmt = select(Customer).where(customer_scope(staff), *conditions(f, now))
    if not f.tags:
        total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = await session.scalars(
            stmt.order_by(Customer.customer_class, Customer.name)
            .offset(page * per_page)
            .limit(per_page)
        )
        return list(rows), total
    matching = [
        c
        for c in await session.scalars(stmt.order_by(Customer.customer_class, Customer.name))
        if keep(f, c)
    ]
    return matching[page * per_page : (page + 1) * per_page], len(matching)


async def scope(
    session: AsyncSession, staff: Staff, f: Filters, now: datetime
) -> ColumnElement[bool]:
    """One SQL condition for the customers the staff may see that match (for exports and
    campaigns, which select customers their own way)."""
    conds = [customer_scope(staff), *conditions(f, now)]
    if f.tags:
        ids = [c.id for c in await session.scalars(select(Customer).where(*conds)) if keep(f, c)]
        conds.append(Customer.id.in_(ids))
    return and_(*conds)
