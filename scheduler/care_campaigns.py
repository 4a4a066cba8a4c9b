"""Care campaigns at their scheduled time: each scheduled delivery decided and queued, once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.types import T
from bot.views import care as views
from crm.clock import Clock
from crm.models import CareCampaign, Customer, Staff
from crm.rules import Rules
from crm.services import care
from scheduler.care_pass import new_pass
from scheduler.jobs import is_within_grace, note_skipped

log = structlog.get_logger("scheduler")


# ---------------------------------------------------------------- campaigns


async def campaigns(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Campaigns whose time has come: each scheduled delivery decided and queued, once."""
    now = clock.now()
    queued = 0
    skipped = 0
    async with sessions() as session, session.begin():
        for campaign in await care.due_campaigns(session, now):
            assert campaign.scheduled_at is not None
            if not is_within_grace(campaign.scheduled_at, now, rules):
                # The bot was down past the grace: old greetings and notices are not pushed.
                skipped += await care.expire_campaign(session, campaign, now)
                continue
            queued += await _send_campaign(session, campaign, now, rules, default_tz)
    note_skipped("care_campaign", skipped, label=T("care campaign messages"))
    if queued:
        log.info("care_campaigns_queued", count=queued)
    return queued


async def _send_campaign(
    session: AsyncSession, campaign: CareCampaign, now: datetime, rules: Rules, tz: ZoneInfo
) -> int:
    deliveries = await care.scheduled_deliveries(session, campaign.id)
    ids = [d.customer_id for d in deliveries if d.customer_id is not None]
    customers = {
        c.id: c for c in await session.scalars(select(Customer).where(Customer.id.in_(ids)))
    }
    owners = {
        s.id: s
        for s in await session.scalars(
            select(Staff).where(
                Staff.id.in_({c.owner_id for c in customers.values() if c.owner_id})
            )
        )
    }
    users = await care.users_by_chat(session, (care.chat_of(d) for d in deliveries))
    run = await new_pass(session, now, rules, tz, ids)
    run.blocked = await care.unreachable(session, users)
    topic = campaign.name if campaign.name in care.TOPICS else campaign.category
    for d in deliveries:
        customer = customers.get(d.customer_id or 0)
        cuser = users.get(care.chat_of(d))
        if customer is None or cuser is None or cuser.customer_id != customer.id:
            # The customer was deleted, or the chat is no longer linked to it.
            d.status, d.updated_at = care.FAILED, now
            continue
        owner = owners.get(customer.owner_id or 0)
        text = care.fill(
            care.pick_template(campaign.templates, cuser.locale),
            name=cuser.name or customer.name,
            company=customer.name,
            rep=owner.name if owner else "",
        )
        await run.deliver(
            key=d.dedupe_key,
            kind=d.kind,
            customer=customer,
            chat_id=cuser.tg_user_id,
            locale=cuser.locale,
            reply=views.campaign_message(topic, text, customer.id),
            delivery=d,
        )
    campaign.status = care.CAMPAIGN_SENT
    return run.queued
