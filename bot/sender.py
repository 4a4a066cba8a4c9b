"""Drains the outbox through a channel: leases rows, sends, and records each outcome."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog
from aiolimiter import AsyncLimiter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Channel, SendError
from bot.types import Outgoing
from crm.clock import Clock
from crm.enums import OutboxStatus
from crm.services import outbox

log = structlog.get_logger("sender")

MAX_ATTEMPTS = 10


class OutboxSender:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        channel: Channel,
        clock: Clock,
        *,
        limiter: AsyncLimiter | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 50,
    ) -> None:
        self._sessions = sessionmaker
        self._channel = channel
        self._clock = clock
        self._limiter = limiter
        self._lease = lease
        self._batch = batch

    async def drain(self) -> int:
        """Sends everything due now; returns how many were sent."""
        sent = 0
        while True:
            async with self._sessions() as session, session.begin():
                rows = await outbox.claim_due(
                    session, self._clock.now(), limit=self._batch, lease=self._lease
                )
                claimed = [(r.id, r.chat_id, r.payload, r.attempts) for r in rows]
            if not claimed:
                return sent
            for row_id, chat_id, payload, attempts in claimed:
                sent += await self._send_one(row_id, chat_id, payload, attempts)

    async def _send_one(self, row_id: int, chat_id: int, payload: dict, attempts: int) -> int:
        out = Outgoing.from_payload(chat_id, payload)
        try:
            if self._limiter is not None:
                async with self._limiter:
                    await self._channel.send(out)
            else:
                await self._channel.send(out)
        except SendError as err:
            await self._failed(row_id, err, attempts)
            return 0
        async with self._sessions() as session, session.begin():
            await outbox.mark_sent(session, row_id, self._clock.now())
        return 1

    async def _failed(self, row_id: int, err: SendError, attempts: int) -> None:
        now = self._clock.now()
        log.warning("send_failed", outbox_id=row_id, kind=err.kind, attempts=attempts)
        async with self._sessions() as session, session.begin():
            if err.kind == "blocked":
                await outbox.mark_final(session, row_id, OutboxStatus.UNREACHABLE, err.detail)
            elif err.kind == "bad_request" or attempts >= MAX_ATTEMPTS:
                await outbox.mark_final(session, row_id, OutboxStatus.DEAD, err.detail)
            else:
                delay = err.retry_after if err.kind == "retry_after" else min(2**attempts, 300)
                await outbox.mark_retry(session, row_id, now + timedelta(seconds=delay), err.detail)

    async def run(self, stop: asyncio.Event, poll_seconds: float) -> None:
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:
                log.exception("drain_failed")
            try:
                await asyncio.wait_for(stop.wait(), poll_seconds)
            except TimeoutError:
                pass
