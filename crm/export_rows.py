"""The rows of the exports read from the database, typed: times as wall-clock times in the
company's zone (naive: XLSX has no time zones), amounts as Decimal, codes as stored. Their
columns, in the same order, are crm/export.py's COLUMNS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm.models import Contact, Customer, FollowUp, Staff, Ticket, Visit

Row = tuple[Any, ...]


def _local(dt: datetime | None, tz: ZoneInfo) -> datetime | None:
    # To the minute's second: a spreadsheet shows no microseconds, and filters on equal times.
    return dt.astimezone(tz).replace(tzinfo=None, microsecond=0) if dt else None


@dataclass(frozen=True)
class Filter:
    """Which rows: customers matching `scope` (None: all); for events, a period [since, until)."""

    scope: ColumnElement[bool] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, stmt: Select, when: Any) -> Select:  # type: ignore[type-arg]
        if self.scope is not None:
            stmt = stmt.where(self.scope)
        if self.since is not None and when is not None:
            stmt = stmt.where(when >= self.since)
        if self.until is not None and when is not None:
            stmt = stmt.where(when < self.until)
        return stmt


async def _customers(session: AsyncSession, tz: ZoneInfo, flt: Filter) -> list[Row]:
    owner = aliased(Staff)
    rows = await session.execute(
        flt.apply(
            select(Customer, owner.name).outerjoin(owner, owner.id == Customer.owner_id), None
        ).order_by(Customer.id)
    )
    return [
        (
            c.id,
            c.external_id,
            c.name,
            c.customer_class,
            c.stage,
            c.relationship,
            owner_name,
            c.team,
            _local(c.claim_expires_at, tz),
            c.phone,
            c.industry,
            c.address,
            c.area,
            c.source,
            ",".join(c.tags or []),
            c.annual_value,
            c.vip,
            c.credit_rating,
            c.blacklisted,
            c.blacklist_reason,
            "company" if c.is_company else "person",
            c.notes,
            c.power_account,
            c.tariff,
            c.voltage,
            c.meter_segment,
            c.lat,
            c.lon,
            c.approval,
            c.care_consent,
            _local(c.consent_at, tz),
            _local(c.created_at, tz),
            _local(c.updated_at, tz),
        )
        for c, owner_name in rows.all()
    ]


async def _contacts(session: AsyncSession, tz: ZoneInfo, flt: Filter) -> list[Row]:
    rows = await session.execute(
        flt.apply(
            select(Contact, Customer.name).join(Customer, Customer.id == Contact.customer_id), None
        ).order_by(Contact.customer_id, Contact.id)
    )
    return [
        (
            p.id,
            p.customer_id,
            cname,
            p.name,
            p.title,
            p.role,
            p.phone,
            p.birthday,
            p.birthday_lunar,
            p.notes,
            _local(p.created_at, tz),
        )
        for p, cname in rows.all()
    ]


async def _visits(session: AsyncSession, tz: ZoneInfo, flt: Filter) -> list[Row]:
    rows = await session.execute(
        flt.apply(
            select(Visit, Customer.name, Staff.name)
            .join(Customer, Customer.id == Visit.customer_id)
            .join(Staff, Staff.id == Visit.staff_id),
            Visit.visited_at,
        ).order_by(Visit.visited_at)
    )
    return [
        (
            v.id,
            _local(v.visited_at, tz),
            v.customer_id,
            cname,
            sname,
            v.kind,
            v.purpose,
            v.outcome,
            v.contacts_met,
            v.lat,
            v.lon,
            v.distance_m,
            v.far_from_address,
        )
        for v, cname, sname in rows.all()
    ]


async def _followups(session: AsyncSession, tz: ZoneInfo, flt: Filter) -> list[Row]:
    rows = await session.execute(
        flt.apply(
            select(FollowUp, Customer.name, Staff.name)
            .join(Customer, Customer.id == FollowUp.customer_id)
            .join(Staff, Staff.id == FollowUp.staff_id),
            FollowUp.due_at,
        ).order_by(FollowUp.due_at)
    )
    return [
        (
            f.id,
            _local(f.due_at, tz),
            f.status,
            f.customer_id,
            cname,
            sname,
            f.note,
            _local(f.reminded_at, tz),
            _local(f.done_at, tz),
            f.visit_id,
            _local(f.created_at, tz),
        )
        for f, cname, sname in rows.all()
    ]


async def _tickets(session: AsyncSession, tz: ZoneInfo, flt: Filter) -> list[Row]:
    owner = aliased(Staff)
    rows = await session.execute(
        flt.apply(
            select(Ticket, Customer.name, owner.name)
            .outerjoin(Customer, Customer.id == Ticket.customer_id)
            .outerjoin(owner, owner.id == Ticket.owner_id),
            Ticket.created_at,
        ).order_by(Ticket.id)
    )
    return [
        (
            t.id,
            t.number,
            t.kind,
            t.category,
            t.status,
            t.customer_id,
            cname,
            oname,
            _local(t.created_at, tz),
            _local(t.first_response_due, tz),
            _local(t.first_response_at, tz),
            _local(t.resolution_due, tz),
            _local(t.resolved_at, tz),
            t.rating,
            t.text,
        )
        for t, cname, oname in rows.all()
    ]


READERS: dict[str, Callable[[AsyncSession, ZoneInfo, Filter], Awaitable[list[Row]]]] = {
    "customers": _customers,
    "contacts": _contacts,
    "visits": _visits,
    "followups": _followups,
    "tickets": _tickets,
}
