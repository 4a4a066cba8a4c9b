"""Tabular exports of customers, visits, follow-ups and tickets, times in local time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm.models import Customer, FollowUp, Staff, Ticket, Visit
from crm.services.deals import tables as deal_tables

KINDS = ("customers", "visits", "followups", "tickets", *deal_tables.KINDS)


def _local(dt: datetime | None, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else ""


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


async def table(
    session: AsyncSession, kind: str, tz: ZoneInfo, flt: Filter | None = None
) -> tuple[list[str], list[Sequence[Any]]]:
    flt = flt or Filter()
    if kind == "customers":
        return await _customers(session, tz, flt)
    if kind == "visits":
        return await _visits(session, tz, flt)
    if kind == "followups":
        return await _followups(session, tz, flt)
    if kind == "tickets":
        return await _tickets(session, tz, flt)
    if kind in deal_tables.KINDS:
        # Deals: every row the user may see (a period does not apply: a contract's schedule and
        # payments belong together); the columns are an import's (crm/services/deals/tables.py).
        cols, data = await deal_tables.table(session, kind, flt.scope)
        return cols, [tuple(r) for r in data]
    raise ValueError(f"unknown export {kind!r}; choose one of {', '.join(KINDS)}")


async def _customers(
    session: AsyncSession, tz: ZoneInfo, flt: Filter
) -> tuple[list[str], list[Sequence[Any]]]:
    cols = [
        "id",
        "external_id",
        "name",
        "class",
        "stage",
        "relationship",
        "owner",
        "team",
        "claim_expires",
        "phone",
        "industry",
        "address",
        "area",
        "source",
        "tags",
        "annual_value",
        "vip",
        "credit_rating",
        "blacklisted",
        "blacklist_reason",
        "kind",
        "notes",
        "power_account",
        "tariff",
        "voltage",
        "meter_segment",
        "lat",
        "lon",
        "approval",
        "care_consent",
        "consent_at",
        "created_at",
        "updated_at",
    ]
    owner = aliased(Staff)
    rows = await session.execute(
        flt.apply(
            select(Customer, owner.name).outerjoin(owner, owner.id == Customer.owner_id), None
        ).order_by(Customer.id)
    )
    out = [
        (
            c.id,
            c.external_id or "",
            c.name,
            c.customer_class,
            c.stage,
            c.relationship,
            owner_name or "",
            c.team or "",
            _local(c.claim_expires_at, tz),
            c.phone or "",
            c.industry or "",
            c.address or "",
            c.area or "",
            c.source or "",
            ",".join(c.tags or []),
            float(c.annual_value or 0),
            c.vip,
            c.credit_rating or "",
            c.blacklisted,
            c.blacklist_reason or "",
            "company" if c.is_company else "person",
            c.notes or "",
            c.power_account or "",
            c.tariff or "",
            c.voltage or "",
            c.meter_segment or "",
            c.lat if c.lat is not None else "",
            c.lon if c.lon is not None else "",
            c.approval or "",
            c.care_consent,
            _local(c.consent_at, tz),
            _local(c.created_at, tz),
            _local(c.updated_at, tz),
        )
        for c, owner_name in rows.all()
    ]
    return cols, out


async def _visits(
    session: AsyncSession, tz: ZoneInfo, flt: Filter
) -> tuple[list[str], list[Sequence[Any]]]:
    cols = [
        "id",
        "visited_at",
        "customer_id",
        "customer",
        "rep",
        "kind",
        "purpose",
        "outcome",
        "contacts_met",
        "lat",
        "lon",
        "distance_m",
        "far_from_address",
    ]
    rows = await session.execute(
        flt.apply(
            select(Visit, Customer.name, Staff.name)
            .join(Customer, Customer.id == Visit.customer_id)
            .join(Staff, Staff.id == Visit.staff_id),
            Visit.visited_at,
        ).order_by(Visit.visited_at)
    )
    out = [
        (
            v.id,
            _local(v.visited_at, tz),
            v.customer_id,
            cname,
            sname,
            v.kind,
            v.purpose or "",
            v.outcome or "",
            v.contacts_met or "",
            v.lat,
            v.lon,
            v.distance_m,
            v.far_from_address,
        )
        for v, cname, sname in rows.all()
    ]
    return cols, out


async def _followups(
    session: AsyncSession, tz: ZoneInfo, flt: Filter
) -> tuple[list[str], list[Sequence[Any]]]:
    cols = [
        "id",
        "due_at",
        "status",
        "customer_id",
        "customer",
        "rep",
        "note",
        "reminded_at",
        "done_at",
        "visit_id",
        "created_at",
    ]
    rows = await session.execute(
        flt.apply(
            select(FollowUp, Customer.name, Staff.name)
            .join(Customer, Customer.id == FollowUp.customer_id)
            .join(Staff, Staff.id == FollowUp.staff_id),
            FollowUp.due_at,
        ).order_by(FollowUp.due_at)
    )
    out = [
        (
            f.id,
            _local(f.due_at, tz),
            f.status,
            f.customer_id,
            cname,
            sname,
            f.note or "",
            _local(f.reminded_at, tz),
            _local(f.done_at, tz),
            f.visit_id,
            _local(f.created_at, tz),
        )
        for f, cname, sname in rows.all()
    ]
    return cols, out


async def _tickets(
    session: AsyncSession, tz: ZoneInfo, flt: Filter
) -> tuple[list[str], list[Sequence[Any]]]:
    cols = [
        "id",
        "number",
        "kind",
        "category",
        "status",
        "customer_id",
        "customer",
        "owner",
        "created_at",
        "first_response_due",
        "first_response_at",
        "resolution_due",
        "resolved_at",
        "rating",
        "text",
    ]
    owner = aliased(Staff)
    rows = await session.execute(
        flt.apply(
            select(Ticket, Customer.name, owner.name)
            .outerjoin(Customer, Customer.id == Ticket.customer_id)
            .outerjoin(owner, owner.id == Ticket.owner_id),
            Ticket.created_at,
        ).order_by(Ticket.id)
    )
    out = [
        (
            t.id,
            t.number,
            t.kind,
            t.category or "",
            t.status,
            t.customer_id,
            cname or "",
            oname or "",
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
    return cols, out
