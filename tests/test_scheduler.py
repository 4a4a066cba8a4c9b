"""The scheduler: what fell due while nothing ran, the grace, and `crm-bot scheduler` itself."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from structlog.testing import capture_logs

from bot.app import App
from bot.scheduler_main import serve_scheduler
from bot.settings import SettingsError, load
from crm.models import FollowUp, OutboxMessage
from scheduler import jobs, runner
from tests.conftest import Transcript
from tests.processes import spawn_cli

ROOT = Path(__file__).resolve().parent.parent
STARTUP = 15.0


async def _outbox(app: App, like: str) -> list[OutboxMessage]:
    async with app.sessions() as s:
        rows = await s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(like))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def _start_and_stop(app: App, reminders: int) -> int:
    """`crm-bot scheduler` in this process: started (its first pass runs at once), then stopped
    once that many reminders are queued."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve_scheduler(app.settings, app.rules, stop=stop, clock=app.clock))
    try:
        for _ in range(200):
            if len(await _outbox(app, "fu-remind:%")) >= reminders:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"not {reminders} reminders queued within 10 s")
    finally:
        stop.set()
    return await asyncio.wait_for(task, 5)


async def test_a_reminder_due_while_stopped_is_sent_once_on_start_marked_late(
    app: App, chat: Transcript
) -> None:
    # The demo company: each rep has a follow-up due 3 h after the start. Nothing runs for 10 h.
    app.clock.advance(timedelta(hours=10))
    assert await _start_and_stop(app, reminders=2) == 0
    rows = await _outbox(app, "fu-remind:%")
    assert len(rows) == 2 and all(r.late for r in rows)

    # Down again until the next ones (due at +26 h) are an hour overdue; started again: those
    # are queued, the first ones not a second time.
    app.clock.advance(timedelta(hours=17))
    assert await _start_and_stop(app, reminders=4) == 0
    again = await _outbox(app, "fu-remind:%")
    assert len(again) == 4 and all(r.late for r in again)
    assert [r.dedupe_key for r in again[:2]] == [r.dedupe_key for r in rows]

    out = await chat("/as rep2", "@clock +1m")  # the sender sends what was queued
    assert out.count("Follow-up due: Blue River Hotel") == 1
    assert "(sent late: the bot was not running at the due time)" in out
    assert "not running for a while" not in out  # nothing was too old


async def test_a_reminder_older_than_the_grace_is_reported_not_sent(
    app: App, chat: Transcript
) -> None:
    assert app.rules.scheduler.late_grace_hours == 24
    # Down for 30 h: the follow-ups due at +3 h are 27 h overdue, those due at +26 h only 4 h.
    app.clock.advance(timedelta(hours=30))
    with capture_logs() as logs:
        await runner.run_due(app.sessions, app.clock, app.settings.tz, app.rules)
    skipped = [e for e in logs if e["event"] == "late_items_skipped"]
    assert len(skipped) == 1, skipped
    assert skipped[0]["counts"] == {"followup_reminder": 2} and skipped[0]["grace_hours"] == 24

    now = app.clock.now()
    async with app.sessions() as s:
        reminded = list(await s.scalars(select(FollowUp).where(FollowUp.reminded_at == now)))
    old = [f for f in reminded if now - f.due_at > timedelta(hours=24)]
    recent = [f for f in reminded if now - f.due_at <= timedelta(hours=24)]
    assert len(old) == 2 and len(recent) == 2
    keys = {r.dedupe_key for r in await _outbox(app, "fu-remind:%")}
    assert keys == {f"fu-remind:{f.id}:{f.due_at.isoformat()}" for f in recent}
    notes = await _outbox(app, "late-skipped:%")
    assert len(notes) == 1  # to the one admin

    out = await chat("/as rep2", "@clock +1m")
    assert (
        "[to admin] ⚠️ The bot was not running for a while: 2 items were more than 24 h "
        "overdue and were not sent.\n• follow-up reminders: 2"
    ) in out
    assert out.count("Follow-up due:") + out.count("跟进提醒") == 2  # rep2 en, rep1 zh_CN
    assert "(sent late: the bot was not running at the due time)" in out
    # The skipped ones are not reported again by later passes.
    with capture_logs() as logs:
        assert await runner.run_due(app.sessions, app.clock, app.settings.tz, app.rules) == 0
    assert not [e for e in logs if e["event"] == "late_items_skipped"]


def test_the_grace() -> None:
    _settings, rules = load(_env_file=None)
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert jobs.is_within_grace(now - timedelta(hours=24), now, rules)
    assert not jobs.is_within_grace(now - timedelta(hours=24, seconds=1), now, rules)
    assert jobs.is_within_grace(now + timedelta(hours=1), now, rules)


@pytest.mark.parametrize(("value", "ok"), [(1, True), (72, True), (0, False), (-3, False)])
def test_late_grace_hours_is_validated(tmp_path: Path, value: int, ok: bool) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(f"[scheduler]\nlate_grace_hours = {value}\n", encoding="utf-8")
    if ok:
        _settings, rules = load(_env_file=None, rules_file=path)
        assert rules.scheduler.late_grace_hours == value
    else:
        with pytest.raises(SettingsError, match="scheduler.late_grace_hours"):
            load(_env_file=None, rules_file=path)


async def test_the_jobs_registered(app: App) -> None:
    async def nothing(*_args: Any) -> int:
        return 0

    extra = runner.CronJob("weekly", nothing, lambda r: runner.at(time(9, 0), day_of_week="mon"))
    sched = runner.build(app.sessions, app.clock, app.settings.tz, app.rules, 30)
    due = sched.get_job("due-work")
    assert isinstance(due.trigger, IntervalTrigger)
    assert due.trigger.interval == timedelta(seconds=30)
    ids = {job.id for job in sched.get_jobs()}
    assert ids == {"due-work"} | {c.id for c in runner.CRON_JOBS}
    agenda = sched.get_job("due-work-at-agenda-time")
    assert isinstance(agenda.trigger, CronTrigger)
    assert str(agenda.trigger.fields[5]) == "8" and str(agenda.trigger.fields[6]) == "30"

    only = runner.build(app.sessions, app.clock, app.settings.tz, app.rules, 30, cron_jobs=[extra])
    assert {job.id for job in only.get_jobs()} == {"due-work", "weekly"}
    weekly = only.get_job("weekly").trigger
    assert str(weekly.fields[4]) == "mon" and str(weekly.fields[5]) == "9"


@pytest.mark.slow
async def test_a_stop_lets_the_running_job_finish_and_a_failing_job_is_logged(app: App) -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow(*_args: Any) -> int:
        started.set()
        await asyncio.sleep(0.3)
        finished.set()
        return 0

    async def broken(*_args: Any) -> int:
        raise RuntimeError("boom")

    sched = runner.build(app.sessions, app.clock, app.settings.tz, app.rules, 3600, cron_jobs=[])
    sched.add_job(
        runner._run_job,
        args=("slow", slow, sched.jobs_lock, app.sessions, app.clock, app.settings.tz, app.rules),
    )
    with capture_logs() as logs:
        sched.start()
        await runner._run_job(
            "broken", broken, asyncio.Lock(), app.sessions, app.clock, app.settings.tz, app.rules
        )
        await asyncio.wait_for(started.wait(), 5)
        await sched.stop()
    assert finished.is_set() and not sched.running
    failed = [e for e in logs if e["event"] == "job_failed"]
    assert [e["job"] for e in failed] == ["broken"]


def _events(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "event" in record:
            out.append(record)
    return out


@pytest.mark.slow
async def test_crm_bot_scheduler_process(tmp_path: Path) -> None:
    """The real command: migrations on start, the jobs registered, SIGTERM, exit status 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(
        CRM_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'sched.db'}",
        CRM_LOG_LEVEL="INFO",
        CRM_LOG_JSON="true",
        CRM_HEALTH_PORT="0",  # not 8081: another suite on the machine may hold it
        PYTHONPATH=str(ROOT),
    )
    proc = await spawn_cli("scheduler", env, tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(STARTUP):
            while True:
                line = (await proc.stderr.readline()).decode()
                assert line, "".join(seen)
                seen.append(line)
                if '"scheduler_started"' in line:
                    break
        await asyncio.sleep(0.3)  # the first pass, on the empty database
        proc.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(proc.wait(), 5)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    out = (await proc.stdout.read()).decode()
    err = "".join(seen) + (await proc.stderr.read()).decode()
    assert status == 0, err
    assert (tmp_path / "sched.db").exists()
    events = _events(err)
    (started,) = [e for e in events if e["event"] == "scheduler_started"]
    assert "due-work" in started["jobs"] and started["tick_seconds"] == 30
    assert events[-1]["event"] == "scheduler_stopped", err
    assert not [e for e in events if e.get("level") in ("error", "critical")], err
    for problem in ("Traceback", "Task was destroyed", "never retrieved", "never awaited"):
        assert problem not in out + err, err
    assert "bot_started" not in err  # the scheduler alone: no polling, no sender
