"""Scheduler leader election (scheduler.leader), the cross-process user lock and outbox claims
on PostgreSQL.

Two `Leadership` objects, or two engines with pools of their own, stand for two processes: the
database sees separate sessions either way, and nothing in-process is shared between them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.app import App, build_app
from bot.settings import load
from bot.types import Inbound
from crm.db import make_engine, make_sessionmaker
from crm.models import ConversationState, CustomerUser, ProcessedUpdate, Ticket, TicketMessage
from scheduler import runner
from scheduler.leader import LEADER_LOCK_KEY, Leadership, application_name


@pytest.fixture
def pg_url(pg_server: Any, pg_template: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield pg_server.create_database(name, template=pg_template)
    pg_server.drop_database(name)


async def _wait(cond: Any, timeout: float = 10.0) -> None:
    # Polling: the condition is another task's state, with no event to wait on.
    async with asyncio.timeout(timeout):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _holder_pids(url: str) -> list[str]:
    """application_name of every session holding the leader lock, as an operator would ask."""
    db = make_engine(url)
    try:
        async with db.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a"
                    " ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
                    " AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
                ),
                {"key": LEADER_LOCK_KEY},
            )
            return [r[0] for r in rows]
    finally:
        await db.dispose()


async def test_one_leader_and_a_standby_takes_over(pg_url: str) -> None:
    first = Leadership(pg_url, retry_seconds=0.1, check_seconds=0.1)
    second = Leadership(pg_url, retry_seconds=0.1, check_seconds=0.1)
    changes: list[bool] = []
    second.on_change(changes.append)
    stop1, stop2 = asyncio.Event(), asyncio.Event()
    t1 = asyncio.create_task(first.run(stop1))
    try:
        await _wait(lambda: first.is_leader)
        t2 = asyncio.create_task(second.run(stop2))
        await asyncio.sleep(0.5)  # several tries of the stand-by
        assert first.is_leader and not second.is_leader
        assert await _holder_pids(pg_url) == [application_name()]
        stop1.set()
        await asyncio.wait_for(t1, 5)
        assert not first.is_leader
        await _wait(lambda: second.is_leader)
        assert changes == [True]
        stop2.set()
        await asyncio.wait_for(t2, 5)
        assert changes == [True, False]
        assert await _holder_pids(pg_url) == []
    finally:
        stop1.set()
        stop2.set()


async def test_a_leader_whose_connection_dies_stops_leading(pg_url: str) -> None:
    """The leader's backend is terminated (as when PostgreSQL drops a dead client): the lock is
    free, the stand-by takes it, and the old leader notices at its next check."""
    first = Leadership(pg_url, retry_seconds=0.1, check_seconds=0.2)
    second = Leadership(pg_url, retry_seconds=0.1, check_seconds=0.2)
    stop = asyncio.Event()
    t1 = asyncio.create_task(first.run(stop))
    try:
        await _wait(lambda: first.is_leader)
        t2 = asyncio.create_task(second.run(stop))
        await asyncio.sleep(0.3)
        db = make_engine(pg_url)
        try:
            async with db.connect() as conn:
                killed = await conn.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l"
                        " WHERE l.locktype = 'advisory' AND l.granted"
                        " AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
                    ),
                    {"key": LEADER_LOCK_KEY},
                )
        finally:
            await db.dispose()
        assert killed == 1
        await _wait(lambda: second.is_leader)
        await _wait(lambda: not first.is_leader)
        await asyncio.sleep(0.5)  # the old leader, reconnected, is a stand-by now
        assert second.is_leader and not first.is_leader
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(t1, t2, return_exceptions=True), 5)


async def test_sqlite_is_always_the_leader(tmp_path: Any) -> None:
    leadership = Leadership(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert leadership.is_leader
    stop = asyncio.Event()
    task = asyncio.create_task(leadership.run(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 2)


@pytest.fixture
async def two_apps(pg_url: str) -> AsyncIterator[tuple[App, App]]:
    """Two bots on one database, each with its engine, pool and in-process locks."""
    settings, rules = load(_env_file=None, database_url=pg_url, locale="en")
    apps = (build_app(settings, rules), build_app(settings, rules))
    try:
        yield apps
    finally:
        for a in apps:
            await a.close()


USER = 880001


def _msg(update_id: int, text: str = "", photo: str | None = None) -> Inbound:
    return Inbound(
        channel="telegram",
        update_id=update_id,
        user_id=USER,
        chat_id=USER,
        text=text or None,
        photo_ids=(photo,) if photo else (),
        first_name="Racer",
        language_code="en",
    )


def _press(update_id: int, data: str) -> Inbound:
    return Inbound(
        channel="telegram",
        update_id=update_id,
        user_id=USER,
        chat_id=USER,
        callback=data,
        callback_message_id=1,
        first_name="Racer",
        language_code="en",
    )


async def test_one_users_updates_serialise_across_processes(two_apps: tuple[App, App]) -> None:
    """A new user's first updates race on two engines (no row of theirs exists yet), then six
    photos race into one draft: none is lost, none fails, each redelivery is skipped."""
    a, b = two_apps
    # Two first updates of a user nobody knows yet (neither a customer_user nor a state row
    # exists to lock), and a copy of one of them, on both processes at once.
    outs = await asyncio.gather(
        a.engine.handle(_msg(1, "/new")),
        b.engine.handle(_msg(2, "/new")),
        b.engine.handle(_msg(1, "/new")),
    )
    texts = sorted(o.text for out in outs for o in out)
    assert texts == ["What would you like to send us?"] * 2, texts
    for n, step in enumerate(["~ticket.kind:complaint", "~ticket.category:service"], start=5):
        await a.engine.handle(_press(n, step))
    await b.engine.handle(_msg(7, "the lights flicker"))
    photos = [_msg(10 + i, photo=f"photo-{i}") for i in range(6)]
    results = await asyncio.gather(
        *[(a if i % 2 else b).engine.handle(p) for i, p in enumerate(photos)],
        # Telegram resending two of them, to the other process.
        a.engine.handle(photos[0]),
        b.engine.handle(photos[1]),
    )
    texts = [o.text for outs in results for o in outs]
    assert sorted(texts) == [f"Attached ({n}). More, or tap Done." for n in range(1, 7)]
    await a.engine.handle(_press(20, "~ticket.extras:done"))
    done = await b.engine.handle(_press(21, "~ticket.confirm:send"))
    assert "Thank you" in done[0].text or "Thanks" in done[0].text, done[0].text
    async with a.sessions() as s:
        processed = set(await s.scalars(select(ProcessedUpdate.update_id)))
        assert processed == {1, 2, 5, 6, 7, 20, 21, *range(10, 16)}
        users = list(await s.scalars(select(CustomerUser).where(CustomerUser.tg_user_id == USER)))
        assert len(users) == 1
        (ticket,) = list(await s.scalars(select(Ticket)))
        (first_message,) = list(
            await s.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id))
        )
        assert sorted(first_message.attachments) == sorted(f"photo-{i}" for i in range(6))
        state = await s.scalar(select(ConversationState))
        assert state is not None and state.flow is None and state.version == 13


class _Flag:
    def __init__(self, leader: bool) -> None:
        self.is_leader = leader


async def test_a_standby_skips_the_jobs_the_leader_runs() -> None:
    ran: list[str] = []

    async def job(*_args: Any) -> int:
        ran.append("job")
        return 0

    lock = asyncio.Lock()
    context: tuple[Any, ...] = (None, None, None, None)  # the job ignores them
    await runner._run_job("j", job, lock, *context, leadership=_Flag(False))  # type: ignore[arg-type]
    assert ran == []
    await runner._run_job("j", job, lock, *context, leadership=_Flag(True))  # type: ignore[arg-type]
    await runner._run_job("j", job, lock, *context)
    assert ran == ["job", "job"]


async def test_taking_over_runs_a_pass_at_once(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new leader does not wait for the next tick (an hour here) to send what fell due."""
    passes: list[bool] = []

    async def counted(*_args: Any) -> int:
        passes.append(True)
        return 0

    monkeypatch.setattr(runner, "run_due", counted)
    settings, rules = load(_env_file=None, database_url=pg_url)
    app = build_app(settings, rules)
    leadership = Leadership(pg_url, retry_seconds=0.1, check_seconds=0.1)
    sched = runner.build(
        app.sessions, app.clock, settings.tz, rules, 3600, cron_jobs=[], leadership=leadership
    )
    stop = asyncio.Event()
    campaign = None
    try:
        sched.start()
        await asyncio.sleep(0.3)  # the pass at start came and was skipped: not leading yet
        assert passes == []
        campaign = asyncio.create_task(leadership.run(stop))
        await _wait(lambda: bool(passes))
        assert leadership.is_leader and passes == [True]
    finally:
        stop.set()
        await sched.stop()
        if campaign is not None:
            await asyncio.wait_for(campaign, 5)
        await app.close()


async def test_two_senders_never_take_rows_for_one_chat_at_once(pg_url: str) -> None:
    """Two replicas' senders claim at the same moment: the second waits for the first's claim,
    then sees that chat as held and takes the other chat's row only."""
    from crm.services import outbox

    db = make_engine(pg_url)
    sessions = make_sessionmaker(db)
    now = datetime.now(UTC)
    lease = timedelta(seconds=60)
    try:
        async with sessions() as s, s.begin():
            for key, chat in (("a1", 1), ("a2", 1), ("b1", 2)):
                await outbox.enqueue(
                    s, chat_id=chat, payload={"text": key}, dedupe_key=key, due_at=now
                )
        first = sessions()
        await first.begin()
        taken = await outbox.claim_due(first, now, lease=lease, one_per_chat=True, limit=1)
        assert [r.dedupe_key for r in taken] == ["a1"]

        async def second_claim() -> list[str]:
            async with sessions() as s, s.begin():
                rows = await outbox.claim_due(s, now, lease=lease, one_per_chat=True)
                return [r.dedupe_key for r in rows]

        second = asyncio.create_task(second_claim())
        await asyncio.sleep(0.3)
        assert not second.done()  # waiting for the first claim's transaction
        await first.commit()
        await first.close()
        assert await asyncio.wait_for(second, 5) == ["b1"]
    finally:
        await db.dispose()
