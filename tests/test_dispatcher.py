"""The outbox dispatcher under Telegram's limits.

The big test drains ~300 rows through the real aiogram adapter into `FakeBotAPI` on 127.0.0.1,
which enforces the limits (429 over them) and answers 403 for chats that blocked the bot. To
keep it short, time is compressed where the rules allow: 5 messages/s per chat instead of 1, and
a group's "minute" lasts 6 s; the sender and the fake keep the same figures.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.channels.aiogram import AiogramChannel
from bot.channels.base import SendError
from bot.sender import (
    BACKOFF_CAP_SECONDS,
    MAX_ATTEMPTS,
    OutboxSender,
    SendLimits,
    backoff_seconds,
)
from bot.settings import load
from bot.types import Outgoing
from crm.clock import SystemClock
from crm.db import make_engine, make_sessionmaker
from crm.enums import OutboxStatus
from crm.models import OutboxMessage, UnreachableChat
from crm.services import outbox
from tests.fake_botapi import Call, FakeBotAPI, Limits

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"


class FakeChannel:
    name = "fake"

    def __init__(self, errors: dict[int, list[SendError]] | None = None) -> None:
        self.errors = errors or {}
        self.sent: list[Outgoing] = []
        self.sent_one = asyncio.Event()

    async def send(self, out: Outgoing) -> None:
        queue = self.errors.get(out.chat_id)
        if queue:
            raise queue.pop(0)
        self.sent.append(out)
        self.sent_one.set()


async def _queue(
    sessions: async_sessionmaker[AsyncSession],
    chat_id: int,
    key: str,
    due_at: datetime,
    priority: int = outbox.PRIORITY_NORMAL,
) -> None:
    async with sessions() as s, s.begin():
        assert await outbox.enqueue(
            s,
            chat_id=chat_id,
            payload=Outgoing(chat_id, key).to_payload(),
            dedupe_key=key,
            due_at=due_at,
            priority=priority,
        )


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> dict[str, OutboxMessage]:
    async with sessions() as s:
        return {r.dedupe_key: r for r in await s.scalars(select(OutboxMessage))}


# ---------------------------------------------------------------- the outbox's parts


async def test_one_row_per_chat_in_priority_order(app: App) -> None:
    now = app.clock.now()
    for n in range(3):
        await _queue(app.sessions, 1, f"a-bulk{n}", now, outbox.PRIORITY_BULK)
    await _queue(app.sessions, 2, "b-normal", now)
    await _queue(app.sessions, 1, "a-relay", now, outbox.PRIORITY_RELAY)
    await _queue(app.sessions, 3, "c-later", now + timedelta(minutes=1))
    lease = timedelta(seconds=60)
    async with app.sessions() as s, s.begin():
        rows = await outbox.claim_due(s, now, lease=lease, one_per_chat=True)
        assert [r.dedupe_key for r in rows] == ["a-relay", "b-normal"]
    async with app.sessions() as s, s.begin():
        # Both chats have a row under way: nothing more for them until it is done.
        assert await outbox.claim_due(s, now, lease=lease, one_per_chat=True) == []
        await outbox.mark_sent(s, rows[0].id, now)
    async with app.sessions() as s, s.begin():
        rows = await outbox.claim_due(s, now, lease=lease, one_per_chat=True, exclude_chats=[2])
        assert [r.dedupe_key for r in rows] == ["a-bulk0"]


async def test_a_row_taken_over_after_its_lease_is_counted_as_retaken(app: App) -> None:
    now = app.clock.now()
    await _queue(app.sessions, 42, "k", now)
    async with app.sessions() as s, s.begin():
        assert len(await outbox.claim_due(s, now, lease=timedelta(seconds=60))) == 1
    app.clock.advance(timedelta(seconds=61))  # ...the sender died holding it
    channel = FakeChannel()
    assert await OutboxSender(app.sessions, channel, app.clock).drain() == 1
    row = (await _rows(app.sessions))["k"]
    assert row.status == OutboxStatus.SENT and row.retaken and row.attempts == 2
    async with app.sessions() as s:
        assert (await outbox.stats(s, app.clock.now())).retaken == 1


async def test_stats(app: App) -> None:
    now = app.clock.now()
    await _queue(app.sessions, 1, "old", now - timedelta(minutes=5))
    await _queue(app.sessions, 2, "new", now)
    await _queue(app.sessions, 3, "future", now + timedelta(hours=1))
    await _queue(app.sessions, 4, "sent", now - timedelta(minutes=9))
    async with app.sessions() as s, s.begin():
        await outbox.mark_sent(s, (await _rows(app.sessions))["sent"].id, now)
    async with app.sessions() as s:
        st = await outbox.stats(s, now)
    assert st.by_status == {
        "pending": 3,
        "sending": 0,
        "sent": 1,
        "dead": 0,
        "unreachable": 0,
    }
    assert st.depth == 2  # the future row is pending but not due
    assert st.oldest_pending_seconds == pytest.approx(300)
    assert (st.retaken, st.late, st.unreachable_chats) == (0, 0, 0)
    async with app.sessions() as s:
        empty = await outbox.stats(s, now - timedelta(days=1))
    assert empty.depth == 0 and empty.oldest_pending_seconds is None


async def test_a_blocked_chat_gets_nothing_more_until_it_writes_again(app: App) -> None:
    now = app.clock.now()
    for n in range(3):
        await _queue(app.sessions, 7, f"blocked{n}", now)
    await _queue(app.sessions, 8, "other", now)
    channel = FakeChannel({7: [SendError("blocked", "Forbidden: bot was blocked by the user")]})
    sender = OutboxSender(app.sessions, channel, app.clock)
    assert await sender.drain() == 1
    assert [o.chat_id for o in channel.sent] == [8]
    rows = await _rows(app.sessions)
    assert {rows[f"blocked{n}"].status for n in range(3)} == {OutboxStatus.UNREACHABLE}
    assert "blocked" in (rows["blocked0"].last_error or "")
    # Rows queued later never reach Telegram either.
    await _queue(app.sessions, 7, "later", now)
    assert await sender.drain() == 0
    assert (await _rows(app.sessions))["later"].status == OutboxStatus.UNREACHABLE
    async with app.sessions() as s:
        assert await outbox.is_unreachable(s, 7)
        assert (await outbox.stats(s, now)).unreachable_chats == 1
    # The chat writes to the bot: it is reachable again.
    async with app.sessions() as s, s.begin():
        assert await outbox.clear_unreachable(s, 7)
        assert not await outbox.clear_unreachable(s, 7)
    await _queue(app.sessions, 7, "after", now)
    assert await sender.drain() == 1
    assert channel.sent[-1].text == "after"


async def test_network_errors_back_off_then_the_row_is_dead(app: App) -> None:
    await _queue(app.sessions, 5, "flaky", app.clock.now())
    channel = FakeChannel({5: [SendError("network", "timeout")] * MAX_ATTEMPTS})
    sender = OutboxSender(app.sessions, channel, app.clock, rand=lambda: 1.0)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        before = app.clock.now()
        assert await sender.drain() == 0
        row = (await _rows(app.sessions))["flaky"]
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert row.status == OutboxStatus.PENDING
            waits.append((row.due_at - before).total_seconds())
            app.clock.set(row.due_at)
    assert row.status == OutboxStatus.DEAD and "timeout" in (row.last_error or "")
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert channel.sent == []
    # Never longer than the cap; the jitter takes up to half of each wait off.
    assert backoff_seconds(20, lambda: 1.0) == BACKOFF_CAP_SECONDS
    assert backoff_seconds(3, lambda: 0.0) == 4 and backoff_seconds(3, lambda: 1.0) == 8


async def test_refusals_are_dead_with_the_reason_and_a_flood_wait_costs_no_attempt(
    app: App,
) -> None:
    now = app.clock.now()
    await _queue(app.sessions, 5, "refused", now)
    await _queue(app.sessions, 6, "flooded", now)
    channel = FakeChannel(
        {
            5: [SendError("bad_request", "Bad Request: chat not found")],
            6: [SendError("retry_after", "Too Many Requests: retry after 2", retry_after=2)],
        }
    )
    sender = OutboxSender(app.sessions, channel, app.clock)
    assert await sender.drain() == 0
    rows = await _rows(app.sessions)
    assert rows["refused"].status == OutboxStatus.DEAD
    assert rows["refused"].last_error == "Bad Request: chat not found"
    assert rows["flooded"].status == OutboxStatus.PENDING and rows["flooded"].attempts == 0
    assert rows["flooded"].due_at == now + timedelta(seconds=2)
    assert sender.paused_for > 1.5  # everything waits, not only that row


async def test_a_stop_hands_back_the_rows_waiting_their_turn(app: App) -> None:
    now = app.clock.now()
    for n in range(10):
        await _queue(app.sessions, 100 + n, f"row{n}", now)
    channel = FakeChannel()
    # 10 a second overall: 5 rows in flight, the first sent at once, the others waiting.
    sender = OutboxSender(
        app.sessions, channel, app.clock, limits=SendLimits(overall_per_second=10)
    )
    assert sender.window == 5
    stop = asyncio.Event()
    draining = asyncio.create_task(sender.drain(stop))
    await asyncio.wait_for(channel.sent_one.wait(), 2)
    stop.set()
    assert await asyncio.wait_for(draining, 2) == 1
    rows = await _rows(app.sessions)
    assert Counter(r.status for r in rows.values()) == {"sent": 1, "pending": 9}
    # Handed back as they were: due as before, no attempt counted.
    assert sum(r.attempts for r in rows.values()) == 1
    assert {r.due_at for r in rows.values()} == {now}


# ---------------------------------------------------------------- through the Bot API


@dataclass
class Scenario:
    rows: dict[str, int]  # dedupe key (= the message text) -> chat id
    priority: dict[str, int]
    blocked: set[int]
    groups: set[int]
    relay: str


async def _scenario(sessions: async_sessionmaker[AsyncSession]) -> Scenario:
    """~300 rows to 60 chats: 55 people (one with many rows), 2 groups, 3 that blocked the bot;
    mostly bulk, some reminders and normal rows, and one relay queued after all of them."""
    people = [500_000 + n for n in range(55)]
    groups = {-100_001, -100_002}
    blocked = {600_001, 600_002, 600_003}
    plan: list[int] = [people[0]] * 15 + [g for g in groups for _ in range(6)]
    plan += [b for b in blocked for _ in range(5)]
    n = 0
    while len(plan) < 299:
        plan.append(people[1 + n % 54])
        n += 1
    start = datetime.now(UTC) - timedelta(seconds=30)
    sc = Scenario({}, {}, blocked, groups, relay="relay")
    async with sessions() as s, s.begin():
        for i, chat_id in enumerate(plan):
            key = f"m{i:03d}"
            prio = {0: outbox.PRIORITY_REMINDER, 5: outbox.PRIORITY_NORMAL}.get(
                i % 10, outbox.PRIORITY_BULK
            )
            await outbox.enqueue(
                s,
                chat_id=chat_id,
                payload=Outgoing(chat_id, key).to_payload(),
                dedupe_key=key,
                due_at=start + timedelta(milliseconds=i),
                priority=prio,
            )
            sc.rows[key], sc.priority[key] = chat_id, prio
        await outbox.enqueue(
            s,
            chat_id=people[3],
            payload=Outgoing(people[3], "relay").to_payload(),
            dedupe_key="relay",
            due_at=start + timedelta(seconds=1),
            priority=outbox.PRIORITY_RELAY,
        )
        sc.rows["relay"], sc.priority["relay"] = people[3], outbox.PRIORITY_RELAY
    return sc


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(db_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


def _sends(api: FakeBotAPI) -> list[Call]:
    return api.calls_of("sendMessage")


def _over(stamps: list[float], count: int, seconds: float) -> bool:
    """Whether more than `count` of these times fall in some `seconds` long window."""
    stamps = sorted(stamps)
    return any(stamps[i + count] - stamps[i] < seconds for i in range(len(stamps) - count))


@pytest.mark.slow
async def test_draining_300_rows_under_telegrams_limits(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    began = time.monotonic()
    _settings, rules = load(_env_file=None)
    rate = rules.rate_limits.model_copy(update={"per_chat_per_second": 5})
    # A group's "minute" lasts 6 s here, with 5 messages in it: its 6 rows take 6.6 s.
    limits = replace(SendLimits.from_rules(rate), group_messages=5, group_period_seconds=6.0)
    fake_limits = Limits(per_chat=(5, 1.0), per_group=(5, 6.0), overall=(30, 1.0))
    sc = await _scenario(sessions)
    async with FakeBotAPI(TOKEN, limits=fake_limits, blocked=sc.blocked) as api:
        channel = AiogramChannel(TOKEN, api.base_url)
        sender = OutboxSender(sessions, channel, SystemClock(), limits=limits)
        try:

            async def meanwhile() -> None:
                # Telegram's flood wait once, and a relay queued while a backlog drains.
                await api.wait_for("sendMessage", lambda _: len(_sends(api)) >= 100, 20)
                api.fail_next_flood("sendMessage", retry_after=1)
                await api.wait_for("sendMessage", lambda _: len(_sends(api)) >= 160, 20)
                late_relay_mark.append(len(_sends(api)))
                await _queue(sessions, 500_100, "relay2", datetime.now(UTC), outbox.PRIORITY_RELAY)

            late_relay_mark: list[int] = []
            side = asyncio.create_task(meanwhile())
            for _ in range(20):
                await sender.drain()
                async with sessions() as s:
                    st = await outbox.stats(s, datetime.now(UTC) + timedelta(seconds=5))
                if side.done() and st.by_status["pending"] == st.by_status["sending"] == 0:
                    break
            await side
            await asyncio.sleep(max(limits.spacing(g) for g in sc.groups))
            assert sender.evict_idle() > 0 and sender.tracked_chats == 0
        finally:
            await channel.close()
    sc.rows["relay2"], sc.priority["relay2"] = 500_100, outbox.PRIORITY_RELAY
    elapsed = time.monotonic() - began

    calls = _sends(api)
    ok = [c for c in calls if c.status == 200]
    texts = Counter(c.params["text"] for c in ok)
    deliverable = {k for k, chat in sc.rows.items() if chat not in sc.blocked}
    # Every deliverable message exactly once, none to a chat that blocked the bot.
    assert set(texts) == deliverable and set(texts.values()) == {1}
    rows = await _rows(sessions)
    assert {rows[k].status for k in deliverable} == {OutboxStatus.SENT}
    assert not any(r.retaken for r in rows.values())
    # One attempt per blocked chat; its later rows never reached Telegram.
    to_blocked = Counter(c.params["chat_id"] for c in calls if c.params["chat_id"] in sc.blocked)
    assert to_blocked == dict.fromkeys(sc.blocked, 1)
    blocked_rows = [r for r in rows.values() if r.chat_id in sc.blocked]
    assert len(blocked_rows) == 15
    assert {r.status for r in blocked_rows} == {OutboxStatus.UNREACHABLE}
    async with sessions() as s:
        assert set(await s.scalars(select(UnreachableChat.chat_id))) == sc.blocked

    # No limit was crossed: the fake refused nothing, and its clock agrees.
    assert api.violations == []
    by_chat: dict[int, list[float]] = defaultdict(list)
    for c in ok:
        by_chat[c.params["chat_id"]].append(c.at)
    assert not _over([c.at for c in ok], 30, 1.0)
    assert not any(_over(stamps, 5, 1.0) for stamps in by_chat.values())
    assert not any(_over(by_chat[g], 5, 6.0) for g in sc.groups)
    assert len(by_chat[-100_001]) == 6 and len(by_chat[500_000]) == 15

    # The flood wait paused everything for retry_after, not only that message (a request
    # already under way when the 429 came back may still arrive).
    (flood,) = [c for c in calls if c.status == 429]
    after = sorted(c.at - flood.at for c in calls if c.at > flood.at)
    assert not [t for t in after if 0.1 < t < 0.98], after[:5]
    assert len([t for t in after if t <= 0.1]) <= 1, after[:5]
    flooded_chat = flood.params["chat_id"]

    # Priority: the relay queued behind ~300 rows went out in the first batch (first, in fact);
    # the one queued during the drain within a batch of sends after it was queued.
    order = [c.params["text"] for c in calls]
    assert order.index("relay") < sender.window, order.index("relay")
    assert order.index("relay2") - late_relay_mark[0] <= sender.window
    # Each chat got its messages in priority order (the flooded row was put back: not there).
    for chat_id in set(by_chat) - {flooded_chat}:
        prios = [sc.priority[c.params["text"]] for c in ok if c.params["chat_id"] == chat_id]
        assert prios == sorted(prios), (chat_id, prios)
    assert elapsed < 25, elapsed


@pytest.mark.slow
async def test_one_busy_chat_and_one_group_are_paced_by_their_own_limits(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Nothing else to send: only the per-chat and per-group limiters hold these back."""
    limits = SendLimits(per_chat_per_second=5, group_messages=5, group_period_seconds=3.0)
    now = datetime.now(UTC)
    for n in range(8):
        await _queue(sessions, 700_001, f"p{n}", now)
    for n in range(6):
        await _queue(sessions, -700_002, f"g{n}", now)
    fake_limits = Limits(per_chat=(5, 1.0), per_group=(5, 3.0), overall=(30, 1.0))
    async with FakeBotAPI(TOKEN, limits=fake_limits) as api:
        channel = AiogramChannel(TOKEN, api.base_url)
        sender = OutboxSender(sessions, channel, SystemClock(), limits=limits)
        try:
            assert await asyncio.wait_for(sender.drain(), 10) == 14
        finally:
            await channel.close()
    assert api.violations == []
    stamps = defaultdict(list)
    for c in _sends(api):
        assert c.status == 200
        stamps[c.params["chat_id"]].append(c.at)
    private, group = stamps[700_001], stamps[-700_002]
    assert not _over(private, 5, 1.0) and not _over(group, 5, 3.0)
    # ...and not much slower than they allow (a tenth under Telegram's figures).
    assert private[-1] - private[0] < 7 * 0.22 + 1.0
    assert group[-1] - group[0] < 5 * 0.66 + 1.0


async def test_limits_from_the_rules_and_the_older_limiter_argument(app: App) -> None:
    from aiolimiter import AsyncLimiter

    limits = SendLimits.from_rules(app.rules.rate_limits)
    assert limits == SendLimits(25, 1, 20, 60.0)
    assert limits.spacing(42) == pytest.approx(1.1)  # a tenth under 1/s
    assert limits.spacing(-42) == pytest.approx(3.3)  # a tenth under 20/min
    # `limiter=` (what bot.runtime passes) means Telegram's limits at that overall rate.
    sender = OutboxSender(app.sessions, FakeChannel(), app.clock, limiter=AsyncLimiter(25, 1))
    assert sender.window == 13
    assert OutboxSender(app.sessions, FakeChannel(), app.clock).window == 50  # no limits
