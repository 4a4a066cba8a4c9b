"""Which process runs the scheduler's jobs: one leader per database, chosen by PostgreSQL.

Every replica (`crm-bot run`, `crm-bot scheduler`) is a candidate. A candidate holds one
connection of its own, outside the pool, and asks on it for a session-level advisory lock::

    SELECT pg_try_advisory_lock(LEADER_LOCK_KEY)   -- true: leader; false: stand-by

```mermaid
stateDiagram-v2
    [*] --> standby
    standby --> leader: pg_try_advisory_lock(key) is true
    standby --> standby: false, or no database: try again in retry_seconds
    leader --> leader: SELECT 1 on the lock's connection, every check_seconds
    leader --> standby: that fails (connection lost): stop taking jobs, reconnect
    leader --> [*]: stop: pg_advisory_unlock, close
```

PostgreSQL holds a session lock until the session ends: when the leader's process dies (kill -9,
a crashed host) its backend goes, the lock with it, and the first stand-by to retry takes over:
within `retry_seconds` plus the time PostgreSQL needs to notice the dead connection (at once for
a killed process, whose socket the kernel closes; for a vanished host, TCP keepalives). The lock
is never "stolen" from a live leader, so two leaders can only overlap while a leader that lost its
connection has not yet noticed (at most `check_seconds`); every job is idempotent (outbox dedupe
keys), so that costs at most a repeated query, never a doubled message.

The runner asks `is_leader` before each job and skips it on a stand-by. On SQLite (one process)
the process is always the leader. `on_change` callbacks hear every change (metrics: a
`crm_scheduler_leader` gauge can read `is_leader` or subscribe); the runner uses one to run a
pass at once on taking over, so what fell due while nobody led is sent without waiting a tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable

import structlog
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

log = structlog.get_logger("scheduler")

# The advisory lock's key: any constant all replicas agree on, unlikely to clash with another
# application's locks in the same database ("CRMSCHED" in ASCII).
LEADER_LOCK_KEY = 0x43524D5343484544
# What the lock's connection is called in pg_stat_activity (with the process id), so an operator
# or a test can tell which process leads: pg_locks (advisory, this key) joined to it by pid.
APPLICATION_NAME = "crm-bot scheduler"
# The least time the lock's queries get before the connection counts as lost.
QUERY_TIMEOUT_SECONDS = 10.0


def application_name(pid: int | None = None) -> str:
    return f"{APPLICATION_NAME} pid={os.getpid() if pid is None else pid}"


class Leadership:
    """Leader or stand-by, kept up to date by `run` until its stop event is set."""

    def __init__(
        self,
        database_url: str,
        *,
        retry_seconds: float = 5.0,
        check_seconds: float = 5.0,
    ) -> None:
        self._url = database_url
        self._postgres = make_url(database_url).get_backend_name() == "postgresql"
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        # One process per SQLite database: nobody to elect.
        self._leader = not self._postgres
        self._callbacks: list[Callable[[bool], object]] = []
        self._engine: AsyncEngine | None = None

    @property
    def is_leader(self) -> bool:
        return self._leader

    def on_change(self, callback: Callable[[bool], object]) -> None:
        """`callback(is_leader)` after every change (not for the initial stand-by)."""
        self._callbacks.append(callback)

    def _set(self, leader: bool) -> None:
        if leader == self._leader:
            return
        self._leader = leader
        log.info("scheduler_leader" if leader else "scheduler_standby", pid=os.getpid())
        for callback in self._callbacks:
            try:
                callback(leader)
            except Exception:
                log.exception("leader_callback_failed")

    async def run(self, stop: asyncio.Event) -> None:
        """Campaigns until `stop`; then releases the lock (if held) and closes its connection."""
        if not self._postgres:
            await stop.wait()
            return
        # NullPool: the lock's connection is this object's alone, never recycled under it.
        self._engine = create_async_engine(
            self._url,
            poolclass=NullPool,
            hide_parameters=True,
            connect_args={"server_settings": {"application_name": application_name()}},
        )
        try:
            while not stop.is_set():
                try:
                    await self._campaign(stop)
                except (OSError, SQLAlchemyError, TimeoutError) as exc:
                    # The database is down or the connection broke: not leading any more.
                    self._set(False)
                    log.warning("leader_connection_lost", error=f"{type(exc).__name__}: {exc}")
                await _pause(stop, self.retry_seconds)
        finally:
            self._set(False)
            await self._engine.dispose()

    async def _campaign(self, stop: asyncio.Event) -> None:
        assert self._engine is not None
        conn = await self._engine.connect()
        try:
            # Autocommit: a session lock needs no transaction, and an open one would sit idle
            # for the process's whole life.
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            while not stop.is_set():
                # Bounded: a connection hanging (a network partition) must not keep a process
                # that may have lost the lock believing it leads. Not too tight either: a slow
                # answer on a busy machine is no reason to step down.
                async with asyncio.timeout(max(2 * self.check_seconds, QUERY_TIMEOUT_SECONDS)):
                    if not self._leader:
                        got = await conn.scalar(
                            text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
                        )
                        self._set(bool(got))
                    else:
                        # Still connected means still holding the lock: nobody else can take it.
                        await conn.execute(text("SELECT 1"))
                await _pause(stop, self.check_seconds if self._leader else self.retry_seconds)
            if self._leader:
                await _unlock(conn)
        finally:
            with contextlib.suppress(Exception):
                await conn.close()


async def _unlock(conn: AsyncConnection) -> None:
    # Closing the connection would release it too; unlocking first hands over without waiting
    # for the close to reach the server.
    with contextlib.suppress(Exception):
        await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_LOCK_KEY})


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
