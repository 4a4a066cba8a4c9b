"""Customer look-ups and changes."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import Select, bindparam, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import FollowUpStatus, Role, TicketStatus
from crm.geo import distance_m
from crm.limits import text_limit
from crm.models import (
    Contact,
    Customer,
    CustomerAlias,
    CustomerChange,
    FollowUp,
    Staff,
    Ticket,
    Visit,
)
from crm.names import search_key, sound_of
from crm.phones import normalise
from crm.services.access import bound_scope, customer_scope, scope_params, seen_in_scope


@functools.cache
def _search_statements(role: Role, limit: int) -> tuple[Select[Any], ...]:
    """search's statements for one role, built once (see access.bound_scope)."""
    scope = bound_scope(role)
    by_name = Customer.name_search.contains(bindparam("needle")) | Customer.name.contains(
        bindparam("query")
    )
    return (
        select(Customer).where(scope, Customer.phone == bindparam("phone")),
        select(Customer).where(scope, by_name).order_by(Customer.name).limit(limit),
        select(Customer)
        .where(scope, Customer.name_search.contains(bindparam("sound")))
        .order_by(Customer.name)
        .limit(limit),
        select(Customer.id, Customer.name).where(scope),
        # Customers merged away: their old names and phones find the survivor.
        select(Customer)
        .where(
            scope,
            Customer.id.in_(
                select(CustomerAlias.customer_id).where(
                    CustomerAlias.name_search.contains(bindparam("needle"))
                    | CustomerAlias.name.contains(bindparam("query"))
                    | (CustomerAlias.phone == bindparam("phone"))
                )
            ),
        )
        .order_by(Customer.name)
        .limit(limit),
    )


async def search(session: AsyncSession, staff: Staff, query: str, limit: int = 8) -> list[Customer]:
    """By phone, by name or pinyin substring, by the sound of Chinese characters (Simplified finds
    Traditional and back), then fuzzily; only customers the staff may see."""
    found = await _search(session, staff, query, limit)
    seen_in_scope(session, staff, found)
    return found


async def _search(session: AsyncSession, staff: Staff, query: str, limit: int) -> list[Customer]:
    query = query.strip()
    by_phone, by_name, by_sound, every_name, by_alias = _search_statements(Role(staff.role), limit)
    scope = scope_params(staff)
    phone = normalise(query) if any(ch.isdigit() for ch in query) else None
    if phone:
        found = (await session.scalars(by_phone, {**scope, "phone": phone})).all()
        if found:
            return list(found)
    direct = (
        await session.scalars(by_name, {**scope, "needle": query.lower(), "query": query})
    ).all()
    if direct:
        return list(direct)
    params = {**scope, "needle": query.lower(), "query": query, "phone": phone or ""}
    merged = (await session.scalars(by_alias, params)).all()
    if merged:
        return list(merged)
    sound = sound_of(query)
    if sound is not None:
        alike = (await session.scalars(by_sound, {**scope, "sound": sound})).all()
        if alike:
            return list(alike)
    candidates = (await session.execute(every_name, scope)).all()
    names = {cid: name for cid, name in candidates}
    best = process.extract(query, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=70)
    ids = [cid for _name, _score, cid in best]
    if not ids:
        return []
    found = {c.id: c for c in await session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


async def names_in_scope(session: AsyncSession, staff: Staff) -> list[tuple[int, str]]:
    """(id, name) of every customer the staff member may see: what a message is read against."""
    every_name = _search_statements(Role(staff.role), 8)[3]
    rows = await session.execute(every_name, scope_params(staff))
    return [(cid, name) for cid, name in rows.all()]


async def recent_for(session: AsyncSession, staff: Staff, limit: int = 6) -> list[Customer]:
    last = (
        select(Visit.customer_id, func.max(Visit.visited_at).label("last"))
        .where(Visit.staff_id == staff.id)
        .group_by(Visit.customer_id)
        .subquery()
    )
    rows = await session.scalars(
        select(Customer)
        .outerjoin(last, last.c.customer_id == Customer.id)
        .where(customer_scope(staff))
        .order_by(last.c.last.desc().nulls_last(), Customer.name)
        .limit(limit)
    )
    return list(rows)


@dataclass
class Card:
    customer: Customer
    owner: Staff | None
    contacts: list[Contact]
    last_visit: Visit | None
    next_followup: FollowUp | None
    open_tickets: int


# A card is looked at after nearly every change: its statements are built once (see
# crm.services.runtime), the customer bound at execution.
_CUSTOMER = bindparam("customer_id")
_CONTACTS = select(Contact).where(Contact.customer_id == _CUSTOMER).order_by(Contact.id)
_LAST_VISIT = (
    select(Visit).where(Visit.customer_id == _CUSTOMER).order_by(Visit.visited_at.desc()).limit(1)
)
_NEXT_FOLLOWUP = (
    select(FollowUp)
    .where(FollowUp.customer_id == _CUSTOMER, FollowUp.status == FollowUpStatus.OPEN)
    .order_by(FollowUp.due_at)
    .limit(1)
)
_OPEN_TICKETS = select(func.count(Ticket.id)).where(
    Ticket.customer_id == _CUSTOMER,
    Ticket.status.in_([TicketStatus.NEW, TicketStatus.IN_PROGRESS]),
)


async def card(session: AsyncSession, customer_id: int) -> Card | None:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        return None
    at = {"customer_id": customer_id}
    owner = await session.get(Staff, customer.owner_id) if customer.owner_id else None
    contacts = list(await session.scalars(_CONTACTS, at))
    last_visit = await session.scalar(_LAST_VISIT, at)
    next_fu = await session.scalar(_NEXT_FOLLOWUP, at)
    open_tickets = await session.scalar(_OPEN_TICKETS, at)
    return Card(customer, owner, contacts, last_visit, next_fu, open_tickets or 0)


def renew_claim(customer: Customer, staff: Staff, now: datetime, period_days: int) -> None:
    """A visit or follow-up by the owner renews the claim; a pooled customer is claimed."""
    if customer.owner_id is None:
        customer.owner_id = staff.id
        customer.team = staff.team
    if customer.owner_id == staff.id:
        customer.claim_expires_at = now + timedelta(days=period_days)


def new_customer(name: str, **fields: object) -> Customer:
    phone = fields.pop("phone", None)
    # Whatever a caller passes (a Telegram first name, a typed name), the column's size holds.
    name = name[: text_limit(Customer.name)]
    return Customer(
        name=name,
        name_search=search_key(name),
        phone=normalise(str(phone)) if phone else None,
        **fields,
    )


async def duplicates(
    session: AsyncSession, name: str, phone: str | None, limit: int = 3
) -> list[Customer]:
    """Customers that are probably this one: the same normalised phone, or a very similar name.

    Checked across the whole company, not only what the rep may see: that is the point.
    """
    found: dict[int, Customer] = {}
    if phone:
        for c in await session.scalars(select(Customer).where(Customer.phone == phone)):
            found[c.id] = c
    rows = (await session.execute(select(Customer.id, Customer.name))).all()
    names = {cid: cname for cid, cname in rows}
    key = name.strip().lower()
    for _n, _score, cid in process.extract(
        key, names, scorer=fuzz.ratio, processor=str.lower, limit=limit, score_cutoff=85
    ):
        if cid not in found:
            found[cid] = await session.get(Customer, cid)  # type: ignore[assignment]
    return list(found.values())[:limit]


@dataclass
class Event:
    at: datetime
    kind: str  # visit | followup | change | ticket
    text: str
    extra: str = ""


# Each source of a card's events: its time, its text and its extra (the kind, the status...).
_SOURCES = (
    ("visit", Visit, Visit.visited_at, func.coalesce(Visit.outcome, ""), Visit.kind),
    ("followup", FollowUp, FollowUp.created_at, func.coalesce(FollowUp.note, ""), FollowUp.status),
    (
        "change",
        CustomerChange,
        CustomerChange.changed_at,
        CustomerChange.new_value,
        CustomerChange.field,
    ),
    ("ticket", Ticket, Ticket.created_at, Ticket.number, Ticket.kind),
)


@functools.cache
def _recent(limit: int) -> Select[Any]:
    """The latest `limit` of each source, in one statement (four cost four times the work of
    building and running one): the newest first, and a visit before its follow-up at the same
    moment, as the sources are listed."""
    parts = [
        select(
            when.label("at"),
            literal(rank).label("rank"),
            literal(kind).label("kind"),
            text_of.label("text"),
            extra.label("extra"),
        )
        .where(model.customer_id == _CUSTOMER)
        .order_by(when.desc())
        .limit(limit)
        .subquery()
        for rank, (kind, model, when, text_of, extra) in enumerate(_SOURCES)
    ]
    merged = union_all(*(select(*part.c) for part in parts)).subquery()
    return select(merged).order_by(merged.c.at.desc(), merged.c.rank).limit(limit)


async def recent_events(session: AsyncSession, customer_id: int, limit: int = 5) -> list[Event]:
    """The latest visits, follow-ups, changes and requests, merged newest first."""
    rows = await session.execute(_recent(limit), {"customer_id": customer_id})
    return [Event(r.at, r.kind, r.text, r.extra) for r in rows]


async def nearest(
    session: AsyncSession, staff: Staff, lat: float, lon: float, radius_m: float, limit: int = 5
) -> list[tuple[Customer, float]]:
    """Customers the staff may see within the radius of a pin, nearest first."""
    # A bounding box in SQL first (1 degree of latitude is ~111 km), exact distance in Python.
    span = radius_m / 111_000 * 1.5
    rows = await session.scalars(
        select(Customer).where(
            customer_scope(staff),
            Customer.lat.between(lat - span, lat + span),
            Customer.lon.between(lon - span * 2, lon + span * 2),
        )
    )
    found = [(c, distance_m(lat, lon, c.lat, c.lon)) for c in rows if c.lat is not None]
    return sorted((x for x in found if x[1] <= radius_m), key=lambda x: x[1])[:limit]


async def contacts_of(session: AsyncSession, customer_id: int) -> list[Contact]:
    return list(await session.scalars(_CONTACTS, {"customer_id": customer_id}))
