"""Periodic jobs: each asks the database what is due and queues outbox rows with dedupe keys.

After downtime: the grace
-------------------------
When the bot was not running, items fell due unseen. On start the first pass finds them:
what fell due within `rules.scheduler.late_grace_hours` is sent once, saying it is late; older
items are not sent (news too old to push) but reported: one log line `late_items_skipped` with
counts per kind, and one note to the admins through the outbox. A job does its part like this::

    for item in due_items:
        if not is_within_grace(item.due_at, now, rules):
            note_skipped("care_message", label=T("care messages"))
            item.handled_at = now  # whatever keeps it from being found again
            continue
        late = now - item.due_at > LATE_AFTER  # say so in the message; late=True on the row
        ...queue it...

`note_skipped` only counts; the pass that runs the job (`scheduler.runner.run_due`, or a
`runner.CronJob`) reports once for all its jobs. Outside a pass it logs the count itself.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notify import OutboxNotifier
from bot.types import TN, Lines, Reply, T, Text
from crm.clock import Clock
from crm.rules import Rules
from crm.services import outbox, sales, sla_watch
from scheduler.messages import followup_reminder

log = structlog.get_logger("scheduler")

# A reminder queued this long after its due time says it is late.
LATE_AFTER = timedelta(minutes=10)


# ---------------------------------------------------------------- the grace


def is_within_grace(due_at: datetime, now: datetime, rules: Rules) -> bool:
    """Whether an item that fell due at `due_at` is still worth sending at `now`."""
    return now - due_at <= timedelta(hours=rules.scheduler.late_grace_hours)


@dataclass
class Skipped:
    """Items a pass did not send because they were older than the grace, per kind."""

    counts: Counter[str] = field(default_factory=Counter)
    labels: dict[str, Text] = field(default_factory=dict)
    queued: int = 0  # notes queued to the admins about them

    @property
    def total(self) -> int:
        return sum(self.counts.values())


_current: ContextVar[Skipped | None] = ContextVar("scheduler_skipped", default=None)


def note_skipped(kind: str, count: int = 1, *, label: Text | None = None) -> None:
    """Counts `count` items of `kind` not sent because they were older than the grace.

    `label` names the kind in the admins' note (a `T`, translated); the kind itself otherwise.
    """
    if count <= 0:
        return
    skipped = _current.get()
    if skipped is None:
        log.warning("late_items_skipped", counts={kind: count}, total=count)
        return
    skipped.counts[kind] += count
    if label is not None:
        skipped.labels[kind] = label


@contextlib.asynccontextmanager
async def reporting_skips(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> AsyncIterator[Skipped]:
    """Collects `note_skipped` calls of the jobs run inside; reports them once at the end.

    Nested inside another, it leaves the reporting to the outer one.
    """
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    skipped = Skipped()
    token = _current.set(skipped)
    try:
        yield skipped
    finally:
        _current.reset(token)
    if skipped.total:
        skipped.queued = await report_skipped(sessions, clock, default_tz, rules, skipped)


def skipped_note(skipped: Skipped, grace_hours: int) -> Reply:
    lines: list[Text] = [
        TN(
            "⚠️ The bot was not running for a while: {n} item was more than {hours} h overdue "
            "and was not sent.",
            "⚠️ The bot was not running for a while: {n} items were more than {hours} h "
            "overdue and were not sent.",
            skipped.total,
            hours=grace_hours,
        )
    ]
    for kind, n in sorted(skipped.counts.items()):
        lines.append(T("• {what}: {count}", what=skipped.labels.get(kind, kind), count=n))
    return Reply(Lines(*lines))


async def report_skipped(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    default_tz: ZoneInfo,
    rules: Rules,
    skipped: Skipped,
) -> int:
    """One log line with the counts, and a note to every admin on Telegram; returns the notes
    queued."""
    now = clock.now()
    grace = rules.scheduler.late_grace_hours
    log.warning(
        "late_items_skipped", counts=dict(skipped.counts), total=skipped.total, grace_hours=grace
    )
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        message = skipped_note(skipped, grace)
        for admin in await sla_watch.admins(session):
            if admin.tg_user_id is None:
                continue
            await notifier.to_staff(
                admin, message, dedupe_key=f"late-skipped:{now.isoformat()}:{admin.id}"
            )
            queued += 1
    return queued


# ---------------------------------------------------------------- follow-up reminders


async def followup_reminders(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    default_tz: ZoneInfo,
    rules: Rules,
) -> int:
    """A reminder per follow-up that fell due; one older than the grace is skipped (the
    follow-up stays open and overdue in /today and the agenda), and counted."""
    now = clock.now()
    queued = 0
    skipped = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        for fu, customer, staff in await sales.due_for_reminder(session, now):
            fu.reminded_at = now
            if not is_within_grace(fu.due_at, now, rules):
                skipped += 1
                continue
            late = now - fu.due_at > LATE_AFTER
            key = f"fu-remind:{fu.id}:{fu.due_at.isoformat()}"
            await notifier.to_staff(
                staff,
                followup_reminder(fu, customer, late),
                dedupe_key=key,
                priority=outbox.PRIORITY_REMINDER,
            )
            if late:
                await outbox.flag_late(session, key)
            queued += 1
    if queued:
        log.info("followup_reminders_queued", count=queued)
    note_skipped("followup_reminder", skipped, label=T("follow-up reminders"))
    return queued
