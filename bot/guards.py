"""Per-user serialisation and flood limiting inside one process."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta


class KeyedLocks:
    """One asyncio.Lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class FloodGuard:
    """At most `limit` updates per user per minute; the first refusal in a window is answered."""

    def __init__(self, limit: int, window: timedelta = timedelta(minutes=1)) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[int, deque[datetime]] = {}
        self._warned: dict[int, datetime] = {}

    def check(self, user_id: int, now: datetime) -> str:
        """'ok', 'warn' (refuse and tell the user) or 'drop' (refuse silently)."""
        q = self._seen.setdefault(user_id, deque())
        while q and now - q[0] >= self.window:
            q.popleft()
        if len(q) < self.limit:
            q.append(now)
            return "ok"
        last = self._warned.get(user_id)
        if last is not None and now - last < self.window:
            return "drop"
        self._warned[user_id] = now
        return "warn"
