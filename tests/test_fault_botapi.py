"""A Bot API that fails for a while: 5xx answers and requests that time out.

Direct replies (both adapters, polling `FakeBotAPI` on 127.0.0.1) are tried again a couple of
times soon after a passing failure; outbox rows are retried with backoff until delivered, their
attempts counted. Refusals (4xx) are not retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from bot.app import App
from bot.channels.base import REPLY_RETRY_WAITS
from bot.sender import OutboxSender
from bot.types import Outgoing
from crm.enums import OutboxStatus
from crm.models import OutboxMessage
from crm.services import outbox
from tests.fake_botapi import FakeBotAPI
from tests.test_channel_contract import LIBS, TOKEN, USER, Recorder, to

TIMEOUT = 0.5  # the adapters' request timeout here (20 s in production)


# Info events must reach `capture_logs` (see the fixture).
pytestmark = pytest.mark.usefixtures("info_logs")


def make(lib: str, base_url: str) -> Any:
    if lib == "ptb":
        from bot.channels.ptb import PtbChannel

        return PtbChannel(TOKEN, base_url, timeout=TIMEOUT)
    from bot.channels.aiogram import AiogramChannel

    return AiogramChannel(TOKEN, base_url, timeout=TIMEOUT)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as server:
        yield server


@pytest.fixture(params=LIBS)
async def polling(request: pytest.FixtureRequest, api: FakeBotAPI) -> AsyncIterator[Recorder]:
    """An adapter polling the fake, its engine answering every message with "hello"."""
    channel = make(request.param, api.base_url)
    engine = Recorder(reply=lambda i: [Outgoing(i.chat_id, "hello")])
    stop = asyncio.Event()
    task = asyncio.create_task(channel.poll(engine, stop))
    try:
        await api.wait_for("getUpdates")
        yield engine
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await channel.close()


def replies(api: FakeBotAPI) -> list[int]:
    return [c.status for c in api.calls_of("sendMessage") if c.params.get("chat_id") == USER]


@pytest.mark.slow
async def test_a_reply_after_5xx_answers_is_sent_on_the_third_try(
    polling: Recorder, api: FakeBotAPI
) -> None:
    api.fail_next("sendMessage", 502, "Bad Gateway")
    api.fail_next("sendMessage", 500, "Internal Server Error")
    with capture_logs() as logs:
        api.push_message(USER, "hi")
        sent = await api.wait_for("sendMessage", lambda c: c.status == 200, timeout=10)
    assert sent.result["text"] == "hello"
    assert replies(api) == [502, 500, 200]
    retried = [e for e in logs if e["event"] == "reply_retried"]
    assert [e["attempt"] for e in retried] == [1, 2]
    # Spaced as promised, not hammered.
    calls = api.calls_of("sendMessage")
    assert calls[1].at - calls[0].at >= REPLY_RETRY_WAITS[0] * 0.9
    assert calls[2].at - calls[1].at >= REPLY_RETRY_WAITS[1] * 0.9


@pytest.mark.slow
async def test_a_reply_that_timed_out_is_sent_again(polling: Recorder, api: FakeBotAPI) -> None:
    api.delay_next("sendMessage", TIMEOUT * 4)
    api.push_message(USER, "hi")
    sent = await api.wait_for("sendMessage", lambda c: c.status == 200 and c.delivered, timeout=10)
    assert sent.result["text"] == "hello"
    first = api.calls_of("sendMessage")[0]
    assert not first.delivered, "the first answer should have come too late for the client"
    assert len(api.calls_of("sendMessage")) == 2


@pytest.mark.slow
async def test_a_reply_is_given_up_after_three_tries_and_the_bot_goes_on(
    polling: Recorder, api: FakeBotAPI
) -> None:
    for _ in range(3):
        api.fail_next("sendMessage", 503, "Service Unavailable")
    with capture_logs() as logs:
        api.push_message(USER, "hi")
        await api.wait_for("sendMessage", since=0, timeout=5)
        for _ in range(100):  # the last try is 2 s after the first
            if any(e["event"] == "reply_failed" for e in logs):
                break
            await asyncio.sleep(0.05)
    assert replies(api) == [503, 503, 503]
    assert [e["kind"] for e in logs if e["event"] == "reply_failed"] == ["network"]
    # The next message is answered at once.
    mark = api.mark()
    api.push_message(USER, "again")
    assert (await api.wait_for("sendMessage", to(USER), since=mark)).status == 200


@pytest.mark.slow
async def test_a_refused_reply_is_not_retried(polling: Recorder, api: FakeBotAPI) -> None:
    api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    api.push_message(USER, "hi")
    await api.wait_for("sendMessage", timeout=5)
    await asyncio.sleep(REPLY_RETRY_WAITS[0] * 2)  # a retry would have come by now
    assert replies(api) == [400]
    assert [i.text for i in polling.done] == ["hi"]


# ---------------------------------------------------------------- outbox rows


@pytest.mark.slow
async def test_outbox_rows_are_retried_through_5xx_and_timeouts_until_delivered(
    app: App, api: FakeBotAPI
) -> None:
    """Each failure puts the row back with a backoff (its attempts counted); the clock is moved
    over the backoff and the next drain tries again."""
    now = app.clock.now()
    async with app.sessions() as s, s.begin():
        for n, chat in enumerate((USER, USER + 1)):
            await outbox.enqueue(
                s,
                chat_id=chat,
                payload=Outgoing(chat, f"row {n}").to_payload(),
                dedupe_key=f"flaky-{n}",
                due_at=now,
            )
    channel = make("aiogram", api.base_url)
    sender = OutboxSender(app.sessions, channel, app.clock, rand=lambda: 0.0)
    failures = [
        lambda: api.fail_next("sendMessage", 500, "Internal Server Error"),
        lambda: api.fail_next("sendMessage", 502, "Bad Gateway"),
        lambda: api.delay_next("sendMessage", TIMEOUT * 4),
        lambda: api.fail_next_raw("sendMessage", 504, "<html>504 Gateway Time-out</html>"),
    ]
    try:
        sent = 0
        for attempt, fail in enumerate(failures, 1):
            fail()  # the first row of this drain fails; the other goes through or waits
            sent += await sender.drain()
            rows = await _rows(app)
            assert rows["flaky-0"].status == OutboxStatus.PENDING, attempt
            assert rows["flaky-0"].attempts == attempt
            assert rows["flaky-0"].last_error
            # Backoff with no jitter: 1, 2, 4, 8 s; not due a moment before.
            wait = 2.0 ** (attempt - 1)
            assert rows["flaky-0"].due_at == app.clock.now() + timedelta(seconds=wait)
            assert await sender.drain() == 0
            app.clock.advance(timedelta(seconds=wait))
        sent += await sender.drain()
    finally:
        await channel.close()
    rows = await _rows(app)
    assert {r.status for r in rows.values()} == {OutboxStatus.SENT}
    assert rows["flaky-0"].attempts == len(failures) + 1 and rows["flaky-1"].attempts == 1
    assert sent == 2
    texts = [c.params["text"] for c in api.calls_of("sendMessage") if c.status == 200]
    # The timed-out request may have reached the chat: then "row 0" is there twice, a duplicate
    # the row's attempts account for. Nothing else is doubled.
    assert texts.count("row 1") == 1 and 1 <= texts.count("row 0") <= 2


async def _rows(app: App) -> dict[str, OutboxMessage]:
    async with app.sessions() as s:
        return {r.dedupe_key: r for r in await s.scalars(select(OutboxMessage))}
