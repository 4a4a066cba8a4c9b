"""A customer's personal data: everything held about them, and erasure that keeps the figures.

Erasure keeps what reports count (visits, tickets, stages, classes, amounts, times) and removes
what identifies a person: names, numbers, addresses, places, free text, photos, Telegram links,
and the copies of these elsewhere (crm.services.privacy_copies). Their open requests are closed,
so nothing alerts about them any more. Log files hold none of it (bot.logging scrubs names'
carriers: phone numbers, e-mail addresses, message bodies).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import TicketStatus
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
    Invite,
    Opportunity,
    Payment,
    ReturnVisit,
    Ticket,
    TicketMessage,
    TicketResolution,
    Visit,
)
from crm.services import privacy_copies, runtime
from crm.services.privacy_copies import ERASED, Terms
from crm.services.tickets import OPEN


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
        "earlier_resolutions": await _all(
            session, TicketResolution, TicketResolution.ticket_id.in_(tickets)
        ),
        "return_visits": await _all(session, ReturnVisit, ReturnVisit.ticket_id.in_(tickets)),
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


async def _terms(session: AsyncSession, customer: Customer) -> tuple[Terms, dict[str, list[int]]]:
    """What identifies the customer (to find in copies), and their rows' ids by audit entity."""
    terms = Terms()
    cid = customer.id
    terms.add(customer.name, customer.address, customer.external_id)
    terms.add_phone(customer.phone)
    for contact in await session.scalars(select(Contact).where(Contact.customer_id == cid)):
        terms.add(contact.name, contact.notes)
        terms.add_phone(contact.phone)
    for cu in await session.scalars(select(CustomerUser).where(CustomerUser.customer_id == cid)):
        terms.add(cu.name, cu.handle)
    for v in await session.scalars(select(Visit).where(Visit.customer_id == cid)):
        terms.add(v.outcome, v.purpose, v.contacts_met, *(v.photo_ids or []))
    for f in await session.scalars(select(FollowUp).where(FollowUp.customer_id == cid)):
        terms.add(f.note)
    tickets = list(await session.scalars(select(Ticket).where(Ticket.customer_id == cid)))
    for t in tickets:
        terms.add(t.text, t.resolution_note, t.rating_comment)
    ticket_ids = [t.id for t in tickets]
    if ticket_ids:
        for m in await session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id.in_(ticket_ids))
        ):
            terms.add(m.text, *(m.attachments or []))
    # Earlier names and numbers, from the customer's edits in the audit log.
    for entry in await session.scalars(
        select(AuditLog).where(AuditLog.entity == "customer", AuditLog.entity_id == cid)
    ):
        for key in ("name", "phone", "address"):
            for old in (entry.changes or {}).get(key) or []:
                if isinstance(old, str):
                    terms.add(old)
                    if key == "phone":
                        terms.add_phone(old)
    return terms, {"customer": [cid], "ticket": ticket_ids}


async def erase(session: AsyncSession, customer_id: int, *, now: datetime) -> bool:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        return False
    terms, entities = await _terms(session, customer)
    chat_ids = list(
        await session.scalars(
            select(CustomerUser.tg_user_id).where(CustomerUser.customer_id == customer_id)
        )
    )
    chat_ids += [
        c
        for c in await session.scalars(
            select(Contact.tg_user_id).where(Contact.customer_id == customer_id)
        )
        if c is not None
    ]
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
        "notes",
        "blacklist_reason",
        "power_account",
        "meter_segment",
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
        .values(text=ERASED, attachments=[], media=None)
    )
    await session.execute(
        update(TicketResolution)
        .where(TicketResolution.ticket_id.in_(tickets))
        .values(note=ERASED, rating_comment=None)
    )
    await session.execute(
        update(ReturnVisit).where(ReturnVisit.ticket_id.in_(tickets)).values(note=None)
    )
    # Open requests are closed: no deadline, escalation or reminder is about them any more.
    await session.execute(
        update(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.status.in_(OPEN))
        .values(status=TicketStatus.CLOSED, resolved_at=now)
    )
    await session.execute(
        update(Ticket)
        .where(Ticket.customer_id == customer_id)
        .values(text=ERASED, resolution_note=ERASED, rating_comment=None, lat=None, lon=None)
    )
    # A free-text reason of a stage change may name people; the reason keys ("price") stay.
    for change in await session.scalars(
        select(CustomerChange).where(
            CustomerChange.customer_id == customer_id, CustomerChange.reason.is_not(None)
        )
    ):
        if not (change.reason or "").replace("_", "").isalpha() or not change.reason.isascii():
            change.reason = ERASED
    await session.execute(
        update(Invite).where(Invite.customer_id == customer_id).values(name=None, used_by_tg=None)
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
    await privacy_copies.scrub_outbox(session, terms, chat_ids)
    await privacy_copies.scrub_audit(session, terms, entities)
    await privacy_copies.scrub_drafts(session, terms)
    await privacy_copies.scrub_import_drafts(session, terms)
    await privacy_copies.scrub_reports(session, terms)
    await runtime.audit(
        session,
        actor_kind="system",
        actor_id=None,
        action="customer.erase",
        entity="customer",
        entity_id=customer_id,
        # Which fields went, not what they held.
        changes={"how": "erase", "erased": "name, phone, address, contacts, birthday, notes"},
        now=now,
    )
    return True
