"""Consent to care messages, the frequency cap and quiet hours: whether and when a care message
may go out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import OutboxStatus
from crm.models import (
    CareDelivery,
    Contact,
    Customer,
    CustomerUser,
    OutboxMessage,
)
from crm.rules import QuietHours
from crm.services import runtime
from crm.services.care_kinds import CARE_KINDS, LIVE_OUTBOX, OPTED_OUT
from crm.sla import in_quiet_hours

# ---------------------------------------------------------------- consent


async def customer_for_user(session: AsyncSession, cuser: CustomerUser) -> Customer | None:
    """The customer whose care messages this Telegram user gets: the linked customer record,
    else the customer of a contact with this Telegram account."""
    if cuser.customer_id is not None:
        return await session.get(Customer, cuser.customer_id)
    contact = await session.scalar(
        select(Contact).where(Contact.tg_user_id == cuser.tg_user_id).limit(1)
    )
    return await session.get(Customer, contact.customer_id) if contact is not None else None


async def may_set_consent(session: AsyncSession, cuser: CustomerUser, customer_id: int) -> bool:
    customer = await customer_for_user(session, cuser)
    return customer is not None and customer.id == customer_id


async def set_consent(
    session: AsyncSession,
    customer: Customer,
    on: bool,
    *,
    now: datetime,
    source: str,
    actor_kind: str,
    actor_id: int | None,
) -> bool:
    """Records a consent (time and source on the customer) or an opt-out (the audit log keeps
    its time and source; the last consent stays on record). False when nothing changed.

    An opt-out also stops the care messages already queued for later (held for quiet hours).
    """
    if customer.care_consent == on:
        return False
    customer.care_consent = on
    if on:
        customer.consent_at = now
        customer.consent_source = source[:40]
    else:
        await _stop_pending(session, customer.id, now)
    await runtime.audit(
        session,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action="customer.care_consent",
        entity="customer",
        entity_id=customer.id,
        changes={"care_consent": [not on, on], "source": source},
        now=now,
    )
    return True


async def _stop_pending(session: AsyncSession, customer_id: int, now: datetime) -> None:
    rows = (
        await session.execute(
            select(CareDelivery.id, CareDelivery.outbox_id)
            .join(OutboxMessage, OutboxMessage.id == CareDelivery.outbox_id)
            .where(
                CareDelivery.customer_id == customer_id,
                CareDelivery.kind.in_(CARE_KINDS),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
    ).all()
    if not rows:
        return
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([o for _d, o in rows]),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.DEAD, last_error="opted out")
    )
    await session.execute(
        update(CareDelivery)
        .where(CareDelivery.id.in_([d for d, _o in rows]))
        .values(status=OPTED_OUT, updated_at=now)
    )


# ---------------------------------------------------------------- the cap and quiet hours


async def care_counts(
    session: AsyncSession, customer_ids: Iterable[int], since: datetime
) -> dict[int, int]:
    """Care messages (not notices) sent or on their way to each customer since `since`.

    Per customer, the count of its most-messaged chat: a greeting to a customer with three
    people on Telegram is one greeting to that customer, not three.
    """
    ids = list(dict.fromkeys(customer_ids))
    counts: dict[int, int] = {}
    for i in range(0, len(ids), 500):
        rows = await session.execute(
            select(CareDelivery.customer_id, OutboxMessage.chat_id, func.count())
            .join(OutboxMessage, OutboxMessage.id == CareDelivery.outbox_id)
            .where(
                CareDelivery.customer_id.in_(ids[i : i + 500]),
                CareDelivery.kind.in_(CARE_KINDS),
                OutboxMessage.status.in_(LIVE_OUTBOX),
                OutboxMessage.due_at > since,
            )
            .group_by(CareDelivery.customer_id, OutboxMessage.chat_id)
        )
        for cid, _chat, n in rows.all():
            counts[cid] = max(counts.get(cid, 0), n)
    return counts


async def last_care(session: AsyncSession, customer_ids: Iterable[int]) -> dict[int, datetime]:
    """When each customer was last sent (or is due) a care message, notices not counted."""
    ids = list(dict.fromkeys(customer_ids))
    found: dict[int, datetime] = {}
    for i in range(0, len(ids), 500):
        rows = await session.execute(
            select(CareDelivery.customer_id, func.max(OutboxMessage.due_at))
            .join(OutboxMessage, OutboxMessage.id == CareDelivery.outbox_id)
            .where(
                CareDelivery.customer_id.in_(ids[i : i + 500]),
                CareDelivery.kind.in_(CARE_KINDS),
                OutboxMessage.status.in_(LIVE_OUTBOX),
            )
            .group_by(CareDelivery.customer_id)
        )
        for cid, when in rows.all():
            if when is not None:
                found[cid] = _aware(when)
    return found


def _aware(value: Any) -> datetime:
    """func.max() bypasses the column type: SQLite returns text or a naive UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def quiet_until(when: datetime, quiet: QuietHours, tz: tzinfo) -> datetime | None:
    """The end of the quiet hours `when` falls in (the recipient's time zone), or None."""
    if not in_quiet_hours(when, quiet, tz):
        return None
    local = when.astimezone(tz)
    end = datetime.combine(local.date(), quiet.end, tz)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tz)
    return end
