"""`crm-bot scheduler`: the scheduler alone - its jobs and nothing else.

The jobs only queue outbox rows; the sender in `crm-bot run` (started there with
`--no-scheduler`) sends them. Several may run against one PostgreSQL (and beside `crm-bot run`
with its scheduler): they elect one leader that runs the jobs (`scheduler.leader`), the others
stand by and take over when it goes.

`/healthz` (the database) and `/metrics` are served on CRM_HEALTH_LISTEN:CRM_HEALTH_PORT.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import structlog

from bot.gc_tuning import freeze_startup_objects
from bot.health import Health
from bot.metrics import Metrics
from bot.migrate import upgrade_async
from bot.settings import Settings
from crm.clock import Clock, SystemClock
from crm.db import make_engine, make_sessionmaker
from crm.rules import Rules
from crm.services.rule_overrides import RuleBook
from scheduler import runner
from scheduler.leader import Leadership

log = structlog.get_logger("scheduler")

SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def serve_scheduler(
    settings: Settings,
    rules: Rules,
    *,
    stop: asyncio.Event | None = None,
    clock: Clock | None = None,
    freeze_startup: bool = False,
) -> int:
    """Runs the scheduler until SIGINT/SIGTERM (or until `stop` is set, when given); 0 then.
    `freeze_startup`: as for `bot.runtime.serve`.

    With `stop` given, signals are left to the caller. A pass runs at once on start, so what
    fell due while nothing was running is found straight away.
    """
    await upgrade_async(settings.database_url)
    db = make_engine(settings.database_url)
    sessions = make_sessionmaker(db)
    clock = clock or SystemClock()
    metrics = Metrics()
    health = Health(db, sessions, clock, metrics)
    if freeze_startup:
        freeze_startup_objects()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    if stop is None:
        stop = asyncio.Event()
        for sig in SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
                handled.append(sig)
    leadership = Leadership(
        settings.database_url,
        retry_seconds=settings.leader_retry_seconds,
        check_seconds=settings.leader_check_seconds,
    )
    sched = runner.build(
        sessions,
        clock,
        settings.tz,
        RuleBook(rules),  # what admins change in chat (/rules) reaches the jobs
        settings.scheduler_tick_seconds,
        leadership=leadership,
    )
    metrics.set_leader(leadership.is_leader)
    leadership.on_change(metrics.set_leader)
    exits = contextlib.AsyncExitStack()
    campaign: asyncio.Task[None] | None = None
    try:
        try:
            await exits.enter_async_context(
                health.serving(settings.health_listen, settings.health_port)
            )
        except OSError as exc:
            log.error("invalid_setting", setting="CRM_HEALTH_PORT", error=str(exc))
            return 2
        sched.start()
        campaign = asyncio.create_task(leadership.run(stop))
        log.info(
            "scheduler_started",
            jobs=sorted(job.id for job in sched.get_jobs()),
            tick_seconds=settings.scheduler_tick_seconds,
            late_grace_hours=rules.scheduler.late_grace_hours,
        )
        await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        stop.set()
        await sched.stop()
        if campaign is not None:
            await asyncio.gather(campaign, return_exceptions=True)
        metrics.set_leader(False)
        await exits.aclose()
        await db.dispose()
        log.info("scheduler_stopped")
    return 0
