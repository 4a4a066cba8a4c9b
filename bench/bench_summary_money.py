"""Summary with deals: every manager's daily summary (bench/bench_summary.py's company and its
day: 1,000 reps in teams of 10, 100,000 customers, 50,000 visits today, follow-ups, requests,
stage changes, plans, 100,000 historical visits) with deals on top, first a tenth of them, then
all: 100,000 opportunities, their contracts and 200,000 instalments with their payments.

The deal history spans the two years before today: most past instalments are paid (a payment
each), a few are overdue and open; later ones are open and not yet due; some payments fall
today. The summary adds per manager: today's payments, what is overdue per rep and the oldest
overdue instalment (crm/services/deals/figures.summary).

Run: `.venv/bin/python bench/bench_summary_money.py [--quick]` (a tenth of all).
Timed three times: without deals (the same summaries as bench_summary's, as a baseline measured
on the same machine at the same moment), with a tenth of the deals, with all of them.
Targets: every summary built in at most 2 s with all the deals, and no more than 1.5 times the
CPU time of the run with a tenth of them (flat in history).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from _common import quick_flag, verdict
from bench_summary import FLAT_FACTOR, NOW, PASSES, TARGET_SECONDS, TEAM, Company

from bot.logging import setup as setup_logging
from bot.migrate import upgrade
from bot.settings import load
from crm.db import make_engine, make_sessionmaker
from crm.models import Contract, Instalment, Opportunity, Payment, Staff
from crm.money import ZERO
from crm.services import digest as svc
from crm.services.deals import figures
from crm.services.digest_scope import scope_of
from crm.services.plans import staff_tz

TODAY = NOW.date()
DEAL_DAYS = 730
# Instalments per contract: 200,000 instalments for 100,000 opportunities, one contract for
# each opportunity won (two thirds), three instalments a contract.
PER_CONTRACT = 3


class Deals:
    """Deals for the company's customers, added in slices (a seeded random, like Company)."""

    def __init__(self, company: Company) -> None:
        self.company = company
        self.rnd = company.rnd
        self.opportunities = 0
        self.instalments = 0
        self.payments = 0
        self.contracts = 0

    def add(self, opportunities: int) -> None:
        rnd, co = self.rnd, self.company.customer_owner
        opps: list[dict[str, Any]] = []
        for _ in range(opportunities):
            cid, owner = co[rnd.randrange(len(co))]
            created = NOW - timedelta(days=rnd.randint(1, DEAL_DAYS))
            won = rnd.random() < 2 / 3
            amount = Decimal(rnd.randint(1_000, 5_000_000)).scaleb(-2) * 100
            opps.append(
                dict(
                    customer_id=cid,
                    owner_id=owner,
                    title="变压器增容",
                    amount=amount,
                    expected_close=(created + timedelta(days=60)).date(),
                    stage="won" if won else rnd.choice(["proposal", "negotiation", "lost"]),
                    won_amount=amount if won else None,
                    closed_at=created + timedelta(days=30) if won else None,
                    created_at=created,
                    updated_at=created,
                )
            )
        first_id = self.opportunities + 1
        self.company._insert(Opportunity, opps)
        contracts, insts, pays = [], [], []
        for offset, o in enumerate(opps):
            if o["stage"] != "won":
                continue
            self.contracts += 1
            signed = o["closed_at"].date()
            contracts.append(
                dict(
                    id=self.contracts,
                    number=f"HT-{self.contracts:07d}",
                    opportunity_id=first_id + offset,
                    customer_id=o["customer_id"],
                    owner_id=o["owner_id"],
                    amount=o["won_amount"],
                    signed_on=signed,
                    starts_on=signed,
                    ends_on=signed + timedelta(days=365),
                    terms="instalments",
                    created_at=o["closed_at"],
                )
            )
            part = (o["won_amount"] / PER_CONTRACT).quantize(Decimal("0.01"))
            for seq in range(1, PER_CONTRACT + 1):
                amount = part if seq < PER_CONTRACT else o["won_amount"] - part * (PER_CONTRACT - 1)
                due = signed + timedelta(days=90 * seq)
                paid = due < TODAY and rnd.random() < 0.95
                insts.append(
                    dict(
                        contract_id=self.contracts,
                        customer_id=o["customer_id"],
                        owner_id=o["owner_id"],
                        seq=seq,
                        due_on=due,
                        amount=amount,
                        paid=amount if paid else Decimal("0.00"),
                        status="paid" if paid else "open",
                    )
                )
                if paid:
                    # Mostly paid on time; a few today (the summary's "payments today").
                    on = TODAY if rnd.random() < 0.002 else min(due, TODAY - timedelta(days=1))
                    pays.append(
                        dict(
                            contract_id=self.contracts,
                            customer_id=o["customer_id"],
                            owner_id=o["owner_id"],
                            amount=amount,
                            paid_on=on,
                            method="transfer",
                            recorded_at=NOW,
                        )
                    )
        self.company._insert(Contract, contracts)
        self.company._insert(Instalment, insts)
        self.company._insert(Payment, pays)
        self.opportunities += opportunities
        self.instalments += len(insts)
        self.payments += len(pays)
        with self.company.sync.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


async def summaries(url: str) -> tuple[list[float], list[float], int, int, Decimal, float]:
    """Every manager's summary, PASSES times (as bench_summary.summaries, without the charts):
    wall and CPU seconds per pass, how many, the payments today and the overdue amount counted,
    and the median CPU seconds of the money figures alone (crm/services/deals/figures.summary)
    for every manager: the part the deals add, measured apart from the noise of the rest."""
    settings, rules = load(database_url=url, _env_file=None)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    walls: list[float] = []
    cpus: list[float] = []
    built: list[svc.Digest] = []

    async def build(lead: Staff) -> svc.Digest:
        tz = staff_tz(lead, settings.tz)
        period = svc.period_of(svc.DAY, NOW.astimezone(tz).date(), tz)
        return await svc.build(session, lead, period, NOW, rules)

    async with sessions() as session:
        await build((await svc.recipients(session))[0])  # warm-up, as in the scheduler
        for _ in range(PASSES):
            session.expunge_all()
            built.clear()
            t0, c0 = time.perf_counter(), time.process_time()
            for lead in await svc.recipients(session):
                built.append(await build(lead))
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        money_cpus = []
        for _ in range(PASSES):
            c0 = time.process_time()
            for d in built:
                scope = await scope_of(session, d.lead)
                await figures.summary(session, scope, d.period, NOW)
            money_cpus.append(time.process_time() - c0)
    await engine.dispose()
    payments = sum(d.money.payments for d in built)
    overdue = sum((d.money.overdue for d in built), ZERO)
    # scope_of is part of the digest already: the money figures' own cost is the difference.
    return walls, cpus, len(built), payments, overdue, statistics.median(money_cpus)


def main(argv: list[str]) -> int:
    quick = quick_flag(argv)
    scale = 10 if quick else 1
    reps, customers = 1000 // scale, 100_000 // scale
    history = 100_000 // scale
    opportunities = 100_000 // scale
    setup_logging("WARNING", json=True)
    print(
        f"summary with deals: {reps} reps in teams of {TEAM}, {customers:,} customers, "
        f"{history:,} historical visits, deals {opportunities // 10:,} then {opportunities:,} "
        "opportunities (SQLite)"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'summary.db'}"
        upgrade(url)
        company = Company(url, reps, customers)
        company.people_and_customers()
        company.the_rest()
        company.history(history)
        deals = Deals(company)
        for target in (0, opportunities // 10, opportunities):
            t0 = time.perf_counter()
            deals.add(target - deals.opportunities)
            generated = time.perf_counter() - t0
            walls, cpus, n, paid_today, overdue, money_cpu = asyncio.run(summaries(url))
            build_s, cpu_s = statistics.median(walls), statistics.median(cpus)
            results.append((build_s, cpu_s))
            print(
                f"  {deals.opportunities:>7,} opportunities, {deals.contracts:,} contracts, "
                f"{deals.instalments:,} instalments, {deals.payments:,} payments: {n} summaries "
                f"built in {build_s:5.2f} s (CPU {cpu_s:5.2f} s; median of {PASSES}, "
                f"{min(walls):.2f}–{max(walls):.2f} s) ({build_s / n * 1000:.0f} ms each; "
                f"{paid_today} payments today, {overdue:,} overdue counted; money figures alone "
                f"{money_cpu:.3f} s CPU, scope included) "
                f"[deals generated in {generated:.0f} s]",
                flush=True,
            )
        company.sync.dispose()
    (_none, none_cpu), (_small, small_cpu), (big, big_cpu) = results
    print(
        f"the deals' own cost: {big_cpu - none_cpu:+.2f} s CPU over the summaries without deals "
        f"({(big_cpu - none_cpu) / max(1, n) * 1000:+.1f} ms a manager)"
    )
    print("targets:")
    verdict(big <= TARGET_SECONDS, f"every summary built in {big:.2f} s (≤ {TARGET_SECONDS:g} s)")
    verdict(
        big_cpu <= FLAT_FACTOR * small_cpu,
        f"10× the deals cost {big_cpu / small_cpu:.2f}× the CPU time (≤ {FLAT_FACTOR:g}×: flat)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
