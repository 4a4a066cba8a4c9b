"""Deal jobs: collection of overdue instalments (催款) and contract expiry reminders.

- The day after an instalment's due date (`rules.deals.collection_after_days`), its owner gets a
  collection task (a follow-up on the customer, on /today, with this message as its reminder) and
  the customer a payment reminder: a business notice, sent whatever their care consent, but held
  for the end of their quiet hours and not sent over the care frequency cap; never to a chat that
  blocked the bot. When no reminder could reach the customer, the owner's message says so.
- After `rules.deals.escalate_days` past due, the owner's manager is told, once.
- `rules.deals.expiry_remind_days` before a contract ends (60 and 30 by default), the owner is
  reminded and offered a renewal opportunity.

All three wait for the morning agenda's time (rules.digest.morning_agenda, local): a debt that
fell due yesterday is news for the working day, not for midnight. Unlike greetings, these are not
dropped after downtime (the scheduler's grace): money owed and a
contract ending stay true however late the pass runs, and each is sent once (dedupe keys, and the
instalment's collection_at / escalated_at).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import Renderer
from bot.notify import OutboxNotifier
from bot.render import render_reply
from bot.views import deals as view
from crm.clock import Clock
from crm.models import CareDelivery, FollowUp, OutboxMessage, Staff
from crm.rules import Rules
from crm.services import care, claims, outbox
from crm.services.deals import contracts, receivables
from crm.services.plans import staff_tz

log = structlog.get_logger("scheduler")

# The care delivery kind of a payment reminder: counted against the customer's frequency cap.
PAYMENT = "payment"
_COUNTED = (*care.CARE_KINDS, PAYMENT)
_LIVE = (care.QUEUED, care.HELD_QUIET, care.SENT)


async def _cap_reached(
    session: AsyncSession, customer_id: int, now: datetime, rules: Rules
) -> bool:
    since = now - timedelta(days=rules.care.cap_days)
    n = await session.scalar(
        select(func.count(CareDelivery.id)).where(
            CareDelivery.customer_id == customer_id,
            CareDelivery.kind.in_(_COUNTED),
            CareDelivery.status.in_(_LIVE),
            CareDelivery.created_at > since,
        )
    )
    return int(n or 0) >= rules.care.cap_count


async def remind_customer(
    session: AsyncSession,
    row: receivables.Overdue,
    now: datetime,
    tz: ZoneInfo,
    rules: Rules,
) -> str:
    """Queues the payment reminder to the customer's chats; returns what happened: queued,
    quiet, cap, unreachable or no_chat."""
    customer = row.customer
    users = (await care.telegram_users(session, [customer.id])).get(customer.id, [])
    if not users:
        return "no_chat"
    blocked = await care.unreachable(session, [u.tg_user_id for u in users])
    reachable = [u for u in users if u.tg_user_id not in blocked]
    if not reachable:
        return "unreachable"
    if await _cap_reached(session, customer.id, now, rules):
        return "cap"
    held_until = care.quiet_until(now, rules.quiet_hours, tz)
    reply = view.payment_reminder(rules, customer, row.contract, row.instalment, row.due)
    for user in reachable:
        key = f"pay-remind:{row.instalment.id}:{user.tg_user_id}"
        out = render_reply(reply, Renderer(user.locale, tz), user.tg_user_id)
        await outbox.enqueue(
            session,
            chat_id=user.tg_user_id,
            payload=out.to_payload(),
            dedupe_key=key,
            due_at=held_until or now,
            priority=outbox.PRIORITY_NORMAL,
        )
        outbox_id = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
        )
        care.add_delivery(
            session,
            key=key,
            kind=PAYMENT,
            customer_id=customer.id,
            status=care.HELD_QUIET if held_until else care.QUEUED,
            now=now,
            outbox_id=outbox_id,
        )
    return "quiet" if held_until else "queued"


def _task_note(owner: Staff, tz: ZoneInfo, row: receivables.Overdue, rules: Rules) -> str:
    render = Renderer(owner.locale, tz, html=False)
    text = view.collection_note(rules, row.contract, row.instalment, row.due)
    return render(text)[:500]


async def collections(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    now = clock.now()
    today = now.astimezone(default_tz).date()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        due = await receivables.due_for_collection(
            session, today, rules.deals.collection_after_days
        )
        for row in due:
            row.instalment.collection_at = now
            reminded = await remind_customer(session, row, now, default_tz, rules)
            owner = row.owner
            if owner is None:
                continue
            if not owner.active:
                # The rep has left: their managers get the task (and hand the customer over).
                for manager in await claims.managers_of(session, owner):
                    await _task(notifier, session, manager, row, reminded, default_tz, rules, now)
                    queued += 1
                continue
            await _task(notifier, session, owner, row, reminded, default_tz, rules, now)
            queued += 1
        await session.flush()
    if queued:
        log.info("collection_tasks_queued", count=queued)
    return queued


async def _task(
    notifier: OutboxNotifier,
    session: AsyncSession,
    owner: Staff,
    row: receivables.Overdue,
    reminded: str,
    default_tz: ZoneInfo,
    rules: Rules,
    now: datetime,
) -> None:
    """The collection task of one overdue instalment for `owner`: a follow-up and a message."""
    tz = staff_tz(owner, default_tz)
    # The task: a follow-up on /today and in the agenda. Its reminder is the message
    # below (reminded_at set), not a second one from the follow-up job.
    session.add(
        FollowUp(
            customer_id=row.customer.id,
            staff_id=owner.id,
            note=_task_note(owner, tz, row, rules),
            due_at=now,
            reminded_at=now,
            created_at=now,
        )
    )
    await notifier.to_staff(
        owner,
        view.collection_task(rules, row.customer, row.contract, row.instalment, row.due, reminded),
        dedupe_key=f"collect:{row.instalment.id}:{owner.id}",
        priority=outbox.PRIORITY_REMINDER,
    )


async def escalations(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    now = clock.now()
    today = now.astimezone(default_tz).date()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        for row in await receivables.due_for_escalation(session, today, rules.deals.escalate_days):
            row.instalment.escalated_at = now
            if row.owner is None:
                continue
            days = (today - row.instalment.due_on).days
            reply = view.escalation(
                rules, row.customer, row.contract, row.instalment, row.due, row.owner.name, days
            )
            for manager in await claims.managers_of(session, row.owner):
                await notifier.to_staff(
                    manager,
                    reply,
                    dedupe_key=f"collect-esc:{row.instalment.id}:{manager.id}",
                    priority=outbox.PRIORITY_REMINDER,
                )
                queued += 1
    if queued:
        log.info("collection_escalations_queued", count=queued)
    return queued


async def expiries(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    now = clock.now()
    today = now.astimezone(default_tz).date()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        found = await contracts.expiring(session, today, rules.deals.expiry_remind_days)
        keys = [f"contract-expiry:{c.id}:{d}" for c, _cu, d in found]
        done = await claims.already_queued(session, keys)
        for (contract, customer, _threshold), key in zip(found, keys, strict=True):
            if key in done or contract.owner_id is None:
                continue
            owner = await session.get(Staff, contract.owner_id)
            if owner is None or not owner.active:
                continue
            left = (contract.ends_on - today).days
            await notifier.to_staff(
                owner,
                view.expiry(rules, customer, contract, left),
                dedupe_key=key,
                priority=outbox.PRIORITY_REMINDER,
            )
            queued += 1
    if queued:
        log.info("contract_expiry_reminders_queued", count=queued)
    return queued


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    if clock.now().astimezone(default_tz).time() < rules.digest.morning_agenda:
        return 0  # before the working day (see the module's note)
    n = await collections(sessions, clock, default_tz, rules)
    n += await escalations(sessions, clock, default_tz, rules)
    n += await expiries(sessions, clock, default_tz, rules)
    return n
