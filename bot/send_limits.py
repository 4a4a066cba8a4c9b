"""Telegram's limits, as the outbox sender keeps them (one `Pacing` per sender):

- an overall rate (rules.rate_limits.global_per_second) with one `AsyncLimiter`;
- a rate per chat (per_chat_per_second) and per group chat (per_group_per_minute; a group is a
  negative chat id), with one small `AsyncLimiter` per chat, made when the chat is sent to and
  dropped once idle, so memory follows the chats of the last few seconds, not all chats ever;
- Telegram's flood wait: a 429's retry_after pauses all sending (the limit is the bot's);
- the backoff, with jitter, between retries of a row that failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from crm.rules import RateLimits

# A row that failed this many times (network, 5xx) is dead.
MAX_ATTEMPTS = 10
# Retry n waits BASE * 2**(n-1) seconds, at most CAP, of which a random half (jitter).
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 600.0
# Telegram's per-chat and per-group figures are ceilings: keep a tenth under them.
SPACING_MARGIN = 1.1
# How often idle per-chat limiters are dropped.
SWEEP_SECONDS = 1.0
# Under the limits, at most this many seconds' worth of sends are in flight at once.
WINDOW_SECONDS = 0.5


@dataclass(frozen=True)
class SendLimits:
    overall_per_second: float = 25.0
    per_chat_per_second: float = 1.0
    group_messages: float = 20.0
    group_period_seconds: float = 60.0

    @classmethod
    def from_rules(cls, limits: RateLimits) -> SendLimits:
        return cls(
            overall_per_second=limits.global_per_second,
            per_chat_per_second=limits.per_chat_per_second,
            group_messages=limits.per_group_per_minute,
            group_period_seconds=60.0,
        )

    def spacing(self, chat_id: int) -> float:
        """Seconds between two messages to this chat."""
        gap = SPACING_MARGIN / self.per_chat_per_second
        if chat_id < 0:  # a group or channel
            gap = max(gap, SPACING_MARGIN * self.group_period_seconds / self.group_messages)
        return gap


def backoff_seconds(attempts: int, rand: Callable[[], float] = random.random) -> float:
    """The wait before retrying a row that failed its `attempts`-th time."""
    ceiling = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    return ceiling / 2 + rand() * ceiling / 2


class Pacing:
    """One sender's pacing: the overall limiter, how many rows may be in flight, a limiter per
    chat sent to lately (and when it was), and the flood wait. Without `limits` (sent one by one)
    only the flood wait applies."""

    def __init__(self, limits: SendLimits | None, batch: int) -> None:
        self._limits = limits
        # Smooth, no bursts: at most N in any second, as Telegram counts.
        self.overall = (
            AsyncLimiter(1, 1 / limits.overall_per_second) if limits is not None else None
        )
        # Rows in flight under the limits: what the overall limiter serves in WINDOW_SECONDS,
        # so a row taken (a relay) waits for at most that many before its turn.
        self.window = (
            max(1, min(batch, math.ceil(limits.overall_per_second * WINDOW_SECONDS)))
            if limits is not None
            else batch
        )
        self._limiters: dict[int, AsyncLimiter] = {}
        self._used: dict[int, float] = {}
        self._last_sweep = 0.0
        self._paused_until = 0.0  # event-loop time

    # ---- per chat --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._limiters)

    async def acquire(self, chat_id: int) -> None:
        """Waits for the chat's turn and marks it sent to now."""
        await self._limiter(chat_id).acquire()
        self._used[chat_id] = asyncio.get_running_loop().time()

    def cooling(self) -> dict[int, float]:
        """Chats sent to less than their spacing ago, and the seconds until they may be again."""
        now = asyncio.get_running_loop().time()
        cooling = {}
        for chat_id, last in self._used.items():
            left = last + self._limiters[chat_id].time_period - now
            if left > 0:
                cooling[chat_id] = left
        return cooling

    def _limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._limiters.get(chat_id)
        if limiter is None:
            assert self._limits is not None
            limiter = AsyncLimiter(1, self._limits.spacing(chat_id))
            self._limiters[chat_id] = limiter
            self._used[chat_id] = -limiter.time_period  # never sent to: free
        return limiter

    def evict_idle(self, busy: Iterable[int]) -> int:
        """Drops the limiters of chats not sent to for longer than their spacing (a new one
        would behave the same), except the `busy` ones; returns how many."""
        now = asyncio.get_running_loop().time()
        self._last_sweep = now
        busy = set(busy)
        idle = [
            chat_id
            for chat_id, last in self._used.items()
            if chat_id not in busy and now - last >= self._limiters[chat_id].time_period
        ]
        for chat_id in idle:
            del self._limiters[chat_id]
            del self._used[chat_id]
        return len(idle)

    def sweep_due(self) -> bool:
        """Whether SWEEP_SECONDS have passed since idle limiters were last dropped."""
        return asyncio.get_running_loop().time() - self._last_sweep >= SWEEP_SECONDS

    # ---- flood wait ------------------------------------------------------------------------

    @property
    def paused_for(self) -> float:
        """Seconds left of Telegram's flood wait (0 when sending)."""
        return max(0.0, self._paused_until - asyncio.get_running_loop().time())

    def pause(self, seconds: float) -> bool:
        """Pauses all sending for `seconds`; whether that made the pause longer."""
        until = asyncio.get_running_loop().time() + seconds
        if until <= self._paused_until:
            return False
        self._paused_until = until
        return True

    async def wait_pause(self, stop: asyncio.Event | None) -> None:
        while (left := self.paused_for) > 0:
            if stop is None:
                await asyncio.sleep(left)
            elif stop.is_set():
                return
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), left)
