"""What an agent needs to know about the customer behind a request, beside it: who they are,
their other requests and the rep who owns them, and when someone last visited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import Customer, CustomerUser, Staff, Ticket, Visit
from crm.services.tickets import OPEN

RECENT = 3


@dataclass
class Sidebar:
    customer: Customer | None
    person: CustomerUser | None
    owner: Staff | None
    open_count: int = 0  # the customer's other open requests
    recent: list[Ticket] = field(default_factory=list)  # their latest other requests
    last_visit: datetime | None = None


async def sidebar(session: AsyncSession, ticket: Ticket) -> Sidebar:
    customer = await session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    person = (
        await session.get(CustomerUser, ticket.customer_user_id)
        if ticket.customer_user_id
        else None
    )
    owner = await session.get(Staff, customer.owner_id) if customer and customer.owner_id else None
    sb = Sidebar(customer, person, owner)
    if customer is None:
        return sb
    others = (Ticket.customer_id == customer.id, Ticket.id != ticket.id)
    sb.open_count = int(
        await session.scalar(select(func.count(Ticket.id)).where(*others, Ticket.status.in_(OPEN)))
        or 0
    )
    sb.recent = list(
        await session.scalars(
            select(Ticket).where(*others).order_by(Ticket.created_at.desc()).limit(RECENT)
        )
    )
    sb.last_visit = await session.scalar(
        select(func.max(Visit.visited_at)).where(Visit.customer_id == customer.id)
    )
    return sb
