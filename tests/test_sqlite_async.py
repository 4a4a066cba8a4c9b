"""The SQLite driver that runs statements on the event loop (crm.sqlite_async): the loop is
never held by a lock, a long SELECT or a long run of statements, and nothing is lost."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from crm import sqlite_async
from crm.db import make_engine, unavailable


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    async with eng.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield eng
    await eng.dispose()


class Ticker:
    """Counts how often the loop got to run something else, and the longest gap between."""

    def __init__(self) -> None:
        self.ticks = 0
        self.longest_gap = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0)
            now = time.perf_counter()
            self.longest_gap = max(self.longest_gap, now - last)
            last = now
            self.ticks += 1

    async def __aenter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        await asyncio.sleep(0)  # it has started timing
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


def hold_write_lock(engine: AsyncEngine) -> sqlite3.Connection:
    """Another process's writer, as `crm-bot import` would be."""
    path = engine.url.database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_a_lock_held_elsewhere_is_waited_for_without_holding_the_loop(
    engine: AsyncEngine,
) -> None:
    other = hold_write_lock(engine)
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, other.execute, "COMMIT")
    async with Ticker() as ticker:
        started = time.perf_counter()
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        waited = time.perf_counter() - started
    assert waited >= 0.25  # it did wait for the other writer
    assert ticker.ticks > 10  # and the loop ran other work meanwhile
    assert ticker.longest_gap < 0.1
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 1
    other.close()


async def test_a_lock_held_past_the_budget_is_the_database_unavailable(
    engine: AsyncEngine,
) -> None:
    other = hold_write_lock(engine)
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA busy_timeout=200")
            started = time.perf_counter()
            with pytest.raises(OperationalError) as caught:
                await conn.execute(text("INSERT INTO t VALUES (1)"))
            assert 0.15 <= time.perf_counter() - started < 2
            assert "database is locked" in str(caught.value)
            assert unavailable(caught.value)
            await conn.rollback()
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_two_transactions_in_one_process_do_not_deadlock(engine: AsyncEngine) -> None:
    """The scheduler holds the write lock across an await; a user's update writes meanwhile.
    A busy wait on the loop's thread would keep the scheduler from ever committing."""
    holding = asyncio.Event()

    async def scheduler() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            await asyncio.sleep(0.2)
            await conn.execute(text("INSERT INTO t VALUES (2)"))

    async def update() -> None:
        await holding.wait()
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (3)"))

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(scheduler(), update()), timeout=10)
    assert time.perf_counter() - started < 1.5  # the scheduler's 0.2 s, not a lock timeout
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()
    assert rows == [1, 2, 3]


async def test_a_stale_snapshot_is_raised_at_once_not_waited_for(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.exec_driver_sql("BEGIN")
        await conn.execute(text("SELECT count(*) FROM t"))  # reads a snapshot
        path = engine.url.database
        assert path is not None
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("INSERT INTO t VALUES (9)")
        other.close()
        started = time.perf_counter()
        with pytest.raises(OperationalError):
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        assert time.perf_counter() - started < 1
        await conn.rollback()


async def test_a_long_select_moves_off_the_loop_and_the_transaction_goes_on(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t VALUES (-1)"))
        # 2,000² rows to count: far past the inline budget.
        await conn.execute(
            text(
                "INSERT INTO t WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                "WHERE i < 2000) SELECT i FROM n"
            )
        )
        async with Ticker() as ticker:
            count = (await conn.execute(text("SELECT count(*) FROM t a, t b"))).scalar()
        assert count == 2001 * 2001
        assert ticker.ticks > 10  # the loop ran while SQLite counted in its thread
        await conn.execute(text("INSERT INTO t VALUES (-2)"))
    async with engine.connect() as conn:
        found = (await conn.execute(text("SELECT count(*) FROM t WHERE x < 0"))).scalar()
    assert found == 2  # both writes of the transaction, around the moved SELECT, kept


async def test_a_long_run_of_statements_gives_the_loop_back(engine: AsyncEngine) -> None:
    async with Ticker() as ticker:
        async with engine.begin() as conn:
            for i in range(3000):
                await conn.execute(text("INSERT INTO t VALUES (:i)"), {"i": i})
    assert ticker.ticks >= 2
    assert ticker.longest_gap < 0.5
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 3000


async def test_a_statement_is_one_call_and_rows_come_back_whole(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": i} for i in range(50)])
        result = await conn.execute(text("SELECT x FROM t ORDER BY x"))
        assert result.scalars().all() == list(range(50))
        cursor = await conn.exec_driver_sql("UPDATE t SET x = x + 1 WHERE x < 10")
        assert cursor.rowcount == 10
    assert sqlite_async.connect("x").wait_seconds == 5.0  # sqlite3's own default
