"""SQLite for SQLAlchemy's asyncio engine, run on the event loop's own thread.

SQLAlchemy drives SQLite through aiosqlite, which sends every cursor call to a thread and
waits for the answer: open a cursor, execute, fetch, close, four trips per statement and ~40
per bot update, each ~150 µs of waking two threads while the statement itself takes ~25 µs.
That was three quarters of an update's time. Here a statement runs where it is called, with
three guards so that the loop is never held long:

- a lock held by another connection (an import from the command line, the scheduler's
  transaction in this process) is waited for with `asyncio.sleep`, never in SQLite's busy
  handler: a busy wait on the loop's thread would also stop the transaction it waits for.
  The connection's busy timeout (`timeout=`, or `PRAGMA busy_timeout`) is the budget;
- a SELECT still running after `INLINE_SECONDS` (a report over a year of visits) is stopped
  by SQLite's progress handler and run again in the connection's thread;
- after `YIELD_SECONDS` of statements in a row (an import of 10,000 rows) the loop is given
  back once, so that webhooks, health checks and the sender are not held up.

It is the aiosqlite module's face that SQLAlchemy's aiosqlite dialect uses (`connect`, a
connection with `cursor`/`commit`/`rollback`/`close`/`stop`, cursors with awaitable
`execute`/`fetch*`/`close`), over the standard `sqlite3`, so the dialect, its SQL and its
error handling stay SQLAlchemy's: `crm.db.make_engine` passes it as the engine's module.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

R = TypeVar("R")

INLINE_SECONDS = 0.02
YIELD_SECONDS = 0.01
# SQLite's own busy handler waits up to 100 ms between tries; so may we, without blocking.
FIRST_PAUSE, LONGEST_PAUSE = 0.001, 0.05
# Plain SQLITE_BUSY and its recovery variant clear by waiting; SQLITE_BUSY_SNAPSHOT (517)
# does not (the transaction read an older snapshot and must start again) and is raised.
BUSY = {sqlite3.SQLITE_BUSY, 261}
PROGRESS_EVERY = 1000  # virtual-machine steps between looks at the clock
BUSY_PRAGMA = re.compile(r"\s*PRAGMA\s+busy_timeout\s*=\s*(\d+)\s*;?\s*$", re.IGNORECASE)

# The names SQLAlchemy's adapter copies from the module it drives.
DatabaseError = sqlite3.DatabaseError
Error = sqlite3.Error
IntegrityError = sqlite3.IntegrityError
NotSupportedError = sqlite3.NotSupportedError
OperationalError = sqlite3.OperationalError
ProgrammingError = sqlite3.ProgrammingError
sqlite_version = sqlite3.sqlite_version
sqlite_version_info = sqlite3.sqlite_version_info

_last_yield = time.perf_counter()


class Cursor:
    """A sqlite3 cursor whose statement is executed and its rows fetched in one call."""

    def __init__(self, conn: Connection, cursor: sqlite3.Cursor) -> None:
        self._conn = conn
        self._cursor = cursor
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def _run(self, step: Callable[[], object]) -> None:
        step()
        cur = self._cursor
        # All rows at once: SQLAlchemy's adapter fetches them all right after execute anyway.
        self._rows = cur.fetchall() if cur.description else []
        self.description, self.rowcount, self.lastrowid = (
            cur.description,
            cur.rowcount,
            cur.lastrowid,
        )

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Cursor:
        cur = self._cursor
        pragma = BUSY_PRAGMA.match(sql)
        if pragma is not None:
            # The budget is ours to keep: SQLite itself must never wait (see the module).
            self._conn.wait_seconds = int(pragma.group(1)) / 1000
            return self
        if parameters is None:
            step: Callable[[], object] = lambda: cur.execute(sql)  # noqa: E731
        else:
            step = lambda: cur.execute(sql, parameters)  # noqa: E731
        await self._conn.call(self._run, step, movable=_is_select(sql))
        return self

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Cursor:
        cur = self._cursor
        rows = list(seq)  # a retry after a busy lock sends them again
        await self._conn.call(self._run, lambda: cur.executemany(sql, rows))
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        n = size or self.arraysize
        rows, self._rows = self._rows[:n], self._rows[n:]
        return rows

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    async def close(self) -> None:
        # Closing a sqlite3 cursor touches no file; its rows have all been fetched.
        self._rows = []


class _Queue:
    """What SQLAlchemy's adapter puts (future, function) pairs on to set the isolation level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # noqa: BLE001 (handed to the waiting caller)
            future.set_exception(exc)


class Connection:
    def __init__(self, connector: Callable[[], sqlite3.Connection], wait_seconds: float) -> None:
        self._connector = connector
        self._connection: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self.wait_seconds = wait_seconds
        # The progress handler's view: since when a movable statement runs on the loop (None:
        # nothing to watch), and whether it was stopped to be moved.
        self._inline_since: float | None = None
        self._stopped = False
        # SQLAlchemy marks aiosqlite's thread a daemon; ours is the executor's, made on need.
        self._thread = threading.Thread()
        self._tx = _Queue()

    def __await__(self) -> Any:
        return self._open().__await__()

    async def _open(self) -> Connection:
        conn = self._connector()
        conn.set_progress_handler(self._progress, PROGRESS_EVERY)
        self._connection = conn
        return self

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    def _progress(self) -> int:
        since = self._inline_since
        if since is not None and time.perf_counter() - since > INLINE_SECONDS:
            self._stopped = True
            return 1
        return 0

    async def call(self, function: Callable[..., R], *args: Any, movable: bool = False) -> R:
        """`function(*args)` on the loop; a busy lock waited for; a long SELECT moved off."""
        global _last_yield
        pause, deadline = FIRST_PAUSE, None
        while True:
            try:
                result = self._inline(function, args, movable)
            except sqlite3.OperationalError as exc:
                if self._stopped:
                    self._stopped = False
                    result = await self._in_thread(function, *args)
                elif exc.sqlite_errorcode in BUSY:
                    now = time.monotonic()
                    deadline = deadline or now + self.wait_seconds
                    if now >= deadline:
                        raise
                    await asyncio.sleep(min(pause, deadline - now))
                    pause = min(pause * 2, LONGEST_PAUSE)
                    continue
                else:
                    raise
            now = time.perf_counter()
            if now - _last_yield > YIELD_SECONDS:
                _last_yield = now
                await asyncio.sleep(0)
            return result

    def _inline(self, function: Callable[..., R], args: tuple[Any, ...], movable: bool) -> R:
        self._inline_since = time.perf_counter() if movable else None
        try:
            return function(*args)
        finally:
            self._inline_since = None

    async def _in_thread(self, function: Callable[..., R], *args: Any) -> R:
        global _last_yield
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        result = await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)
        _last_yield = time.perf_counter()
        return result

    def cursor(self) -> Cursor:
        return Cursor(self, self._conn.cursor())

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def commit(self) -> None:
        await self.call(self._conn.commit)

    async def rollback(self) -> None:
        await self.call(self._conn.rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None


def _is_select(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"


def connect(database: str, timeout: float = 5.0, **kwargs: Any) -> Connection:
    # SQLite itself never waits for a lock (timeout 0): `Connection.call` does, asynchronously.
    # Used from the loop's thread and, for a moved SELECT, the connection's own thread.
    kwargs.update(timeout=0, check_same_thread=False)
    return Connection(lambda: sqlite3.connect(database, **kwargs), wait_seconds=timeout)


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """This module as SQLAlchemy's aiosqlite dialect takes it (`create_async_engine(module=)`)."""
    return AsyncAdapt_aiosqlite_dbapi(sys.modules[__name__], sqlite3)  # type: ignore[arg-type]
