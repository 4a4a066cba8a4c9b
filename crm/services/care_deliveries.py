"""Delivery rows and their dedupe keys (shared with the outbox row, ending with the chat id)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import (
    CareDelivery,
)

# ---------------------------------------------------------------- keys


def campaign_key(campaign_id: int, customer_id: int, chat_id: int) -> str:
    return f"care:camp:{campaign_id}:{customer_id}:{chat_id}"


def occasion_key(kind: str, day: date, who: str, chat_id: int) -> str:
    """An automatic delivery: kind, local day, whose occasion (c<customer> or k<contact>)."""
    return f"care:{kind}:{day.isoformat()}:{who}:{chat_id}"


def chat_of(delivery: CareDelivery) -> int:
    return int(delivery.dedupe_key.rsplit(":", 1)[1])


async def existing(session: AsyncSession, prefix: str) -> dict[str, str]:
    """Deliveries whose key starts with `prefix`: key -> status (what a pass already did)."""
    rows = await session.execute(
        select(CareDelivery.dedupe_key, CareDelivery.status).where(
            CareDelivery.dedupe_key.startswith(prefix, autoescape=True)
        )
    )
    return {key: status for key, status in rows.all()}


def add_delivery(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    customer_id: int,
    status: str,
    now: datetime,
    outbox_id: int | None = None,
    campaign_id: int | None = None,
) -> CareDelivery:
    row = CareDelivery(
        campaign_id=campaign_id,
        customer_id=customer_id,
        kind=kind,
        dedupe_key=key,
        outbox_id=outbox_id,
        status=status,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return row
