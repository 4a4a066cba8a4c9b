"""Field-sales jobs: the morning agenda, claim warnings and lapsed claims returning to the pool.

Each job asks the database what is due at the clock's time and queues outbox rows whose dedupe
keys make a second pass (a restart, a second process, the demo moving its clock) a no-op.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notify import OutboxNotifier
from bot.types import Button, Lines, Reply, T, Text
from bot.views import agenda as agenda_view
from crm.clock import Clock
from crm.models import Staff
from crm.rules import Rules
from crm.services import agenda as agenda_svc
from crm.services import claims, outbox
from crm.services.plans import staff_tz

log = structlog.get_logger("scheduler")

# The agenda queued this long after the agenda time says it is late.
LATE_AFTER = timedelta(minutes=10)
# The morning agenda is not sent from noon on: by then the day has been planned without it.
NOON = time(12, 0)
# A company whose agenda time is at or after noon still gets it within this window.
LATE_WINDOW = timedelta(hours=3)


# ---------------------------------------------------------------- the morning agenda


def morning_agenda_message(
    staff: Staff, day: date, items: agenda_svc.Agenda, now: datetime, late: bool
) -> Reply:
    lines: list[Text]
    if items.empty:
        # Reps with nothing due still get this short note. A daily plan every morning is the
        # sales office's routine: a rep who hears nothing cannot tell "nothing due" from "the bot
        # is down" or "I was forgotten", and one short line a day at a known time is no noise.
        lines = [
            T(
                "☀️ <b>Good morning, {name}!</b> Nothing is due today: no follow-ups, no claims "
                "about to lapse, and every key customer visited in time.",
                name=staff.name,
            ),
            T("A good day to visit a key customer! /losing lists who has waited longest."),
        ]
    else:
        lines = [T("☀️ <b>Good morning, {name}!</b> Your day, {day}:", name=staff.name, day=day)]
        lines += agenda_view.sections(items, now)
    # The day's plan (日计划): the rep's answer is kept on the day's report (handlers/rep_reports).
    lines.append(T("Anything to add to today's plan?"))
    if late:
        lines.append(T("(sent late: the bot was not running at the due time)"))
    plan = (Button(T("✏️ Add to today's plan"), f"rpt_plan:0:{day.isoformat()}"),)
    return Reply(Lines(*lines), buttons=(*agenda_view.agenda_buttons(items), plan))


def _window(day: date, at: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, at, tzinfo=tz)
    end = datetime.combine(day, NOON, tzinfo=tz)
    if end <= start:
        end = min(start + LATE_WINDOW, datetime.combine(day + timedelta(days=1), time(0), tz))
    return start, end


async def morning_agenda(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """One agenda per rep and local day, once their local time is past the agenda time."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        due: list[tuple[Staff, ZoneInfo, date, datetime, str]] = []
        for staff in await agenda_svc.agenda_recipients(session):
            tz = staff_tz(staff, default_tz)
            local = now.astimezone(tz)
            start, end = _window(local.date(), rules.digest.morning_agenda, tz)
            if start <= local < end:
                key = f"agenda:{staff.id}:{local.date().isoformat()}"
                due.append((staff, tz, local.date(), start, key))
        done = await claims.already_queued(session, (d[-1] for d in due))
        notifier = OutboxNotifier(session, clock, default_tz)
        for staff, tz, day, start, key in due:
            if key in done:
                continue
            items = await agenda_svc.for_staff(session, staff, rules, now, tz)
            late = now - start > LATE_AFTER
            await notifier.to_staff(
                staff,
                morning_agenda_message(staff, day, items, now, late),
                dedupe_key=key,
                priority=outbox.PRIORITY_REMINDER,
            )
            queued += 1
    if queued:
        log.info("morning_agenda_queued", count=queued)
    return queued


# ---------------------------------------------------------------- claims


def claim_warning(customer_id: int, name: str, expires: datetime) -> Reply:
    return Reply(
        Lines(
            T("⏳ Your claim on <b>{customer}</b> ends on {when}.", customer=name, when=expires),
            T("A visit or a follow-up renews it; otherwise the customer returns to the team pool."),
        ),
        buttons=(
            (
                Button(T("📇 Open card"), f"card:{customer_id}"),
                Button(T("📝 Log a visit"), f"visit_for:{customer_id}"),
            ),
        ),
    )


async def claim_warnings(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Warns the owner `claims.warn_days` before a claim lapses, once per expiry date."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        rows = await claims.lapsing_soon(session, now, rules.claims.warn_days)
        keyed = [
            (c, owner, f"claim-warn:{c.id}:{c.claim_expires_at.isoformat()}")
            for c, owner in rows
            if c.claim_expires_at is not None
        ]
        done = await claims.already_queued(session, (k for _c, _o, k in keyed))
        notifier = OutboxNotifier(session, clock, default_tz)
        for c, owner, key in keyed:
            if key in done or owner.tg_user_id is None or not owner.active:
                continue
            assert c.claim_expires_at is not None
            await notifier.to_staff(
                owner,
                claim_warning(c.id, c.name, c.claim_expires_at),
                dedupe_key=key,
                priority=outbox.PRIORITY_REMINDER,
            )
            queued += 1
    if queued:
        log.info("claim_warnings_queued", count=queued)
    return queued


async def claim_lapses(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Lapsed claims return to the team pool; the former owner and their manager are told."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        for lapsed in await claims.lapse_due(session, now):
            owner = await session.get(Staff, lapsed.former_owner_id)
            if owner is None:
                continue
            stamp = lapsed.expired_at.isoformat() if lapsed.expired_at else now.isoformat()
            card = (Button(T("📇 Open card"), f"card:{lapsed.customer_id}"),)
            await notifier.to_staff(
                owner,
                Reply(
                    T(
                        "↩️ Your claim on <b>{customer}</b> has lapsed: the customer is back in "
                        "the team pool.",
                        customer=lapsed.customer_name,
                    ),
                    buttons=(card,),
                ),
                dedupe_key=f"claim-lapsed:{lapsed.customer_id}:{stamp}:{owner.id}",
            )
            queued += 1
            for manager in await claims.managers_of(session, owner):
                await notifier.to_staff(
                    manager,
                    Reply(
                        T(
                            "↩️ {owner}'s claim on <b>{customer}</b> has lapsed: the customer is "
                            "back in the team pool.",
                            owner=owner.name,
                            customer=lapsed.customer_name,
                        ),
                        buttons=(card,),
                    ),
                    dedupe_key=f"claim-lapsed:{lapsed.customer_id}:{stamp}:{manager.id}",
                )
                queued += 1
    if queued:
        log.info("claim_lapses_notified", count=queued)
    return queued


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Every field-sales job once, before the follow-up reminders (scheduler/runner.py).

    Lapses first, so the agenda never lists a customer who has just gone back to the pool. The
    agenda and the warnings share the reminders' priority and are queued before them, so a rep
    reads the overview first and finds the reminder to act on last, nearest the thumb.
    """
    n = await claim_lapses(sessions, clock, default_tz, rules)
    n += await morning_agenda(sessions, clock, default_tz, rules)
    n += await claim_warnings(sessions, clock, default_tz, rules)
    return n
