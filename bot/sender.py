"""The outbox dispatcher: drains due rows through a channel under Telegram's limits.

One sender per bot. With `SendLimits` (the Telegram deployment) it keeps Telegram's limits (an
overall rate, a rate per chat and per group chat, the flood wait: see `bot.send_limits`), and

- priority: rows are taken lower number first (relays 1, reminders 3, normal 5, bulk 8), one
  per chat at a time and only for chats free to be sent to, at most half a second's worth in
  flight (`window`), which the overall limiter serves first come first served: a relay queued
  behind any backlog waits for at most one such batch (plus its own chat's spacing);
- at a flood wait, rows waiting their turn are handed back (still due) and nothing is taken
  until the pause is over.

Outcomes: sent; 403 -> the row is `unreachable` and the chat recorded, so its later rows never
reach Telegram until it writes again (`outbox.clear_unreachable`); another 4xx -> `dead` with
Telegram's reason; network errors and 5xx -> retried with exponential backoff and jitter, `dead`
after MAX_ATTEMPTS. A row is leased while sent: a crashed sender's rows are taken over when the
lease ends (flagged `retaken`). Nothing is deleted.

At most one request is unconfirmed at a time: from the moment a row's request starts until its
outcome is committed, no other row's request starts. A crash (kill -9, a power cut) can then
send at most one row twice - the one whose request reached Telegram but whose `sent` was not yet
written. Rows still wait for their turn concurrently; only the request and its commit are one
at a time, which keeps the overall rate as long as a request and its commit take less than
1/overall_per_second (40 ms at 25/s; tests/test_fault_kill.py kills the sender 20 times).

Without limits (the console demo, most tests) rows are sent one by one in the outbox's order.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from aiolimiter import AsyncLimiter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import relay_blocked
from bot.channels.base import Channel, SendError
from bot.metrics import Metrics
from bot.resilient import run_every
from bot.send_limits import BACKOFF_CAP_SECONDS, MAX_ATTEMPTS, Pacing, SendLimits, backoff_seconds
from bot.types import Outgoing
from crm.clock import Clock
from crm.enums import OutboxStatus
from crm.services import outbox

# The limits live in bot.send_limits; the runtime and tests take these from here.
__all__ = ["BACKOFF_CAP_SECONDS", "MAX_ATTEMPTS", "OutboxSender", "SendLimits", "backoff_seconds"]

log = structlog.get_logger("sender")


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # pending again, later
    FLOOD = "flood"  # pending again after Telegram's flood wait
    BLOCKED = "blocked"
    DEAD = "dead"
    RELEASED = "released"  # not tried: handed back, due as before


# What `crm_sends_total{outcome}` calls each outcome of a request to Telegram.
_METRIC = {
    Outcome.SENT: "ok",
    Outcome.FLOOD: "429",
    Outcome.BLOCKED: "403",
    Outcome.RETRY: "error",
    Outcome.DEAD: "dead",
}


@dataclass(frozen=True)
class _Row:
    id: int
    chat_id: int
    payload: dict[str, Any]
    attempts: int


class OutboxSender:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        channel: Channel,
        clock: Clock,
        *,
        limits: SendLimits | None = None,
        limiter: AsyncLimiter | None = None,
        lease: timedelta = timedelta(seconds=120),
        batch: int = 50,
        rand: Callable[[], float] = random.random,
        metrics: Metrics | None = None,
    ) -> None:
        """`limits` turns on Telegram's limits. `limiter` is the older way of asking for them:
        its rate becomes the overall one, with Telegram's per-chat and per-group figures."""
        if limits is None and limiter is not None:
            limits = SendLimits(overall_per_second=limiter.max_rate / limiter.time_period)
        self._sessions = sessionmaker
        self._channel = channel
        self._clock = clock
        self._limits = limits
        self._lease = lease
        self._batch = batch
        self._rand = rand
        self._metrics = metrics
        self._lock = asyncio.Lock()
        self._pacing = Pacing(limits, batch)
        self._tasks: dict[asyncio.Task[Outcome], _Row] = {}
        self._in_request: set[int] = set()  # rows whose request to Telegram has started
        # Held from a request's start until its outcome is committed: one unconfirmed row.
        self._unconfirmed = asyncio.Lock()

    # ---- public ----------------------------------------------------------------------------

    async def drain(self, stop: asyncio.Event | None = None) -> int:
        """Sends what is due now; returns how many were sent.

        Returns early when `stop` is set (rows not yet tried are handed back) or at a flood wait
        (the next call waits it out before taking anything).
        """
        async with self._lock:
            await self._pacing.wait_pause(stop)
            if stop is not None and stop.is_set():
                return 0
            if self._limits is None:
                return await self._drain_in_order(stop)
            return await self._drain_limited(stop)

    async def run(self, stop: asyncio.Event, poll_seconds: float) -> None:
        """Drains every `poll_seconds` until `stop`, through any outage (`bot.resilient`)."""
        await run_every(poll_seconds, stop, lambda: self.drain(stop), name="drain", log=log)

    @property
    def paused_for(self) -> float:
        """Seconds left of Telegram's flood wait (0 when sending)."""
        return self._pacing.paused_for

    @property
    def window(self) -> int:
        """Rows in flight at most under the limits: a relay taken waits for no more than these."""
        return self._pacing.window

    @property
    def tracked_chats(self) -> int:
        """Per-chat limiters held now (idle ones are dropped)."""
        return len(self._pacing)

    # ---- one by one, no limits --------------------------------------------------------------

    async def _drain_in_order(self, stop: asyncio.Event | None) -> int:
        sent = 0
        while stop is None or not stop.is_set():
            rows = await self._claim(self._batch, one_per_chat=False, exclude=())
            if not rows:
                return sent
            blocked: set[int] = set()
            for i, row in enumerate(rows):
                if self.paused_for > 0 or (stop is not None and stop.is_set()):
                    await self._release(r.id for r in rows[i:])
                    return sent
                if row.chat_id in blocked:
                    await self._record_unreachable(row, outbox.UNREACHABLE_REASON)
                    continue
                outcome = await self._send(row)
                if outcome is Outcome.SENT:
                    sent += 1
                elif outcome is Outcome.BLOCKED:
                    blocked.add(row.chat_id)
        return sent

    # ---- concurrently, under the limits ----------------------------------------------------

    async def _drain_limited(self, stop: asyncio.Event | None) -> int:
        sent = 0
        stopping = asyncio.create_task(stop.wait()) if stop is not None else None
        window = self._pacing.window
        try:
            while True:
                halted = (stop is not None and stop.is_set()) or self.paused_for > 0
                if not halted and len(self._tasks) <= window - max(1, window // 5):
                    if self._pacing.sweep_due():
                        self.evict_idle()
                    await self._refill()
                cooling = {} if halted else self._pacing.cooling()
                if not self._tasks:
                    if not cooling or not await self._due_for(cooling):
                        return sent
                    # Only chats sent to a moment ago have rows due: wait for the first.
                    await self._sleep(min(cooling.values()), stopping)
                    continue
                waiting: set[asyncio.Future[Any]] = set(self._tasks)
                if stopping is not None and not stopping.done():
                    waiting.add(stopping)
                done, _ = await asyncio.wait(
                    waiting,
                    timeout=min(cooling.values()) if cooling else None,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if stopping is not None and stopping in done:
                    self._recall()
                sent += await self._collect(done)
        finally:
            if stopping is not None:
                stopping.cancel()
            if self._tasks:  # an error (the database) or our own cancellation
                self._recall()
                await asyncio.wait(set(self._tasks))
                with contextlib.suppress(Exception):
                    await self._collect(set(self._tasks))
                self._tasks.clear()

    async def _refill(self) -> None:
        """Takes due rows for chats that may be sent to now: not one already under way, nor one
        sent to less than its spacing ago. So a row taken only waits for the overall limiter."""
        while len(self._tasks) < self._pacing.window:
            exclude = {row.chat_id for row in self._tasks.values()} | set(self._pacing.cooling())
            rows = await self._claim(
                self._pacing.window - len(self._tasks), one_per_chat=True, exclude=exclude
            )
            if not rows:
                return
            for row in rows:
                self._tasks[asyncio.create_task(self._send_limited(row))] = row

    async def _due_for(self, chat_ids: Iterable[int]) -> bool:
        async with self._sessions() as session:
            return await outbox.has_due(session, self._clock.now(), chat_ids)

    @staticmethod
    async def _sleep(seconds: float, stopping: asyncio.Task[Any] | None) -> None:
        if stopping is None:
            await asyncio.sleep(seconds)
        else:
            await asyncio.wait({stopping}, timeout=seconds)

    async def _collect(self, done: set[Any]) -> int:
        sent = 0
        released = []
        for task in done:
            row = self._tasks.pop(task, None)
            if row is None:
                continue  # the stop event
            if task.cancelled():
                released.append(row.id)
                continue
            exc = task.exception()
            if exc is not None:
                # The row stays leased and is taken over when the lease ends.
                log.error(
                    "send_task_failed", outbox_id=row.id, error=f"{type(exc).__name__}: {exc}"
                )
                continue
            outcome = task.result()
            if outcome is Outcome.SENT:
                sent += 1
            elif outcome is Outcome.RELEASED:
                released.append(row.id)
        await self._release(released)
        return sent

    async def _send_limited(self, row: _Row) -> Outcome:
        assert self._pacing.overall is not None
        # The overall limiter and the chat's turn are taken under the lock too: the spacing
        # is then that of the requests, however long one waited for the one before.
        async with self._unconfirmed:
            await self._pacing.overall.acquire()
            if self.paused_for > 0:
                return Outcome.RELEASED
            # At once, as a rule: the chat was free when its row was taken, and nothing else is
            # sent there meanwhile. Taken right before the request, so the spacing is the sends'.
            await self._pacing.acquire(row.chat_id)
            if self.paused_for > 0:
                return Outcome.RELEASED
            self._in_request.add(row.id)
            try:
                return await self._send(row)
            finally:
                self._in_request.discard(row.id)

    def _recall(self) -> None:
        """Rows still waiting for their turn are handed back; requests under way finish."""
        for task, row in self._tasks.items():
            if row.id not in self._in_request and not task.done():
                task.cancel()

    def evict_idle(self) -> int:
        """Drops the limiters of chats not sent to for longer than their spacing (a new one
        would behave the same); returns how many."""
        return self._pacing.evict_idle(row.chat_id for row in self._tasks.values())

    # ---- flood wait ------------------------------------------------------------------------

    def _flood(self, seconds: float) -> None:
        if self._pacing.pause(seconds):
            log.warning("flood_wait", retry_after=seconds)
        self._recall()

    # ---- one row ---------------------------------------------------------------------------

    async def _claim(self, limit: int, *, one_per_chat: bool, exclude: Iterable[int]) -> list[_Row]:
        async with self._sessions() as session, session.begin():
            rows = await outbox.claim_due(
                session,
                self._clock.now(),
                limit=limit,
                lease=self._lease,
                one_per_chat=one_per_chat,
                exclude_chats=exclude,
            )
            return [_Row(r.id, r.chat_id, r.payload, r.attempts) for r in rows]

    async def _release(self, row_ids: Iterable[int]) -> None:
        ids = list(row_ids)
        if ids:
            async with self._sessions() as session, session.begin():
                await outbox.release(session, ids)

    async def _send(self, row: _Row) -> Outcome:
        outcome = await self._try(row)
        if self._metrics is not None and outcome in _METRIC:
            self._metrics.sent(_METRIC[outcome])
        return outcome

    async def _try(self, row: _Row) -> Outcome:
        try:
            await self._channel.send(Outgoing.from_payload(row.chat_id, row.payload))
        except SendError as err:
            return await self._failed(row, err)
        except Exception as exc:
            # A bug (a payload this version cannot read...): retried like a network error,
            # so it ends dead rather than looping.
            log.exception("send_crashed", outbox_id=row.id)
            return await self._failed(row, SendError("network", f"{type(exc).__name__}: {exc}"))
        async with self._sessions() as session, session.begin():
            await outbox.mark_sent(session, row.id, self._clock.now())
        return Outcome.SENT

    async def _record_unreachable(self, row: _Row, reason: str) -> None:
        async with self._sessions() as session, session.begin():
            await outbox.mark_unreachable(session, row.id, row.chat_id, self._clock.now(), reason)
            # An agent's answer that cannot arrive: the agent hears so, with the phone.
            await relay_blocked.tell_agent(session, row.id, self._clock.now())

    async def _failed(self, row: _Row, err: SendError) -> Outcome:
        now = self._clock.now()
        if err.kind == "retry_after":
            wait = max(err.retry_after, 1.0)
            self._flood(wait)
            async with self._sessions() as session, session.begin():
                await outbox.mark_retry(
                    session, row.id, now + timedelta(seconds=wait), err.detail, count_attempt=False
                )
            return Outcome.FLOOD
        if err.kind == "blocked":
            log.info("chat_unreachable", outbox_id=row.id, chat_id=row.chat_id)
            await self._record_unreachable(row, err.detail)
            return Outcome.BLOCKED
        if err.kind == "bad_request" or row.attempts >= MAX_ATTEMPTS:
            reason = err.detail if err.kind == "bad_request" else f"gave up: {err.detail}"
            log.warning(
                "send_dead", outbox_id=row.id, kind=err.kind, attempts=row.attempts, error=reason
            )
            async with self._sessions() as session, session.begin():
                await outbox.mark_final(session, row.id, OutboxStatus.DEAD, reason)
            return Outcome.DEAD
        delay = backoff_seconds(row.attempts, self._rand)
        log.warning(
            "send_failed", outbox_id=row.id, kind=err.kind, attempts=row.attempts, retry_in=delay
        )
        async with self._sessions() as session, session.begin():
            await outbox.mark_retry(session, row.id, now + timedelta(seconds=delay), err.detail)
        return Outcome.RETRY
