"""/report on a big company: a manager's whole report of last month (the summary's figures with
the targets' completion, complaints, lifecycle, money, and the pipeline and conversion figures
of crm/services/report_pipeline.py), and the pipeline figures alone for an admin (everyone).

The company is bench_summary.py's (1,000 reps in teams of 10, 100,000 customers, 1,000,000
historical visits, stage changes, requests, plans), plus a month's targets for every rep.
Timed: ten managers' reports of November and the admin's pipeline figures, each after one
unmeasured warm-up; the median of three passes is reported.

Run: `.venv/bin/python bench/bench_report_pipeline.py [--quick]` (a tenth of all).
Targets: a manager's report in at most 1 s, the admin's pipeline over every customer in at
most 3 s (wall clock, SQLite).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from _common import quick_flag, verdict
from bench_summary import NOW, Company
from sqlalchemy import insert, select

from bot.logging import setup as setup_logging
from bot.migrate import upgrade
from bot.settings import load
from crm.db import make_engine, make_sessionmaker
from crm.models import RepTarget, Staff
from crm.services import digest, report, report_pipeline, targets
from crm.services.digest_periods import MONTH, Period

TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period(MONTH, date(2026, 11, 1), date(2026, 12, 1), TZ)
MANAGERS = 10
PASSES = 3
REPORT_TARGET = 1.0
PIPELINE_TARGET = 3.0


def set_targets(company: Company) -> None:
    rows = [
        dict(staff_id=rep, month="2026-11", new_customers=3, won_amount=500_000,
             collected_amount=300_000, updated_at=NOW)
        for rep in company.rep_ids
    ]  # fmt: skip
    with company.sync.begin() as conn:
        conn.execute(insert(RepTarget), rows)


async def timed(url: str) -> tuple[list[float], list[float], list[float], list[float]]:
    _settings, rules = load(database_url=url, _env_file=None)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    reports: list[float] = []
    pipelines: list[float] = []
    # The pipeline's share of a manager's report.
    shares: list[float] = []
    # What the targets' completion adds to every manager's daily summary (all of them).
    summaries: list[float] = []
    async with sessions() as session:
        leads = (await digest.recipients(session))[:MANAGERS]
        admin = Staff(id=0, handle="admin", name="Admin", role="admin", team=None)
        scope = digest.Scope(admin, list(await session.scalars(select(Staff))))
        await report.build(session, leads[0], NOVEMBER, NOW, rules)  # warm-up
        for _ in range(PASSES):
            session.expunge_all()
            t0 = time.perf_counter()
            for lead in leads:
                await report.build(session, lead, NOVEMBER, NOW, rules)
            reports.append((time.perf_counter() - t0) / len(leads))
            t0 = time.perf_counter()
            for lead in leads:
                team = await digest.scope_of(session, lead)
                await report_pipeline.pipeline(
                    session, team, NOVEMBER.start, NOVEMBER.end, NOW, rules, {}
                )
            shares.append((time.perf_counter() - t0) / len(leads))
            t0 = time.perf_counter()
            for lead in await digest.recipients(session):
                team = await digest.scope_of(session, lead)
                await targets.completion(session, team.reps, "2026-12", TZ, NOW)
            summaries.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await report_pipeline.pipeline(
                session, scope, NOVEMBER.start, NOVEMBER.end, NOW, rules, {}
            )
            pipelines.append(time.perf_counter() - t0)
    await engine.dispose()
    return reports, pipelines, shares, summaries


def main(argv: list[str]) -> int:
    quick = quick_flag(argv)
    scale = 10 if quick else 1
    reps, customers, history = 1000 // scale, 100_000 // scale, 1_000_000 // scale
    setup_logging("WARNING", json=True)
    print(f"report: {reps} reps, {customers:,} customers, {history:,} visits of history (SQLite)")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'report.db'}"
        upgrade(url)
        company = Company(url, reps, customers)
        t0 = time.perf_counter()
        company.people_and_customers()
        company.the_rest()
        company.history(history)
        set_targets(company)
        print(f"  data generated in {time.perf_counter() - t0:.0f} s", flush=True)
        reports, pipelines, shares, summaries = asyncio.run(timed(url))
        company.sync.dispose()
    one, whole = statistics.median(reports), statistics.median(pipelines)
    print(
        f"  a manager's report of {NOVEMBER.first:%Y-%m}: {one:.2f} s "
        f"(median of {PASSES}, {min(reports):.2f}–{max(reports):.2f} s), of which the "
        f"pipeline figures {statistics.median(shares):.2f} s\n"
        f"  the admin's pipeline over every customer: {whole:.2f} s "
        f"({min(pipelines):.2f}–{max(pipelines):.2f} s)\n"
        f"  the targets' completion in every manager's summary (scope included): "
        f"{statistics.median(summaries):.2f} s  [{datetime.now():%H:%M}]"
    )
    print("targets:")
    verdict(one <= REPORT_TARGET, f"a manager's report in {one:.2f} s (≤ {REPORT_TARGET:g} s)")
    verdict(
        whole <= PIPELINE_TARGET, f"the admin's pipeline in {whole:.2f} s (≤ {PIPELINE_TARGET:g} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
