"""Summary: the time to build every manager's daily summary for a big company, and again with a
tenth of the visit history (it should not grow with history).

The company: 1,000 reps in 100 teams of 10, each team with its manager; 100,000 customers
(100 a rep); 1,000,000 historical visits over the two years before today and 50,000 today;
plus follow-ups (open, overdue, done today), service requests (some late, some rated),
stage changes and monthly visit plans, which stay the same in both runs. Generated in bulk
(SQLAlchemy Core executemany on a synchronous SQLite connection; the history with
sqlite3's executemany), first with 100,000
historical visits, timed, then topped up to 1,000,000 and timed again.

Timed: the scheduler's path for the 18:00 summaries (scheduler/digest_jobs.py) without
queueing or sending: who gets one (`digest.recipients`), each one's figures (`digest.build`),
and separately the text, buttons and PNG chart of ten of them (`bot.views.digest.summary`),
per summary. One summary is built first, unmeasured (the scheduler is a long-running process);
then all of them, three times over, and the median pass is reported with the range.

Run: `make bench`, or `.venv/bin/python bench/bench_summary.py [--quick]` (a tenth of all).
Targets: building every summary in at most 2 s (wall clock), and no more than 1.5 times the CPU
time with ten times the history (flat, allowing for noise; CPU time, as the wall clock of a
shared machine says more about the neighbours).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import quick_flag, verdict
from sqlalchemy import create_engine, insert
from sqlalchemy.schema import CreateIndex

from bot.i18n import Renderer
from bot.logging import setup as setup_logging
from bot.migrate import upgrade
from bot.settings import load
from bot.views import digest as view
from crm.db import make_engine, make_sessionmaker
from crm.models import (
    Customer,
    CustomerChange,
    FollowUp,
    Staff,
    Ticket,
    Visit,
    VisitPlan,
)
from crm.services import digest as svc
from crm.services.plans import staff_tz

TEAM = 10
# The summary's moment: 18:00 in Shanghai on the demo's day.
NOW = datetime.fromisoformat("2026-12-01T18:00:00+08:00")
TODAY_START = datetime.fromisoformat("2026-12-01T00:00:00+08:00")
HISTORY_DAYS = 730
CHUNK = 20_000
TARGET_SECONDS = 2.0
FLAT_FACTOR = 1.5
CHART_SAMPLE = 10
# Every summary is built this many times over (a fresh session each pass, like the scheduler's
# passes); the median is reported, as one pass on a shared machine can be a third slower.
PASSES = 3


def _chunks(rows: list[dict[str, Any]]) -> Any:
    for i in range(0, len(rows), CHUNK):
        yield rows[i : i + CHUNK]


class Company:
    """Bulk generation, deterministic (a seeded random)."""

    def __init__(self, url: str, reps: int, customers: int) -> None:
        self.sync = create_engine(url.replace("+aiosqlite", ""))
        self.path = url.split(":///", 1)[1]
        self.reps_n = reps
        self.customers_n = customers
        self.rnd = random.Random(8)
        self.rep_ids: list[int] = []
        self.customer_owner: list[tuple[int, int]] = []  # (customer id, owner id)
        self.visits = 0

    def _insert(self, model: Any, rows: list[dict[str, Any]]) -> None:
        with self.sync.begin() as conn:
            for chunk in _chunks(rows):
                conn.execute(insert(model), chunk)

    def people_and_customers(self) -> None:
        created = NOW - timedelta(days=800)
        teams = self.reps_n // TEAM
        managers = [
            dict(
                handle=f"mgr{t}",
                tg_user_id=10_000 + t,
                name=f"经理{t}",
                role="manager",
                team=f"team{t}",
                locale="zh_CN",
                timezone="Asia/Shanghai",
                active=True,
                created_at=created,
            )
            for t in range(teams)
        ]
        self._insert(Staff, managers)
        with self.sync.connect() as conn:
            mgr = dict(
                conn.execute(Staff.__table__.select().with_only_columns(Staff.team, Staff.id)).all()
            )
        reps = [
            dict(
                handle=f"rep{k}",
                tg_user_id=20_000 + k,
                name=f"代表{k:04d}",
                role="sales",
                team=f"team{k // TEAM}",
                manager_id=mgr[f"team{k // TEAM}"],
                locale="zh_CN",
                timezone="Asia/Shanghai",
                active=True,
                created_at=created,
            )
            for k in range(self.reps_n)
        ]
        self._insert(Staff, reps)
        with self.sync.connect() as conn:
            rows = conn.execute(
                Staff.__table__.select()
                .with_only_columns(Staff.id, Staff.team)
                .where(Staff.role == "sales")
                .order_by(Staff.id)
            ).all()
        self.rep_ids = [r[0] for r in rows]
        team_of = {r[0]: r[1] for r in rows}
        per_rep = self.customers_n // self.reps_n
        rnd = self.rnd
        customers = []
        for k in range(self.customers_n):
            owner = self.rep_ids[k // per_rep % self.reps_n]
            cls = "A" if k % 10 == 0 else "B" if k % 3 == 0 else "C"
            stage = ("lead", "contacted", "proposal", "negotiation", "won", "repeat")[k % 6]
            customers.append(
                dict(
                    name=f"客户{k:06d}",
                    name_search="",
                    customer_class=cls,
                    stage=stage,
                    relationship="new",
                    owner_id=owner,
                    team=team_of[owner],
                    # Some claims lapse within the warning period.
                    claim_expires_at=NOW + timedelta(days=rnd.randint(1, 90))
                    if stage in ("lead", "contacted")
                    else None,
                    tags=[],
                    annual_value=rnd.randint(0, 500) * 1000,
                    created_by=owner,
                    # A few registered today.
                    created_at=NOW - timedelta(hours=3)
                    if k % 500 == 0
                    else NOW - timedelta(days=rnd.randint(1, 790)),
                    updated_at=NOW - timedelta(days=1),
                )
            )
        self._insert(Customer, customers)
        with self.sync.connect() as conn:
            self.customer_owner = [
                (r[0], r[1])
                for r in conn.execute(
                    Customer.__table__.select().with_only_columns(Customer.id, Customer.owner_id)
                ).all()
            ]

    def the_rest(self) -> None:
        """Today's visits, follow-ups, requests, stage changes and plans: the same in both runs."""
        rnd = self.rnd
        co = self.customer_owner
        today = [
            self._visit(
                *co[rnd.randrange(len(co))], TODAY_START + timedelta(minutes=rnd.randint(480, 1070))
            )
            for _ in range(self.reps_n * 50)
        ]
        self._insert(Visit, today)
        followups = []
        for i, (cid, owner) in enumerate(co[::2]):
            done = i % 3 == 0
            followups.append(
                dict(
                    customer_id=cid,
                    staff_id=owner,
                    note="跟进报价",
                    due_at=NOW + timedelta(hours=rnd.randint(-200, 200)),
                    status="done" if done else "open",
                    done_at=NOW - timedelta(hours=rnd.randint(1, 400)) if done else None,
                    created_at=NOW - timedelta(days=20),
                )
            )
        self._insert(FollowUp, followups)
        tickets = []
        for i, (cid, owner) in enumerate(co[::10]):
            created = NOW - timedelta(hours=rnd.randint(1, 24 * 60))
            resolved = created + timedelta(hours=rnd.randint(1, 72)) if i % 2 else None
            tickets.append(
                dict(
                    number=f"T-B-{i:07d}",
                    customer_id=cid,
                    kind="fault",
                    status="resolved" if resolved else "new",
                    owner_id=owner,
                    text="停电",
                    created_at=created,
                    first_response_due=created + timedelta(hours=2),
                    resolution_due=created + timedelta(hours=48),
                    resolved_at=resolved,
                    rating=rnd.randint(1, 5) if resolved and i % 4 == 1 else None,
                    rated_at=resolved if resolved and i % 4 == 1 else None,
                )
            )
        self._insert(Ticket, tickets)
        changes = [
            dict(
                customer_id=cid,
                field="stage",
                old_value="proposal",
                new_value=("won", "lost", "negotiation")[i % 3],
                amount=10000 if i % 3 < 2 else None,
                changed_by=owner,
                changed_at=NOW - timedelta(hours=rnd.randint(1, 24 * 365)),
            )
            for i, (cid, owner) in enumerate(co[::5])
        ]
        self._insert(CustomerChange, changes)
        plans = [
            dict(
                staff_id=rep,
                month="2026-12",
                customer_class=cls,
                target=target,
                updated_at=NOW - timedelta(days=1),
            )
            for rep in self.rep_ids
            for cls, target in (("A", 20), ("B", 40), ("C", 60))
        ]
        self._insert(VisitPlan, plans)

    def _visit(self, cid: int, owner: int, at: datetime) -> dict[str, Any]:
        self.visits += 1
        return dict(
            customer_id=cid,
            staff_id=owner,
            kind="onsite",
            outcome="谈报价",
            visited_at=at,
            far_from_address=False,
            photo_ids=[],
            created_at=at,
        )

    def history(self, n: int) -> None:
        """`n` more visits before today, over the two years before it.

        Straight through sqlite3 with tuples (timestamps in SQLAlchemy's SQLite format, naive
        UTC, as UTCDateTime stores them): a million rows in seconds rather than minutes.
        """
        rnd = self.rnd
        co = self.customer_owner
        base = TODAY_START.astimezone(UTC).replace(tzinfo=None)
        sql = (
            "INSERT INTO visit (customer_id, staff_id, kind, outcome, visited_at, "
            "far_from_address, photo_ids, created_at) VALUES (?, ?, 'onsite', '谈报价', ?, 0, "
            "'[]', ?)"
        )
        raw = sqlite3.connect(self.path, isolation_level=None)
        raw.execute("PRAGMA synchronous=OFF")  # generated data: no need to survive a crash
        # Filling the table with its indexes dropped and building them afterwards (as a bulk
        # load does) is several times faster than keeping three indexes up row by row.
        for ix in Visit.__table__.indexes:
            raw.execute(f"DROP INDEX {ix.name}")
        for start in range(0, n, 100_000):
            rows = []
            for _ in range(min(100_000, n - start)):
                cid, owner = co[rnd.randrange(len(co))]
                at = base - timedelta(seconds=rnd.randint(1, HISTORY_DAYS * 86400))
                stamp = at.strftime("%Y-%m-%d %H:%M:%S.%f")
                rows.append((cid, owner, stamp, stamp))
            raw.execute("BEGIN")
            raw.executemany(sql, rows)
            raw.execute("COMMIT")
            self.visits += len(rows)
        for ix in Visit.__table__.indexes:
            raw.execute(str(CreateIndex(ix).compile(dialect=self.sync.dialect)))
        raw.execute("ANALYZE")
        raw.close()


async def summaries(url: str) -> tuple[list[float], list[float], float, int, int]:
    """(seconds building every manager's figures, and the CPU seconds of it, in each of `PASSES`
    passes; seconds rendering one with its chart; how many; visits counted)."""
    settings, rules = load(database_url=url, _env_file=None)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    built: list[tuple[Staff, svc.Period, svc.Digest]] = []
    walls: list[float] = []
    cpus: list[float] = []

    async def build(lead: Staff) -> tuple[Staff, svc.Period, svc.Digest]:
        tz = staff_tz(lead, settings.tz)
        period = svc.period_of(svc.DAY, NOW.astimezone(tz).date(), tz)
        return lead, period, await svc.build(session, lead, period, NOW, rules)

    async with sessions() as session:
        # Warm-up, as in the long-running scheduler: the holiday calendar (loaded once a
        # process), SQLAlchemy's statement cache, the connection.
        await build((await svc.recipients(session))[0])
        for _ in range(PASSES):
            session.expunge_all()
            built.clear()
            t0, c0 = time.perf_counter(), time.process_time()
            for lead in await svc.recipients(session):
                built.append(await build(lead))
            walls.append(time.perf_counter() - t0)
            # CPU time too (this process, SQLite's thread included): on a shared machine it is
            # less noisy than the wall clock.
            cpus.append(time.process_time() - c0)
    # The text and chart of a sample: they do not depend on the history, and matplotlib takes
    # long enough that all of them would dominate the run.
    t1 = time.perf_counter()
    for lead, period, d in built[:CHART_SAMPLE]:
        reply = view.summary(d, Renderer(lead.locale, period.tz), late=False)
        assert reply.photo
    render_s = (time.perf_counter() - t1) / min(CHART_SAMPLE, len(built))
    await engine.dispose()
    return walls, cpus, render_s, len(built), sum(d.visits for _l, _p, d in built)


def main(argv: list[str]) -> int:
    quick = quick_flag(argv)
    scale = 10 if quick else 1
    reps, customers = 1000 // scale, 100_000 // scale
    history, today = 1_000_000 // scale, 50_000 // scale
    setup_logging("WARNING", json=True)
    print(
        f"summary: {reps} reps in teams of {TEAM}, {customers:,} customers, "
        f"{today:,} visits today, history {history // 10:,} then {history:,} visits (SQLite)"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'summary.db'}"
        upgrade(url)
        company = Company(url, reps, customers)
        t0 = time.perf_counter()
        company.people_and_customers()
        company.the_rest()
        for target in (history // 10, history):
            company.history(target - (company.visits - today))
            generated = time.perf_counter() - t0
            walls, cpus, render_s, n, counted = asyncio.run(summaries(url))
            build_s, cpu_s = statistics.median(walls), statistics.median(cpus)
            results.append((build_s, cpu_s))
            print(
                f"  history {target:>9,}: {n} summaries built in {build_s:5.2f} s "
                f"(CPU {cpu_s:5.2f} s; median of {PASSES}, {min(walls):.2f}–{max(walls):.2f} s) "
                f"({build_s / n * 1000:.0f} ms each; {counted:,} visits today counted), "
                f"text + chart {render_s:.2f} s each  [data generated in {generated:.0f} s]",
                flush=True,
            )
            t0 = time.perf_counter()
        company.sync.dispose()
    (_small, small_cpu), (big, big_cpu) = results
    print("targets:")
    verdict(big <= TARGET_SECONDS, f"every summary built in {big:.2f} s (≤ {TARGET_SECONDS:g} s)")
    verdict(
        big_cpu <= FLAT_FACTOR * small_cpu,
        f"10× the history costs {big_cpu / small_cpu:.2f}× the CPU time (≤ {FLAT_FACTOR:g}×: flat)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
