"""Care jobs: campaigns at their time, the day's birthdays and holidays, and check-ins per class.

Each asks the database what is due at the clock's time. Every message is a `CareDelivery` row
and an outbox row sharing one dedupe key, so a second pass (a restart, a second process, the
demo moving its clock) does nothing twice. For each message, in order:

* consent: greetings and care messages go only to customers who agreed (`care_consent`);
  operational notices go without it;
* a hard block: nothing goes to a chat that blocked the bot, notices included (`unreachable`);
* the cap: at most `rules.care.cap_count` care messages per customer in `cap_days` (`held_cap`:
  not sent); notices are exempt;
* quiet hours in the recipient's time zone (customers: the company's): a message due in them is
  queued for their end (`held_quiet`, then `queued` and `sent`).

The day's greetings (birthdays, holidays) and the check-ins go out from `rules.care.send_at`
until the evening's quiet hours begin; a pass after that leaves the day's greetings unsent
rather than wish a happy birthday the next morning. Campaigns go out at their scheduled time,
whenever that is, held for the quiet hours if need be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import Renderer
from bot.render import render_reply
from bot.types import Reply, T
from bot.views import care as views
from crm import care_calendar
from crm.clock import Clock
from crm.models import CareCampaign, CareDelivery, Customer, CustomerUser, OutboxMessage, Staff
from crm.rules import Rules
from crm.services import care, outbox
from crm.services.plans import staff_tz
from scheduler.jobs import is_within_grace, note_skipped

log = structlog.get_logger("scheduler")

# Care messages wait behind everything else in the outbox.
PRIORITY_CARE = outbox.PRIORITY_BULK
# A customer's language when the chat is not known to the bot as a customer user.
FALLBACK_LOCALE = "zh_CN"


def day_window(now: datetime, rules: Rules, tz: ZoneInfo) -> date | None:
    """The local day whose greetings are due now (from send_at to the evening's quiet hours)."""
    local = now.astimezone(tz)
    start = datetime.combine(local.date(), rules.care.send_at, tz)
    quiet = rules.quiet_hours.start
    end_time = quiet if quiet > rules.care.send_at else time(23, 59, 59)
    end = datetime.combine(local.date(), end_time, tz)
    return local.date() if start <= local < end else None


@dataclass
class Pass:
    """One job's pass: the session, the time, and the cap counts as they grow."""

    session: AsyncSession
    now: datetime
    rules: Rules
    tz: ZoneInfo
    counts: dict[int, int]
    blocked: set[int]
    queued: int = 0

    async def enqueue(
        self, chat_id: int, locale: str, tz: ZoneInfo, reply: Reply, key: str
    ) -> tuple[int, bool]:
        """Queues the rendered message (for the end of the quiet hours if need be): the outbox
        row's id and whether it was held."""
        held_until = care.quiet_until(self.now, self.rules.quiet_hours, tz)
        out = render_reply(reply, Renderer(locale, tz), chat_id)
        await outbox.enqueue(
            self.session,
            chat_id=chat_id,
            payload=out.to_payload(),
            dedupe_key=key,
            due_at=held_until or self.now,
            priority=PRIORITY_CARE,
        )
        row_id = await self.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
        )
        assert row_id is not None
        self.queued += 1
        return row_id, held_until is not None

    async def deliver(
        self,
        *,
        key: str,
        kind: str,
        customer: Customer,
        chat_id: int,
        locale: str,
        reply: Reply,
        delivery: CareDelivery | None = None,
    ) -> str:
        """Decides, queues and records one message; returns the delivery's status."""
        outbox_id = None
        if kind in care.CARE_KINDS and not customer.care_consent:
            status = care.OPTED_OUT
        elif chat_id in self.blocked:
            status = care.UNREACHABLE
        elif kind in care.CARE_KINDS and self.counts.get(customer.id, 0) >= self.cap:
            status = care.HELD_CAP
        else:
            outbox_id, held = await self.enqueue(chat_id, locale, self.tz, reply, key)
            status = care.HELD_QUIET if held else care.QUEUED
            if kind in care.CARE_KINDS:
                self.counts[customer.id] = self.counts.get(customer.id, 0) + 1
        if delivery is None:
            care.add_delivery(
                self.session,
                key=key,
                kind=kind,
                customer_id=customer.id,
                status=status,
                now=self.now,
                outbox_id=outbox_id,
            )
        else:
            delivery.status = status
            delivery.outbox_id = outbox_id
            delivery.updated_at = self.now
        return status

    @property
    def cap(self) -> int:
        return self.rules.care.cap_count


async def _pass(
    session: AsyncSession, now: datetime, rules: Rules, tz: ZoneInfo, customer_ids: list[int]
) -> Pass:
    since = now - timedelta(days=rules.care.cap_days)
    counts = await care.care_counts(session, customer_ids, since)
    return Pass(session, now, rules, tz, counts, blocked=set())


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
    run = await _pass(session, now, rules, tz, ids)
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


# ---------------------------------------------------------------- birthdays


async def birthdays(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """The day's birthdays of person customers and contacts: a greeting to them (with consent)
    and, in every case, a heads-up to the customer's owner."""
    now = clock.now()
    day = day_window(now, rules, default_tz)
    if day is None or not rules.care.birthday_greetings:
        return 0
    async with sessions() as session, session.begin():
        people = await care.birthdays_on(session, day)
        if not people:
            return 0
        done = await care.existing(session, f"care:{care.BIRTHDAY}:{day.isoformat()}:")
        told = await _outbox_keys(session, f"care:birthday-rep:{day.isoformat()}:")
        run = await _pass(session, now, rules, default_tz, [p.customer.id for p in people])
        linked = await care.telegram_users(
            session, (p.customer.id for p in people if p.contact is None)
        )
        contact_chats = [p.contact.tg_user_id for p in people if p.contact and p.contact.tg_user_id]
        known = await care.users_by_chat(session, contact_chats)
        run.blocked = await care.unreachable(
            session, [*contact_chats, *(u.tg_user_id for us in linked.values() for u in us)]
        )
        for p in people:
            chats: list[tuple[int, str]]
            if p.contact is not None:
                tg = p.contact.tg_user_id
                cu = known.get(tg) if tg is not None else None
                chats = [(tg, cu.locale if cu else FALLBACK_LOCALE)] if tg is not None else []
            else:
                chats = [(u.tg_user_id, u.locale) for u in linked.get(p.customer.id, [])]
            statuses = []
            for chat_id, locale in chats:
                key = care.occasion_key(care.BIRTHDAY, day, p.who, chat_id)
                if key in done:
                    statuses.append(done[key])
                    continue
                if not p.customer.care_consent:
                    statuses.append(care.OPTED_OUT)
                    continue  # no row: birthdays are not a campaign with figures
                statuses.append(
                    await run.deliver(
                        key=key,
                        kind=care.BIRTHDAY,
                        customer=p.customer,
                        chat_id=chat_id,
                        locale=locale,
                        reply=views.birthday_greeting(p.name, p.customer.id),
                    )
                )
            greeted = any(s in (care.QUEUED, care.HELD_QUIET, care.SENT) for s in statuses)
            await _heads_up(run, p, day, greeted, told)
        queued = run.queued
    if queued:
        log.info("care_birthdays_queued", count=queued)
    return queued


async def _heads_up(run: Pass, p: care.Birthday, day: date, greeted: bool, told: set[str]) -> None:
    owner = await run.session.get(Staff, p.customer.owner_id) if p.customer.owner_id else None
    if owner is None or not owner.active or owner.tg_user_id is None:
        return
    key = f"care:birthday-rep:{day.isoformat()}:{p.who}:{owner.id}"
    if key in told:
        return
    reply = views.birthday_headsup(
        p.name, p.customer.name, p.customer.id, contact=p.contact is not None, greeted=greeted
    )
    await run.enqueue(owner.tg_user_id, owner.locale, staff_tz(owner, run.tz), reply, key)


async def _outbox_keys(session: AsyncSession, prefix: str) -> set[str]:
    rows = await session.scalars(
        select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.startswith(prefix, autoescape=True)
        )
    )
    return set(rows)


# ---------------------------------------------------------------- holidays


async def holidays(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """On the first day of a public holiday, a greeting to every customer who agreed."""
    now = clock.now()
    day = day_window(now, rules, default_tz)
    if day is None or not rules.care.holiday_greetings:
        return 0
    names = care_calendar.holidays_beginning(
        rules.business_hours.holiday_country, day, rules.care.skip_holidays
    )
    if not names:
        return 0
    async with sessions() as session, session.begin():
        done = await care.existing(session, f"care:{care.HOLIDAY}:{day.isoformat()}:")
        todo = [
            (c, u)
            for c, u in await care.consenting_with_telegram(session)
            if care.occasion_key(care.HOLIDAY, day, f"c{c.id}", u.tg_user_id) not in done
        ]
        run = await _queue_all(session, now, rules, default_tz, todo, care.HOLIDAY, day, names)
        queued = run.queued
    if queued:
        log.info("care_holidays_queued", count=queued, holidays=names)
    return queued


async def _queue_all(
    session: AsyncSession,
    now: datetime,
    rules: Rules,
    tz: ZoneInfo,
    todo: list[tuple[Customer, CustomerUser]],
    kind: str,
    day: date,
    holiday_names: list[str] | None = None,
) -> Pass:
    run = await _pass(session, now, rules, tz, [c.id for c, _u in todo])
    run.blocked = await care.unreachable(session, (u.tg_user_id for _c, u in todo))
    owners: dict[int, Staff | None] = {}
    for customer, cuser in todo:
        name = cuser.name or customer.name
        if kind == care.HOLIDAY:
            reply = views.holiday_greeting(holiday_names or [], name, customer.id)
        else:
            oid = customer.owner_id
            if oid is not None and oid not in owners:
                owners[oid] = await session.get(Staff, oid)
            owner = owners.get(oid) if oid is not None else None
            rep = owner.name if owner is not None and owner.active else None
            reply = views.cadence_checkin(name, rep, customer.id)
        await run.deliver(
            key=care.occasion_key(kind, day, f"c{customer.id}", cuser.tg_user_id),
            kind=kind,
            customer=customer,
            chat_id=cuser.tg_user_id,
            locale=cuser.locale,
            reply=reply,
        )
    return run


# ---------------------------------------------------------------- check-ins per class


async def cadence(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """A check-in to a class's customers who agreed, when nothing caring went to them for the
    class's `rules.care.cadence_days` (counting any greeting, not only check-ins)."""
    now = clock.now()
    day = day_window(now, rules, default_tz)
    classes = {cls: days for cls, days in rules.care.cadence_days.items() if days > 0}
    if day is None or not classes:
        return 0
    async with sessions() as session, session.begin():
        candidates = await care.consenting_with_telegram(session, classes=list(classes))
        if not candidates:
            return 0
        done = await care.existing(session, f"care:{care.CADENCE}:{day.isoformat()}:")
        last = await care.last_care(session, (c.id for c, _u in candidates))
        todo = []
        for c, u in candidates:
            if care.occasion_key(care.CADENCE, day, f"c{c.id}", u.tg_user_id) in done:
                continue
            since = last.get(c.id)
            if since is None or now - since >= timedelta(days=classes[c.customer_class]):
                todo.append((c, u))
        run = await _queue_all(session, now, rules, default_tz, todo, care.CADENCE, day)
        queued = run.queued
    if queued:
        log.info("care_checkins_queued", count=queued)
    return queued


async def sync(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    async with sessions() as session, session.begin():
        return await care.sync_statuses(session, clock.now())


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Every care job once (scheduler/runner.py). Statuses are brought up to date first, so the
    cap and the check-ins see what has been sent; campaigns go before the day's greetings."""
    await sync(sessions, clock, default_tz, rules)
    n = await campaigns(sessions, clock, default_tz, rules)
    n += await birthdays(sessions, clock, default_tz, rules)
    n += await holidays(sessions, clock, default_tz, rules)
    n += await cadence(sessions, clock, default_tz, rules)
    return n
