"""Which Telegram users are linked to a customer record, and what they may see: a person linked
through a contact's phone sees their own requests only, unless the owner rep lets them see the
whole company's; either side can undo a link."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import Contact, Customer, CustomerUser, Ticket


async def link_by_phone(
    session: AsyncSession, cuser: CustomerUser, phone: str
) -> tuple[Customer | None, str]:
    """Links the chat to the record whose phone it is ("customer": sees the company's requests)
    or to the record of the contact whose phone it is ("contact": sees their own only)."""
    customer = await session.scalar(select(Customer).where(Customer.phone == phone).limit(1))
    via = "customer"
    if customer is None:
        contact = await session.scalar(select(Contact).where(Contact.phone == phone).limit(1))
        if contact is not None:
            customer = await session.get(Customer, contact.customer_id)
            via = "contact"
    if customer is not None:
        cuser.customer_id = customer.id
        cuser.sees_company = via == "customer"
    return customer, via


def visible_tickets(cuser: CustomerUser) -> ColumnElement[bool]:
    """The requests this customer user may see: their own, and the company's when allowed."""
    own = Ticket.customer_user_id == cuser.id
    if cuser.customer_id is not None and cuser.sees_company:
        return or_(own, Ticket.customer_id == cuser.customer_id)
    return own


async def linked_users(session: AsyncSession, customer_id: int) -> list[CustomerUser]:
    rows = await session.scalars(
        select(CustomerUser)
        .where(CustomerUser.customer_id == customer_id)
        .order_by(CustomerUser.id)
    )
    return list(rows)


async def company_viewers(session: AsyncSession, customer_id: int) -> list[CustomerUser]:
    """The customer's linked users who see all of the company's requests (not those linked
    through a contact's phone who see their own only)."""
    rows = await session.scalars(
        select(CustomerUser).where(
            CustomerUser.customer_id == customer_id, CustomerUser.sees_company.is_(True)
        )
    )
    return list(rows)


def unlink(cuser: CustomerUser) -> None:
    cuser.customer_id = None
    cuser.sees_company = True  # the default for whoever links next time by an invite
