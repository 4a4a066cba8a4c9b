"""The service desk's work on a ticket: take, reply, transfer, resolve, rate, reopen, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Role, TicketStatus
from crm.models import Customer, CustomerUser, Staff, Ticket, TicketMessage
from crm.services import identity
from crm.services.tickets import OPEN

PAGE = 8


async def add_message(
    session: AsyncSession,
    ticket: Ticket,
    *,
    author_kind: str,
    author_id: int | None,
    text: str | None,
    attachments: list[str] | None = None,
    now: datetime,
    media: list[dict[str, Any]] | None = None,
) -> TicketMessage:
    msg = TicketMessage(
        ticket_id=ticket.id,
        author_kind=author_kind,
        author_id=author_id,
        text=text,
        attachments=attachments or [],
        media=media or None,
        created_at=now,
    )
    session.add(msg)
    await session.flush()
    return msg


async def take(session: AsyncSession, ticket_id: int, staff: Staff, now: datetime) -> bool:
    """First-contact responsibility: only an untaken ticket (or one already ours) can be taken.

    One conditional UPDATE, so two agents pressing Take at once cannot both win.
    """
    result = await session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            Ticket.status == TicketStatus.NEW,
        )
        .values(owner_id=staff.id, status=TicketStatus.IN_PROGRESS)
    )
    return bool(result.rowcount)


async def transfer(session: AsyncSession, ticket: Ticket, to: Staff) -> None:
    ticket.owner_id = to.id
    if ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.IN_PROGRESS


async def staff_answer(
    session: AsyncSession,
    ticket: Ticket,
    staff_id: int,
    *,
    text: str | None,
    attachments: list[str],
    now: datetime,
    media: list[dict[str, Any]] | None = None,
) -> TicketMessage:
    """A staff member's answer to the customer, from the private desk or a forum topic:
    answering first makes one the responsible person, and it is the first response."""
    if ticket.owner_id is None or ticket.status == TicketStatus.NEW:
        ticket.owner_id = staff_id
    mark_first_response(ticket, now)
    return await add_message(
        session,
        ticket,
        author_kind="staff",
        author_id=staff_id,
        text=text,
        attachments=attachments,
        now=now,
        media=media,
    )


def mark_first_response(ticket: Ticket, now: datetime) -> None:
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.IN_PROGRESS


def resolve(ticket: Ticket, note: str, now: datetime) -> None:
    ticket.status = TicketStatus.RESOLVED
    ticket.resolution_note = note
    ticket.resolved_at = now
    if ticket.first_response_at is None:
        ticket.first_response_at = now


def can_reopen(ticket: Ticket, now: datetime, reopen_days: int) -> bool:
    return (
        ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        and ticket.resolved_at is not None
        and now - ticket.resolved_at <= timedelta(days=reopen_days)
    )


async def open_for_customer(session: AsyncSession, cuser: CustomerUser) -> list[Ticket]:
    cond = identity.visible_tickets(cuser)
    rows = await session.scalars(
        select(Ticket).where(cond, Ticket.status.in_(OPEN)).order_by(Ticket.created_at.desc())
    )
    return list(rows)


async def thread(session: AsyncSession, ticket_id: int, limit: int = 10) -> list[TicketMessage]:
    rows = await session.scalars(
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket_id)
        .order_by(TicketMessage.created_at.desc(), TicketMessage.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


@dataclass
class Page:
    tickets: list[Ticket]
    page: int
    pages: int
    total: int


async def staff_list(
    session: AsyncSession, staff: Staff, flt: str, page: int, now: datetime
) -> Page:
    """Open tickets the staff member may see, by filter: open, mine, breached, or a kind."""
    stmt = select(Ticket).where(Ticket.status.in_(OPEN))
    if staff.role not in (Role.ADMIN, Role.SERVICE):
        team = select(Staff.id).where(or_(Staff.manager_id == staff.id, Staff.team == staff.team))
        mine = or_(
            Ticket.owner_id == staff.id,
            Ticket.customer_id.in_(select(Customer.id).where(Customer.owner_id == staff.id)),
        )
        if staff.role == Role.MANAGER:
            mine = or_(mine, Ticket.owner_id.in_(team), Ticket.customer_id.is_(None))
        stmt = stmt.where(mine)
    if flt == "mine":
        stmt = stmt.where(Ticket.owner_id == staff.id)
    elif flt == "breached":
        stmt = stmt.where(
            or_(
                (Ticket.first_response_at.is_(None)) & (Ticket.first_response_due < now),
                Ticket.resolution_due < now,
            )
        )
    elif flt in ("inquiry", "complaint", "suggestion", "fault", "service"):
        stmt = stmt.where(Ticket.kind == flt)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max((total + PAGE - 1) // PAGE, 1)
    page = min(max(page, 0), pages - 1)
    rows = await session.scalars(
        stmt.order_by(Ticket.resolution_due, Ticket.id).offset(page * PAGE).limit(PAGE)
    )
    return Page(list(rows), page, pages, total)


async def link_by_phone(session: AsyncSession, cuser: CustomerUser, phone: str) -> Customer | None:
    """Links a customer's Telegram to the record whose (or whose contact's) phone it is."""
    from crm.services.identity import link_by_phone as link

    customer, _via = await link(session, cuser, phone)
    return customer


async def queue_agents(session: AsyncSession) -> list[Staff]:
    rows = await session.scalars(
        select(Staff).where(Staff.role == Role.SERVICE, Staff.active.is_(True)).order_by(Staff.id)
    )
    return list(rows)


async def transfer_candidates(session: AsyncSession, ticket: Ticket) -> list[Staff]:
    rows = await session.scalars(
        select(Staff)
        .where(
            Staff.active.is_(True),
            Staff.role.in_([Role.SERVICE, Role.SALES, Role.MANAGER]),
            Staff.tg_user_id.is_not(None),
        )
        .order_by(Staff.role, Staff.name)
    )
    return [s for s in rows if s.id != ticket.owner_id]


async def first_media(session: AsyncSession, ticket_id: int) -> list[dict[str, Any]]:
    """What the customer sent with the request itself (its first message's files and pin)."""
    msg = await session.scalar(
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket_id)
        .order_by(TicketMessage.created_at, TicketMessage.id)
        .limit(1)
    )
    return list(msg.media or []) if msg is not None else []


async def withdraw_message(session: AsyncSession, message_id: int) -> TicketMessage | None:
    """Takes a message off its request (its words are to start another one): the message as it
    was, or None when it is gone already."""
    msg = await session.get(TicketMessage, message_id)
    if msg is not None:
        await session.delete(msg)
    return msg
