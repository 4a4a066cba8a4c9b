"""The outbox sender: each Telegram outcome ends in the right state and nothing is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.channels.base import SendError
from bot.sender import OutboxSender
from bot.types import Outgoing
from crm.enums import OutboxStatus
from crm.models import OutboxMessage
from crm.services import outbox


class FakeChannel:
    name = "fake"

    def __init__(self, errors: list[SendError | None]) -> None:
        self.errors = errors
        self.sent: list[Outgoing] = []

    async def send(self, out: Outgoing) -> None:
        err = self.errors.pop(0) if self.errors else None
        if err is not None:
            raise err
        self.sent.append(out)


async def _queue(app: App, key: str) -> None:
    async with app.sessions() as s, s.begin():
        added = await outbox.enqueue(
            s,
            chat_id=42,
            payload={"text": "hi", "buttons": [], "keyboard": None},
            dedupe_key=key,
            due_at=app.clock.now(),
        )
        assert added
        # The same dedupe key never queues twice.
        assert not await outbox.enqueue(
            s, chat_id=42, payload={"text": "again"}, dedupe_key=key, due_at=app.clock.now()
        )


async def _row(app: App, key: str) -> OutboxMessage:
    async with app.sessions() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
        assert row is not None
        return row


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (None, OutboxStatus.SENT),
        (SendError("blocked", "bot was blocked by the user"), OutboxStatus.UNREACHABLE),
        (SendError("bad_request", "chat not found"), OutboxStatus.DEAD),
        (SendError("network", "timeout"), OutboxStatus.PENDING),
        (SendError("retry_after", "flood", retry_after=7), OutboxStatus.PENDING),
    ],
)
async def test_outcome_of_one_send(app: App, error: SendError | None, status: str) -> None:
    await _queue(app, "k1")
    channel = FakeChannel([error])
    sent = await OutboxSender(app.sessions, channel, app.clock).drain()
    row = await _row(app, "k1")
    assert row.status == status
    assert sent == (1 if error is None else 0)
    if error is not None and error.kind == "retry_after":
        assert row.due_at == app.clock.now() + timedelta(seconds=7)


async def test_transient_failure_is_retried_later_and_sent_once(app: App) -> None:
    await _queue(app, "k2")
    channel = FakeChannel([SendError("network", "reset")])
    sender = OutboxSender(app.sessions, channel, app.clock)
    assert await sender.drain() == 0
    assert await sender.drain() == 0  # backing off: not due yet
    app.clock.advance(timedelta(seconds=5))
    assert await sender.drain() == 1
    assert await sender.drain() == 0
    assert len(channel.sent) == 1 and (await _row(app, "k2")).attempts == 2


async def test_row_held_by_a_crashed_sender_is_taken_over(app: App) -> None:
    await _queue(app, "k3")
    async with app.sessions() as s, s.begin():
        claimed = await outbox.claim_due(s, app.clock.now(), lease=timedelta(seconds=60))
        assert len(claimed) == 1  # ...and this sender dies here
    channel = FakeChannel([])
    sender = OutboxSender(app.sessions, channel, app.clock)
    assert await sender.drain() == 0  # still leased
    app.clock.advance(timedelta(seconds=61))
    assert await sender.drain() == 1
    assert (await _row(app, "k3")).status == OutboxStatus.SENT
