"""Campaign rows (created, due, cancelled, expired), their delivery figures, and delivery
statuses kept up to date with the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import (
    CareCampaign,
    CareDelivery,
    OutboxMessage,
    Staff,
)
from crm.services import access
from crm.services.care_deliveries import add_delivery, campaign_key
from crm.services.care_kinds import (
    CAMPAIGN_CANCELLED,
    CAMPAIGN_EXPIRED,
    CAMPAIGN_SCHEDULED,
    CANCELLED,
    GREETING,
    HELD_CAP,
    HELD_QUIET,
    NOTICE,
    OPTED_OUT,
    OUTBOX_FINAL,
    QUEUED,
    SCHEDULED,
    TOPICS,
    category_of,
)
from crm.services.care_segments import Segment, audience

# ---------------------------------------------------------------- campaigns


async def create_campaign(
    session: AsyncSession,
    staff: Staff,
    *,
    topic: str,
    seg: Segment,
    templates: dict[str, str],
    scheduled_at: datetime,
    now: datetime,
) -> tuple[CareCampaign, int]:
    """The campaign and one scheduled delivery per Telegram user of the segment's customers;
    consent, blocks, the cap and quiet hours are decided when it goes out."""
    if topic not in TOPICS:
        raise ValueError(topic)
    found = await audience(session, staff, seg, topic)
    campaign = CareCampaign(
        name=topic,
        category=category_of(topic),
        segment={k: list(v) for k, v in seg.items() if v},
        templates={k: v for k, v in templates.items() if v},
        scheduled_at=scheduled_at,
        status=CAMPAIGN_SCHEDULED,
        created_by=staff.id,
        created_at=now,
    )
    session.add(campaign)
    await session.flush()
    kind = GREETING if campaign.category == GREETING else NOTICE
    for customer, cuser in found.people:
        add_delivery(
            session,
            key=campaign_key(campaign.id, customer.id, cuser.tg_user_id),
            kind=kind,
            customer_id=customer.id,
            status=SCHEDULED,
            now=now,
            campaign_id=campaign.id,
        )
    await session.flush()
    return campaign, len(found.people)


async def due_campaigns(session: AsyncSession, now: datetime) -> list[CareCampaign]:
    return list(
        await session.scalars(
            select(CareCampaign)
            .where(
                CareCampaign.status == CAMPAIGN_SCHEDULED,
                CareCampaign.scheduled_at <= now,
            )
            .order_by(CareCampaign.scheduled_at, CareCampaign.id)
        )
    )


async def scheduled_deliveries(session: AsyncSession, campaign_id: int) -> list[CareDelivery]:
    return list(
        await session.scalars(
            select(CareDelivery)
            .where(CareDelivery.campaign_id == campaign_id, CareDelivery.status == SCHEDULED)
            .order_by(CareDelivery.id)
        )
    )


async def may_cancel(session: AsyncSession, staff: Staff, campaign_id: int) -> bool:
    campaign = await session.get(CareCampaign, campaign_id)
    return campaign is not None and access.may_cancel_campaign(staff, campaign)


async def cancel_campaign(session: AsyncSession, campaign_id: int, now: datetime) -> bool:
    """A scheduled campaign that has not gone out is cancelled; False when too late."""
    campaign = await session.get(CareCampaign, campaign_id, with_for_update=True)
    if campaign is None or campaign.status != CAMPAIGN_SCHEDULED:
        return False
    campaign.status = CAMPAIGN_CANCELLED
    await session.execute(
        update(CareDelivery)
        .where(CareDelivery.campaign_id == campaign_id, CareDelivery.status == SCHEDULED)
        .values(status=CANCELLED, updated_at=now)
    )
    return True


async def expire_campaign(session: AsyncSession, campaign: CareCampaign, now: datetime) -> int:
    """A campaign found long after its time (the bot was down): not sent. Its deliveries count
    as cancelled; returns how many."""
    campaign.status = CAMPAIGN_EXPIRED
    result = await session.execute(
        update(CareDelivery)
        .where(CareDelivery.campaign_id == campaign.id, CareDelivery.status == SCHEDULED)
        .values(status=CANCELLED, updated_at=now)
    )
    return int(result.rowcount or 0)


async def recent_campaigns(session: AsyncSession, limit: int = 8) -> list[CareCampaign]:
    return list(
        await session.scalars(
            select(CareCampaign)
            .order_by(CareCampaign.created_at.desc(), CareCampaign.id.desc())
            .limit(limit)
        )
    )


# ---------------------------------------------------------------- figures


def effective_status(delivery_status: str, outbox_status: str | None) -> str:
    """A delivery's figure: its outbox row's outcome once final, else its own status."""
    if delivery_status in (OPTED_OUT, HELD_CAP, CANCELLED) or outbox_status is None:
        return delivery_status
    return OUTBOX_FINAL.get(outbox_status, delivery_status)


@dataclass
class Figures:
    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def figures(session: AsyncSession, campaign_ids: Iterable[int]) -> dict[int, Figures]:
    """Delivery figures per campaign; they add up to the campaign's deliveries."""
    ids = list(dict.fromkeys(campaign_ids))
    result = {cid: Figures() for cid in ids}
    if not ids:
        return result
    rows = await session.execute(
        select(CareDelivery.campaign_id, CareDelivery.status, OutboxMessage.status, func.count())
        .outerjoin(OutboxMessage, OutboxMessage.id == CareDelivery.outbox_id)
        .where(CareDelivery.campaign_id.in_(ids))
        .group_by(CareDelivery.campaign_id, CareDelivery.status, OutboxMessage.status)
    )
    for cid, d_status, o_status, n in rows.all():
        fig = result[cid]
        status = effective_status(d_status, o_status)
        fig.counts[status] = fig.counts.get(status, 0) + n
    return result


async def sync_statuses(session: AsyncSession, now: datetime) -> int:
    """Brings deliveries up to date with their outbox rows: held_quiet -> queued once the quiet
    hours are over, queued -> sent / failed / unreachable once the sender is done."""
    rows = (
        await session.execute(
            select(CareDelivery, OutboxMessage.status, OutboxMessage.due_at)
            .join(OutboxMessage, OutboxMessage.id == CareDelivery.outbox_id)
            .where(CareDelivery.status.in_((QUEUED, HELD_QUIET)))
        )
    ).all()
    changed = 0
    for delivery, o_status, due_at in rows:
        status = OUTBOX_FINAL.get(o_status)
        if status is None and delivery.status == HELD_QUIET and due_at <= now:
            status = QUEUED
        if status is not None and status != delivery.status:
            delivery.status = status
            delivery.updated_at = now
            changed += 1
    return changed
