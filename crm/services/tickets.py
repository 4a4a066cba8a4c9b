"""Customer requests: numbering, creation with SLA deadlines, listing."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, String, cast, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm import sla
from crm.enums import CustomerClass, TicketStatus
from crm.models import Customer, CustomerUser, KeyValue, Ticket, TicketMessage
from crm.rules import Rules
from crm.services import identity

OPEN = (TicketStatus.NEW, TicketStatus.IN_PROGRESS)
# Only a fallback: callers pass the company's time zone (settings.timezone).
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def next_number(session: AsyncSession, year: int) -> str:
    """T-YYYY-NNNNNN, never shared by two tickets.

    On PostgreSQL the year's counter is bumped by one statement in a short transaction of its
    own, committed at once: held in the ticket's transaction, its row lock would queue every
    other ticket being created (on every replica) behind the rest of this one's work. The cost
    is a gap in the numbers when the ticket's transaction rolls back, as with a sequence. On
    SQLite (one process, one writer at a time) it stays in the ticket's transaction.
    """
    key = f"ticket_seq:{year}"
    bump = (
        _insert(session)(KeyValue)
        .values(key=key, value="1")
        .on_conflict_do_update(
            index_elements=[KeyValue.key],
            set_={"value": cast(cast(KeyValue.value, BigInteger) + 1, String)},
        )
        .returning(KeyValue.value)
    )
    if session.bind.dialect.name == "postgresql":
        async with session.bind.connect() as conn:
            value = (await conn.execute(bump)).scalar_one()
            await conn.commit()
    else:
        value = (await session.execute(bump)).scalar_one()
    return f"T-{year}-{int(value):06d}"


def deadlines(
    rules: Rules,
    kind: str,
    customer_class: str | None,
    now: datetime,
    tz: tzinfo = DEFAULT_TZ,
) -> tuple[datetime, datetime]:
    """(first response due, resolution due): business time where the kind's target says so."""
    return sla.deadlines(rules, kind, customer_class, now, tz)


async def create(
    session: AsyncSession,
    rules: Rules,
    cuser: CustomerUser,
    *,
    kind: str,
    text: str,
    now: datetime,
    attachments: list[str] | None = None,
    tz: tzinfo = DEFAULT_TZ,
    media: list[dict[str, Any]] | None = None,
) -> Ticket:
    """A new request; `tz` is the company's time zone, in which business hours are read."""
    customer = await session.get(Customer, cuser.customer_id) if cuser.customer_id else None
    cls = customer.customer_class if customer else None
    if customer is not None and customer.vip:
        cls = CustomerClass.A  # VIP customers are served as key customers
    first, resolve = deadlines(rules, kind, cls, now, tz)
    ticket = Ticket(
        number=await next_number(session, now.year),
        customer_id=customer.id if customer else None,
        customer_user_id=cuser.id,
        kind=kind,
        text=text,
        status=TicketStatus.NEW,
        owner_id=customer.owner_id if customer else None,
        created_at=now,
        first_response_due=first,
        resolution_due=resolve,
    )
    session.add(ticket)
    await session.flush()
    session.add(
        TicketMessage(
            ticket_id=ticket.id,
            author_kind="customer",
            author_id=cuser.id,
            text=text,
            attachments=attachments or [],
            media=media or None,
            created_at=now,
        )
    )
    await session.flush()
    return ticket


async def for_customer_user(
    session: AsyncSession, cuser: CustomerUser, limit: int = 10
) -> list[Ticket]:
    rows = await session.scalars(
        select(Ticket)
        .where(identity.visible_tickets(cuser))
        .order_by(Ticket.created_at.desc())
        .limit(limit)
    )
    return list(rows)


async def recent_count(session: AsyncSession, cuser: CustomerUser, since: datetime) -> int:
    return (
        await session.scalar(
            select(func.count(Ticket.id)).where(
                Ticket.customer_user_id == cuser.id, Ticket.created_at >= since
            )
        )
        or 0
    )
