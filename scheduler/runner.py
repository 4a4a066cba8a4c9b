"""APScheduler 3 (AsyncIOScheduler), interval and cron triggers only.

- `due-work`, an interval job every `CRM_SCHEDULER_TICK_SECONDS` and once at start, runs
  `run_due`: every job in it asks the database what is due at the clock's time. A missed tick, a
  restart or a second process loses nothing and doubles nothing (outbox dedupe keys). After
  downtime the first pass sends what fell due within `rules.scheduler.late_grace_hours`, saying
  it is late, and reports older items instead of sending them (scheduler.jobs: the grace).
- `CRON_JOBS`: jobs at fixed local times (in CRM_TIMEZONE), for what must happen at a time
  rather than "soon after it fell due".

Adding a job takes one line: work with due times goes into `_every_job` (the pass `run_due`
runs); a fixed time is a `CronJob` in `CRON_JOBS`. A job is
`async def job(sessions, clock, default_tz, rules) -> int` (the messages it queued); it must be
idempotent (dedupe keys), since a pass may run twice, and use `scheduler.jobs.is_within_grace`
and `note_skipped` for items it finds long overdue. A cron job that did not fire while the bot
was down is not run later by APScheduler: the work it stands for must also be found from the
database by a pass (or by the job's next run). Jobs never overlap: each holds one lock.

Several processes: every replica builds the scheduler, but with a `Leadership`
(`scheduler.leader`) only the one holding the leader lock runs the jobs; the others skip each
run. A replica taking over runs a pass at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.clock import Clock
from crm.rules import Rules
from crm.services.rule_overrides import RuleBook, resolve
from scheduler import (
    calendar_jobs,
    care_jobs,
    deals_jobs,
    digest_jobs,
    draft_jobs,
    jobs,
    privacy_jobs,
    report_jobs,
    return_visit_jobs,
    sales_jobs,
    ticket_jobs,
    yearly_jobs,
)
from scheduler.leader import Leadership

log = structlog.get_logger("scheduler")

JobFn = Callable[[async_sessionmaker[AsyncSession], Clock, ZoneInfo, Rules], Awaitable[int]]


async def run_due(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    default_tz: ZoneInfo,
    rules: Rules | RuleBook,
) -> int:
    """One pass of every job at the clock's time (the demo calls this when it moves time).

    Returns how many messages were queued. Items skipped as older than the grace are reported
    once for the whole pass. Given a RuleBook, the pass uses the rules in effect now.
    """
    rules = await resolve(rules, sessions)
    async with jobs.reporting_skips(sessions, clock, default_tz, rules) as skipped:
        queued = await _every_job(sessions, clock, default_tz, rules)
    return queued + skipped.queued


async def _every_job(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    default_tz: ZoneInfo,
    rules: Rules,
) -> int:
    # The sales jobs first: their messages are queued (and so sent) before the reminders.
    queued = await calendar_jobs.run(sessions, clock, default_tz, rules)
    queued += await sales_jobs.run(sessions, clock, default_tz, rules)
    queued += await deals_jobs.run(sessions, clock, default_tz, rules)
    queued += await ticket_jobs.run(sessions, clock, default_tz, rules)
    queued += await return_visit_jobs.run(sessions, clock, default_tz, rules)
    queued += await jobs.followup_reminders(sessions, clock, default_tz, rules)
    queued += await digest_jobs.run(sessions, clock, default_tz, rules)
    queued += await report_jobs.run(sessions, clock, default_tz, rules)
    queued += await yearly_jobs.run(sessions, clock, default_tz, rules)
    queued += await care_jobs.run(sessions, clock, default_tz, rules)
    queued += await draft_jobs.run(sessions, clock, default_tz, rules)
    return queued


@dataclass(frozen=True)
class CronJob:
    """A job at fixed local times: `when(rules)` gives APScheduler's cron fields, e.g.
    `{"day_of_week": "mon", "hour": 9, "minute": 0}` or `at(rules.digest.manager_summary)`."""

    id: str
    run: JobFn
    when: Callable[[Rules], dict[str, Any]]


def at(t: time, **fields: Any) -> dict[str, Any]:
    """Cron fields for a local time of day (plus any others: day_of_week="mon", day=1...)."""
    return {"hour": t.hour, "minute": t.minute, "second": t.second, **fields}


# A pass at the agenda and summary times, so what is due then goes out on the minute rather
# than at the next tick. Others add their fixed-time jobs here.
CRON_JOBS: list[CronJob] = [
    CronJob("due-work-at-agenda-time", run_due, lambda r: at(r.digest.morning_agenda)),
    CronJob("due-work-at-summary-time", run_due, lambda r: at(r.digest.manager_summary)),
    CronJob("due-work-at-report-time", run_due, lambda r: at(r.reports.evening)),
    CronJob("due-work-at-weekly-report-time", run_due, lambda r: at(r.reports.weekly_at)),
    CronJob("due-work-at-team-report-time", run_due, lambda r: at(r.reports.team_at)),
    # Sent messages' texts past the retention (rules.privacy), once a night.
    CronJob("outbox-retention", privacy_jobs.prune_outbox, lambda r: at(time(3, 30))),
]


class Scheduler(AsyncIOScheduler):
    """An AsyncIOScheduler whose jobs hold one lock while they run, so that they never overlap
    and a stop can let the running one finish."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.jobs_lock = asyncio.Lock()
        # The cron jobs and the fields their triggers were made with, to follow rule changes.
        self.crons: dict[str, tuple[CronJob, dict[str, Any]]] = {}

    def retime(self, rules: Rules) -> None:
        """Moves cron jobs whose time the rules now put elsewhere (a digest time changed in
        chat): without this they would keep firing at the time they had at start."""
        for job_id, (cron, fields) in list(self.crons.items()):
            wanted = cron.when(rules)
            if wanted == fields:
                continue
            self.reschedule_job(job_id, trigger=CronTrigger(timezone=self.timezone, **wanted))
            self.crons[job_id] = (cron, wanted)
            log.info("cron_job_retimed", job=job_id)

    async def stop(self, grace: float = 10.0) -> None:
        """Takes no more jobs, waits up to `grace` seconds for a running one, shuts down."""
        if not self.running:
            return
        self.pause()
        try:
            async with asyncio.timeout(grace):
                await self.jobs_lock.acquire()
        except TimeoutError:
            log.warning("job_cancelled_on_stop")
            self.shutdown(wait=False)  # cancels it
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down in the loop's next round
            return
        try:
            self.shutdown(wait=False)  # jobs waiting for the lock are cancelled
            await asyncio.sleep(0)
        finally:
            self.jobs_lock.release()


async def _run_job(
    job_id: str,
    job: JobFn,
    lock: asyncio.Lock,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    default_tz: ZoneInfo,
    rules: Rules | RuleBook,
    sched: Scheduler | None = None,
    *,
    leadership: Leadership | None = None,
) -> None:
    async with lock:
        if leadership is not None and not leadership.is_leader:
            return  # a stand-by (checked under the lock: leadership may go while waiting)
        try:
            current = await resolve(rules, sessions)
            if sched is not None:
                sched.retime(current)
            async with jobs.reporting_skips(sessions, clock, default_tz, current):
                queued = await job(sessions, clock, default_tz, current)
        except Exception:
            log.exception("job_failed", job=job_id)
            return
    if queued:
        log.info("job_done", job=job_id, queued=queued)


def build(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    default_tz: ZoneInfo,
    rules: Rules | RuleBook,
    tick_seconds: int,
    *,
    cron_jobs: list[CronJob] | None = None,
    leadership: Leadership | None = None,
) -> Scheduler:
    """The scheduler with `due-work` (first run at start) and the cron jobs; not started.

    Given a RuleBook, every run uses the rules in effect then, and cron jobs follow their times.
    With `leadership`, jobs run only while this process leads, and `due-work` runs at once
    when it takes over.
    """
    sched = Scheduler(timezone=default_tz)
    lock = sched.jobs_lock
    context = (sessions, clock, default_tz, rules)
    base = rules.base if isinstance(rules, RuleBook) else rules
    sched.add_job(
        _run_job,
        "interval",
        seconds=tick_seconds,
        args=("due-work", run_due, lock, *context),
        kwargs={"sched": sched, "leadership": leadership},
        id="due-work",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=tick_seconds,
        next_run_time=datetime.now(default_tz),
    )
    for cron in CRON_JOBS if cron_jobs is None else cron_jobs:
        fields = cron.when(base)
        sched.crons[cron.id] = (cron, fields)
        sched.add_job(
            _run_job,
            CronTrigger(timezone=default_tz, **fields),
            args=(cron.id, cron.run, lock, *context),
            kwargs={"leadership": leadership},
            id=cron.id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
    if leadership is not None:

        def took_over(leader: bool) -> None:
            if leader and sched.running:
                with contextlib.suppress(JobLookupError):
                    sched.modify_job("due-work", next_run_time=datetime.now(default_tz))

        leadership.on_change(took_over)
    return sched
