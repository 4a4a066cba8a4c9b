"""One care job's pass (scheduler/care_jobs.py explains the order of the checks): the day
whose greetings are due, and deciding, queueing and recording each message once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Renderer
from bot.render import render_reply
from bot.types import Reply
from crm.models import CareDelivery, Customer, OutboxMessage
from crm.rules import Rules
from crm.services import care, outbox

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


async def new_pass(
    session: AsyncSession, now: datetime, rules: Rules, tz: ZoneInfo, customer_ids: list[int]
) -> Pass:
    since = now - timedelta(days=rules.care.cap_days)
    counts = await care.care_counts(session, customer_ids, since)
    return Pass(session, now, rules, tz, counts, blocked=set())
