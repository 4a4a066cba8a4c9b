"""Faults: an update delivered twice, the database gone for a while, a Bot API that fails.

On SQLite and PostgreSQL (the `app` fixture). The database outage on PostgreSQL goes through a
TCP proxy on 127.0.0.1 between the bot and the server, which the test cuts and restores; on
SQLite another connection holds the database's write lock for longer than the bot waits.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from structlog.testing import capture_logs

from bot.app import App, build_app
from bot.engine import Engine, EngineConfig
from bot.sender import OutboxSender
from bot.settings import load
from bot.types import Inbound, Outgoing, Reply, T
from crm.enums import OutboxStatus
from crm.models import (
    ConversationState,
    Customer,
    CustomerUser,
    OutboxMessage,
    ProcessedUpdate,
    Ticket,
)
from crm.services import outbox
from handlers import build_router
from handlers.base import EVERYONE, Command, Ctx, Step
from scheduler import runner
from tests.conftest import Transcript
from tests.tcp_proxy import TcpProxy
from tests.test_dispatcher import FakeChannel

# Info events must reach `capture_logs` (see the fixture).
pytestmark = pytest.mark.usefixtures("info_logs")


async def count(app: App, model: type, *where: object) -> int:
    async with app.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def to_confirm_step(chat: Transcript) -> tuple[int, Inbound]:
    """customer1 with a complaint written and the "submit" button in front of them; returns
    their id and the press of that button."""
    await chat("/as customer1", "/new", "[投诉]", "[服务]", "停电两次", "[完成]")
    uid = chat.demo._user_id("customer1")
    target = chat.demo.channel.find(uid, "📨")
    assert target is not None and target.payload is not None, chat.text[-400:]
    press = Inbound(
        channel="console",
        update_id=secrets.randbits(62),
        chat_id=uid,
        user_id=uid,
        callback=target.payload,
        callback_message_id=target.message_id,
    )
    return uid, press


def texts(outs: list[Outgoing]) -> list[str]:
    return [o.text for o in outs]


# ---------------------------------------------------------------- the same update twice


async def test_the_same_update_twice_in_a_row_is_handled_once(app: App, chat: Transcript) -> None:
    _uid, press = await to_confirm_step(chat)
    tickets, queued = await count(app, Ticket), await count(app, OutboxMessage)
    first = await app.engine.handle(press)
    again = await app.engine.handle(press)
    assert any("T-2026-" in t for t in texts(first)), texts(first)
    assert again == []
    assert await count(app, Ticket) == tickets + 1
    # The staff's notices of the new ticket were queued once, not twice.
    notices = await count(app, OutboxMessage) - queued
    assert notices >= 1
    assert await app.engine.handle(press) == []
    assert await count(app, OutboxMessage) - queued == notices
    assert await count(app, ProcessedUpdate, ProcessedUpdate.update_id == press.update_id) == 1


async def test_the_same_update_at_once_on_two_replicas_is_handled_once(
    app: App, chat: Transcript
) -> None:
    """Two engines with their own connection pools, as two webhook replicas behind one
    database: Telegram (or a proxy) delivers the same press to both at the same moment."""
    _uid, press = await to_confirm_step(chat)
    tickets, queued = await count(app, Ticket), await count(app, OutboxMessage)
    other = build_app(app.settings, app.rules, app.clock)
    try:
        results = await asyncio.gather(
            app.engine.handle(press), other.engine.handle(press), app.engine.handle(press)
        )
    finally:
        await other.close()
    answered = [r for r in results if r]
    assert len(answered) == 1, [texts(r) for r in results]
    assert any("T-2026-" in t for t in texts(answered[0]))
    assert await count(app, Ticket) == tickets + 1
    # One set of notices: each person told of the new ticket is told once.
    rows = await _rows_since(app, queued)
    per_chat = Counter(r.chat_id for r in rows)
    assert rows and set(per_chat.values()) == {1}, per_chat


async def _rows_since(app: App, skip: int) -> list[OutboxMessage]:
    async with app.sessions() as s:
        rows = await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id).offset(skip))
        return list(rows)


# ---------------------------------------------------------------- the database away


@dataclass
class Outage:
    """The bot's own `App` on the test's database, which the test can take away and give back:
    on PostgreSQL the network between them (a proxy), on SQLite the write lock (another
    connection holds it for longer than the bot waits, shortened to 0.3 s from 30 s here)."""

    bot: App
    cut: Callable[[], None]
    restore: Callable[[], None]


@pytest.fixture
async def outage(app: App, db_url: str) -> AsyncIterator[Outage]:
    if db_url.startswith("postgresql"):
        url = make_url(db_url)
        assert url.host is not None and url.port is not None
        async with TcpProxy(url.host, url.port) as proxy:
            through = url.set(port=proxy.port).render_as_string(hide_password=False)
            settings = app.settings.model_copy(update={"database_url": through})
            bot = build_app(settings, app.rules, app.clock)
            try:
                yield Outage(bot, proxy.cut, proxy.restore)
            finally:
                proxy.restore()
                await bot.close()
        return
    bot = build_app(app.settings, app.rules, app.clock)

    @event.listens_for(bot.db.sync_engine, "connect")
    def _short_wait(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=300")
        cur.close()

    path = make_url(db_url).database
    assert path is not None
    holder: list[sqlite3.Connection] = []

    def cut() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        holder.append(conn)

    def restore() -> None:
        while holder:
            conn = holder.pop()
            conn.execute("ROLLBACK")
            conn.close()

    try:
        yield Outage(bot, cut, restore)
    finally:
        restore()
        await bot.close()


async def snapshot(app: App, uid: int) -> tuple[object, ...]:
    """What an update could have changed: tickets, queued messages, processed updates, the
    user's conversation state."""
    async with app.sessions() as s:
        state = await s.scalar(select(ConversationState).where(ConversationState.user_id == uid))
        assert state is not None
        return (
            await count(app, Ticket),
            await count(app, OutboxMessage),
            await count(app, ProcessedUpdate),
            await count(app, CustomerUser),
            (state.flow, state.step, state.version, state.data),
        )


async def test_database_away_gets_a_polite_answer_saves_nothing_and_recovers(
    app: App, chat: Transcript, outage: Outage
) -> None:
    uid, press = await to_confirm_step(chat)
    before = await snapshot(app, uid)
    stranger = Inbound(
        channel="console",
        update_id=secrets.randbits(62),
        chat_id=777_001,
        user_id=777_001,
        text="/start",
        language_code="en",
    )
    outage.cut()
    try:
        with capture_logs() as logs:
            zh = await outage.bot.engine.handle(press)
            en = await outage.bot.engine.handle(stranger)
    finally:
        outage.restore()
    # In the user's language as Telegram tells it (their own row cannot be read now).
    assert len(zh) == 1 and zh[0].text.startswith("系统繁忙，本次操作未保存"), zh[0].text
    assert len(en) == 1 and en[0].text.startswith("The system is busy right now"), en[0].text
    assert "try again shortly" in en[0].text and "(ref " in en[0].text
    assert not any("went wrong" in o.text for o in zh + en)
    unavailable = [e for e in logs if e["event"] == "database_unavailable"]
    assert len(unavailable) == 2 and not [e for e in logs if e["log_level"] == "error"]
    assert en[0].text.rsplit("ref ", 1)[1].rstrip(")") == unavailable[1]["ref"]
    assert await snapshot(app, uid) == before
    # Back, without a restart: the same engine takes the same press (it was not marked
    # processed), and the stranger is welcomed.
    done = await outage.bot.engine.handle(press)
    assert any("T-2026-" in t for t in texts(done)), texts(done)
    assert "Welcome" in (await outage.bot.engine.handle(stranger))[0].text
    assert await count(app, Ticket) == before[0] + 1


@pytest.mark.slow
async def test_the_sender_outlives_the_outage_and_sends_after_it(app: App, outage: Outage) -> None:
    now = app.clock.now()
    async with app.sessions() as s, s.begin():
        for n in range(3):
            await outbox.enqueue(
                s,
                chat_id=4242 + n,
                payload=Outgoing(4242 + n, f"after the outage {n}").to_payload(),
                dedupe_key=f"outage-{n}",
                due_at=now,
            )
    channel = FakeChannel()
    sender = OutboxSender(outage.bot.sessions, channel, app.clock)
    stop = asyncio.Event()
    outage.cut()
    with capture_logs() as logs:
        task = asyncio.create_task(sender.run(stop, poll_seconds=0.05))
        try:
            await asyncio.sleep(2.0)
            assert not task.done(), "the sender's loop ended in the outage"
            assert channel.sent == []
            failed = [e for e in logs if e["event"] == "drain_failed_database_unavailable"]
            # Backing off: 0.1, 0.2, 0.4, 0.8 s... not a try every 0.05 s.
            assert 2 <= len(failed) <= 8, len(failed)
            outage.restore()
            for _ in range(200):  # the next try is at most 1.6 s away
                if len(channel.sent) == 3:
                    break
                await asyncio.sleep(0.05)
        finally:
            outage.restore()
            stop.set()
            await asyncio.wait_for(task, 10)
    assert sorted(o.text for o in channel.sent) == [f"after the outage {n}" for n in range(3)]
    assert any(e["event"] == "drain_recovered" for e in logs)
    assert not [e for e in logs if e["log_level"] == "error"], logs
    async with app.sessions() as s:
        rows = list(await s.scalars(select(OutboxMessage)))
    assert {r.status for r in rows if r.dedupe_key.startswith("outage-")} == {OutboxStatus.SENT}


async def test_a_scheduler_pass_in_the_outage_fails_alone_and_the_next_one_works(
    app: App, chat: Transcript, outage: Outage
) -> None:
    bot = outage.bot
    lock = asyncio.Lock()
    context = (bot.sessions, bot.clock, bot.settings.tz, bot.rules)
    app.clock.advance(timedelta(days=1))  # the morning agenda and reminders are due
    outage.cut()
    try:
        with capture_logs() as logs:
            await runner._run_job("due-work", runner.run_due, lock, *context)
    finally:
        outage.restore()
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["job_failed"]
    assert await count(app, OutboxMessage, OutboxMessage.created_at >= app.clock.now()) == 0
    with capture_logs() as logs:
        await runner._run_job("due-work", runner.run_due, lock, *context)
    assert not [e for e in logs if e["log_level"] == "error"]
    assert await count(app, OutboxMessage, OutboxMessage.created_at >= app.clock.now()) > 0


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh migrated PostgreSQL database (no SQLite twin: see the test that uses it)."""
    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    name = f"t_{secrets.token_hex(6)}"
    yield server.create_database(name, template=template)
    server.drop_database(name)


async def test_connection_lost_in_the_middle_of_an_update_leaves_nothing_half_written(
    pg_url: str,
) -> None:
    """The handler has written (a customer, the new user's row, the processed update) when the
    network to PostgreSQL goes: the server rolls it all back, the user is told to try again.
    PostgreSQL only: SQLite is a file in the bot's own process, and once an update holds its
    write lock nothing else can take the database from under it."""
    settings, rules = load(database_url=pg_url, _env_file=None)
    url = make_url(pg_url)
    assert url.host is not None and url.port is not None
    async with TcpProxy(url.host, url.port) as proxy:
        through = url.set(port=proxy.port).render_as_string(hide_password=False)
        bot = build_app(settings.model_copy(update={"database_url": through}), rules)
        direct = build_app(settings, rules)
        router = build_router()

        async def half(ctx: Ctx) -> Step:
            ctx.session.add(Customer(name="half-written", name_search="half-written"))
            await ctx.session.flush()
            proxy.cut()
            await ctx.session.execute(select(func.count()).select_from(Customer))
            return Step.end(Reply(T("Cancelled. Nothing was saved.")))

        router.add(commands=[Command("half", EVERYONE, half, T("show this help"))])
        engine = Engine(
            bot.sessions,
            router,
            bot.clock,
            rules,
            EngineConfig(default_locale="zh_CN", default_tz=settings.tz, bot_username="b"),
        )
        inbound = Inbound(channel="test", update_id=91, chat_id=5151, user_id=5151, text="/half")
        try:
            replies = await engine.handle(inbound)
            proxy.restore()
            assert len(replies) == 1 and replies[0].text.startswith("系统繁忙"), replies
            assert await count(direct, Customer, Customer.name == "half-written") == 0
            assert await count(direct, CustomerUser, CustomerUser.tg_user_id == 5151) == 0
            assert await count(direct, ProcessedUpdate) == 0
            assert proxy.refused == 0  # it was the open connection that broke
            # The same engine, the network back: the next update is served.
            ok = await bot.engine.handle(replace(inbound, update_id=92, text="/start"))
            assert len(ok) == 1 and "系统繁忙" not in ok[0].text
            assert await count(direct, CustomerUser, CustomerUser.tg_user_id == 5151) == 1
        finally:
            proxy.restore()
            await bot.close()
            await direct.close()
