"""Sent messages do not keep their text for ever: after rules.privacy.outbox_retention_days the
nightly job deletes them, or empties those the SLA jobs and care figures still read."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from crm.enums import OutboxStatus
from crm.models import OutboxMessage
from crm.rules import load_rules
from crm.services import outbox
from scheduler import privacy_jobs
from scheduler.runner import CRON_JOBS


async def test_old_sent_rows_are_pruned_and_ledgers_emptied(app: App) -> None:
    rules = load_rules()
    assert rules.privacy.outbox_retention_days == 30
    assert any(c.run is privacy_jobs.prune_outbox for c in CRON_JOBS)
    now = app.clock.now()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    rows = {
        "reply:console:1:0": (old, OutboxStatus.SENT),
        "ticket-new:7:3": (recent, OutboxStatus.SENT),
        "sla-breach:7:first:2": (old, OutboxStatus.SENT),
        "reminder:old-pending": (old, OutboxStatus.PENDING),
    }
    async with app.sessions() as s, s.begin():
        for key, (when, status) in rows.items():
            await outbox.enqueue(
                s, chat_id=1, payload={"text": f"幸福路88号 {key}"}, dedupe_key=key, due_at=when
            )
            row = await s.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
            assert row is not None
            row.status = status
            row.sent_at = when if status == OutboxStatus.SENT else None
    assert await privacy_jobs.prune_outbox(app.sessions, app.clock, app.settings.tz, rules) == 0
    async with app.sessions() as s:
        left = {r.dedupe_key: r.payload for r in await s.scalars(select(OutboxMessage))}
    assert "reply:console:1:0" not in left  # sent long ago: gone
    assert "幸福路" in left["ticket-new:7:3"]["text"]  # within the retention: kept
    assert left["sla-breach:7:first:2"]["text"] == ""  # still read as "alert sent": emptied
    assert "幸福路" in left["reminder:old-pending"]["text"]  # never sent: not touched
