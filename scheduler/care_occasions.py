"""The day's care messages: birthdays (with a heads-up to the owner), public holidays, and
check-ins per customer class."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.views import care as views
from crm import care_calendar
from crm.clock import Clock
from crm.models import Customer, CustomerUser, OutboxMessage, Staff
from crm.rules import Rules
from crm.services import care
from crm.services.plans import staff_tz
from scheduler.care_pass import FALLBACK_LOCALE, Pass, day_window, new_pass

log = structlog.get_logger("scheduler")


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
        run = await new_pass(session, now, rules, default_tz, [p.customer.id for p in people])
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
    run = await new_pass(session, now, rules, tz, [c.id for c, _u in todo])
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
