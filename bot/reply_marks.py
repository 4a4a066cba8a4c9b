"""Journaled replies marked sent in batches.

Every direct reply is journaled as a leased outbox row in its update's transaction, and marked
sent once the channel sent it, so that no other replica sends it again (`Engine.reply_lease`).
A transaction of its own for each mark cost a tenth of an update; the marks of the replies sent
within `delay` share one instead. A process that dies with marks still pending leaves those rows
leased: they are sent once more when the lease ends (flagged `retaken`), as a reply whose mark
failed always was. The delay is a few hundredths of a second against a lease of tens of seconds.
"""

from __future__ import annotations

import asyncio

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from crm.clock import Clock
from crm.services import outbox

log = structlog.get_logger("engine")

DELAY_SECONDS = 0.05


class SentMarks:
    def __init__(self, db: AsyncEngine, clock: Clock, delay: float = DELAY_SECONDS) -> None:
        self._db = db
        self._clock = clock
        self._delay = delay
        self._pending: list[int] = []
        self._timer: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, row_id: int) -> None:
        """`row_id` was sent: marked with the others sent within the delay."""
        self._pending.append(row_id)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(self._delay)
        finally:
            # Marks added while this batch is written start the next one.
            self._timer = None
        await self.flush()

    async def flush(self) -> None:
        ids, self._pending = self._pending, []
        if not ids:
            return
        try:
            async with self._db.begin() as conn:
                await outbox.mark_sent_many(conn, ids, self._clock.now())
        except Exception:
            # The rows are taken over when their leases end: sent once more, flagged `retaken`.
            log.warning("reply_journal_failed", rows=len(ids), exc_info=True)

    async def close(self) -> None:
        """Writes what is pending now (on shutdown: nothing sent is sent again)."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            await asyncio.gather(timer, return_exceptions=True)
        await self.flush()
