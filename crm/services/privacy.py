"""A customer's personal data: everything held about them, and erasure that keeps the figures.

Erasure keeps what reports count (visits, tickets, stages, classes, amounts, times) and removes
what identifies a person: names, numbers, addresses, places, free text, photos, Telegram links.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import (
    AuditLog,
    CareDelivery,
    Contact,
    Contract,
    ConversationState,
    Customer,
    CustomerChange,
    CustomerUser,
    FollowUp,
    Instalment,
    Opportunity,
    Payment,
    Ticket,
    TicketMessage,
    Visit,
)
from crm.services import runtime

ERASED = "[erased]"


def _plain(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in row.__table__.columns:
        value = getattr(row, col.key)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[col.key] = value
    return out


async def _all(session: AsyncSession, model: type, *where: Any) -> list[dict[str, Any]]:
    return [_plain(r) for r in await session.scalars(select(model).where(*where))]


async def export(session: AsyncSession, customer_id: int) -> dict[str, Any] | None:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        return None
    tickets = select(Ticket.id).where(Ticket.customer_id == customer_id)
    return {
        "customer": _plain(customer),
        "contacts": await _all(session, Contact, Contact.customer_id == customer_id),
        "telegram_users": await _all(
            session, CustomerUser, CustomerUser.customer_id == customer_id
        ),
        "visits": await _all(session, Visit, Visit.customer_id == customer_id),
        "follow_ups": await _all(session, FollowUp, FollowUp.customer_id == customer_id),
        "changes": await _all(session, CustomerChange, CustomerChange.customer_id == customer_id),
        "tickets": await _all(session, Ticket, Ticket.customer_id == customer_id),
        "ticket_messages": await _all(session, TicketMessage, TicketMessage.ticket_id.in_(tickets)),
        "care_deliveries": await _all(
            session, CareDelivery, CareDelivery.customer_id == customer_id
        ),
        # Deals: business records kept on erasure (contracts and payments must stay), but held
        # about the customer, so part of what they may ask to see.
        "opportunities": await _all(session, Opportunity, Opportunity.customer_id == customer_id),
        "contracts": await _all(session, Contract, Contract.customer_id == customer_id),
        "instalments": await _all(session, Instalment, Instalment.customer_id == customer_id),
        "payments": await _all(session, Payment, Payment.customer_id == customer_id),
        "audit": await _all(
            session, AuditLog, AuditLog.entity == "customer", AuditLog.entity_id == customer_id
        ),
    }


async def erase(session: AsyncSession, customer_id: int, *, now: datetime) -> bool:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        return False
    customer.name = f"{ERASED} #{customer.id}"
    customer.name_search = ""
    for attr in (
        "phone",
        "address",
        "lat",
        "lon",
        "birthday",
        "external_id",
        "consent_at",
        "consent_source",
        "credit_rating",
    ):
        setattr(customer, attr, None)
    customer.tags, customer.care_consent, customer.updated_at = [], False, now
    await session.execute(delete(Contact).where(Contact.customer_id == customer_id))
    await session.execute(
        update(Visit)
        .where(Visit.customer_id == customer_id)
        .values(outcome=ERASED, purpose=None, contacts_met=None, lat=None, lon=None, photo_ids=[])
    )
    await session.execute(
        update(FollowUp).where(FollowUp.customer_id == customer_id).values(note=ERASED)
    )
    tickets = select(Ticket.id).where(Ticket.customer_id == customer_id)
    await session.execute(
        update(TicketMessage)
        .where(TicketMessage.ticket_id.in_(tickets))
        .values(text=ERASED, attachments=[])
    )
    await session.execute(
        update(Ticket)
        .where(Ticket.customer_id == customer_id)
        .values(text=ERASED, resolution_note=ERASED, rating_comment=None, lat=None, lon=None)
    )
    tg_ids = list(
        await session.scalars(
            select(CustomerUser.tg_user_id).where(CustomerUser.customer_id == customer_id)
        )
    )
    if tg_ids:
        await session.execute(
            delete(ConversationState).where(ConversationState.user_id.in_(tg_ids))
        )
        await session.execute(
            update(Ticket)
            .where(
                Ticket.customer_user_id.in_(
                    select(CustomerUser.id).where(CustomerUser.customer_id == customer_id)
                )
            )
            .values(customer_user_id=None)
        )
        await session.execute(delete(CustomerUser).where(CustomerUser.customer_id == customer_id))
    await runtime.audit(
        session,
        actor_kind="system",
        actor_id=None,
        action="customer.erase",
        entity="customer",
        entity_id=customer_id,
        changes={},
        now=now,
    )
    return True
