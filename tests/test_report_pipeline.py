"""/report's pipeline and conversion message against the rows: customers by stage and class,
the period's movements, conversion from first contact to won, average days per stage, churn and
new customers per rep against target.

The test seeds a November of its own on top of the demo company, then works every figure out
in Python from all the rows it reads back (the demo's customers, visits and stage history
included), by the definitions in crm/services/report_pipeline.py, and looks for them in the
report as Admin Wang (English, everyone) and 李经理 (Chinese, the east team: every customer here).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from bot.channels.console import plain
from bot.i18n import Renderer
from bot.types import TN, Raw, T, Text
from crm.models import Customer, CustomerChange, RepTarget, Staff, Visit
from crm.services import report_pipeline, targets
from crm.services.digest_scope import scope_of
from handlers.labels import STAGE
from tests.conftest import Transcript
from tests.helpers import staff as _staff
from tests.helpers import statements

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 1, tzinfo=SHANGHAI)
END = datetime(2026, 12, 1, tzinfo=SHANGHAI)
ORDER = ["lead", "contacted", "needs_confirmed", "proposal", "negotiation", "won", "repeat", "lost"]


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


async def _seed(app: App) -> None:
    rep1 = await _staff(app, "rep1")
    async with app.sessions() as s, s.begin():
        new = {
            name: Customer(name=name, customer_class=cls, owner_id=rep1.id, team="east",
                           created_by=rep1.id, created_at=at(11, 5), stage=stage)
            for name, cls, stage in (("新客甲", "B", "won"), ("新客乙", "C", "lost"),
                                     ("新客丙", "C", "lead"))
        }  # fmt: skip
        # Registered in September, never visited: past twice the class A cadence by now.
        new["冷落大客户"] = Customer(name="冷落大客户", customer_class="A", owner_id=rep1.id,
                                team="east", created_by=rep1.id, created_at=at(9, 1))  # fmt: skip
        s.add_all(new.values())
        await s.flush()
        a, b, c = new["新客甲"], new["新客乙"], new["新客丙"]
        s.add_all(
            Visit(customer_id=cust.id, staff_id=rep1.id, kind="onsite", visited_at=when)
            for cust, when in ((a, at(11, 6)), (b, at(11, 7)), (c, at(11, 8)))
        )
        changes = [
            (a, "lead", "contacted", at(11, 6, 12), None),
            (a, "contacted", "proposal", at(11, 10), None),
            (a, "proposal", "won", at(11, 14), Decimal(50000)),
            (b, "lead", "contacted", at(11, 7, 12), None),
            (b, "contacted", "lost", at(11, 12), None),
        ]
        old = await s.scalar(select(Customer).where(Customer.name == "华能电厂"))
        assert old is not None
        changes += [
            (old, "proposal", "negotiation", at(11, 3), None),
            (old, "negotiation", "proposal", at(11, 4), None),  # back: not an advance
        ]
        old.stage = "proposal"
        s.add_all(
            CustomerChange(customer_id=cust.id, field="stage", old_value=o, new_value=n,
                           amount=amount, changed_by=rep1.id, changed_at=when)
            for cust, o, n, when, amount in changes
        )  # fmt: skip
        s.add(RepTarget(staff_id=rep1.id, month="2026-11", new_customers=3))


async def _expected(app: App, now: datetime) -> list[Text]:
    """Every figure of the message, from all the rows, worked out here."""
    async with app.sessions() as s:
        customers = {c.id: c for c in await s.scalars(select(Customer))}
        visits = list(await s.scalars(select(Visit)))
        changes = list(
            await s.scalars(select(CustomerChange).where(CustomerChange.field == "stage"))
        )
        reps = list(await s.scalars(select(Staff).where(Staff.role == "sales")))
        goals = {t.staff_id: t.new_customers for t in await s.scalars(select(RepTarget))}
    rules = app.rules
    lines: list[Text] = []
    stock: dict[str, Counter[str]] = defaultdict(Counter)
    for c in customers.values():
        stock[c.stage][c.customer_class] += 1
    for stage, counts in stock.items():
        classes = " · ".join(f"{k} {n}" for k, n in sorted(counts.items()))
        lines.append(
            T(
                "• {stage}: {n} ({classes})",
                stage=STAGE[stage],
                n=sum(counts.values()),
                classes=Raw(classes),
            )  # fmt: skip
        )
    moves = {k: Counter[str]() for k in "ABC"}
    for c in customers.values():
        if START <= c.created_at < END:
            moves[c.customer_class]["new"] += 1
    in_period = [ch for ch in changes if START <= ch.changed_at < END]
    for ch in in_period:
        cls = customers[ch.customer_id].customer_class
        if ch.new_value in ("won", "lost"):
            moves[cls][ch.new_value] += 1
        elif ch.old_value is None or ORDER.index(ch.new_value) > ORDER.index(ch.old_value):
            moves[cls]["advanced"] += 1
    for cls, m in moves.items():
        lines.append(
            T("• Class {cls}: new {new} · advanced {advanced} · won {won} · lost {lost}",
              cls=cls, new=m["new"], advanced=m["advanced"], won=m["won"], lost=m["lost"])
        )  # fmt: skip
    first_seen: dict[int, datetime] = {}
    for v in visits:
        if v.customer_id not in first_seen or v.visited_at < first_seen[v.customer_id]:
            first_seen[v.customer_id] = v.visited_at
    cohort = {cid for cid, t in first_seen.items() if START <= t < END}
    won = {ch.customer_id for ch in changes if ch.new_value == "won" and ch.changed_at >= START}
    converted = len(cohort & won)
    lines.append(
        T(
            "Conversion from first contact to won: {won} of {n} ({pct}%)",
            won=converted,
            n=len(cohort),
            pct=round(converted * 100 / len(cohort)),
        )  # fmt: skip
    )
    spent: dict[str, list[float]] = defaultdict(list)
    for ch in in_period:
        if ch.old_value is None:
            continue
        earlier = [
            o.changed_at for o in changes if o.customer_id == ch.customer_id
            and (o.changed_at, o.id) < (ch.changed_at, ch.id)
        ]  # fmt: skip
        since = max(earlier) if earlier else customers[ch.customer_id].created_at
        spent[ch.old_value].append((ch.changed_at - since).total_seconds() / 86400)
    for stage, days in spent.items():
        lines.append(
            TN("• {stage}: {days} days ({n} change)", "• {stage}: {days} days ({n} changes)",
               len(days), stage=STAGE[stage], days=round(sum(days) / len(days), 1))
        )  # fmt: skip
    cadence = {"A": rules.cadence_days.A, "B": rules.cadence_days.B, "C": rules.cadence_days.C}
    last_visit: dict[int, datetime] = {}
    for v in visits:
        last_visit[v.customer_id] = max(v.visited_at, last_visit.get(v.customer_id, v.visited_at))
    drifting = Counter(
        c.customer_class
        for c in customers.values()
        if c.stage != "lost" and not c.blacklisted
        and last_visit.get(c.id, c.created_at) < now - timedelta(days=2 * cadence[c.customer_class])
    )  # fmt: skip
    lost = sum(m["lost"] for m in moves.values())
    lines += [
        T("<b>Churned: {n}</b>", n=lost + sum(drifting.values())),
        T("Lost in the period: {n}", n=lost),
        T("Past twice their visit cadence now: {n} ({classes})", n=sum(drifting.values()),
          classes=Raw(" · ".join(f"{k} {n}" for k, n in sorted(drifting.items())))),
    ]  # fmt: skip
    for rep in reps:
        n = sum(1 for c in customers.values() if c.created_by == rep.id
                and START <= c.created_at < END)  # fmt: skip
        goal = goals.get(rep.id)
        lines.append(
            T("• {name}: {n}", name=rep.name, n=n) if goal is None
            else T("• {name}: {n} (target {target} for {month})", name=rep.name, n=n,
                   target=goal, month="2026-11")
        )  # fmt: skip
    return lines


async def test_pipeline_figures_match_the_rows(app: App, chat: Transcript) -> None:
    await _seed(app)
    expected = await _expected(app, app.clock.now())
    out = await chat("/as admin", "/report 2026-11")
    en = Renderer("en", SHANGHAI)
    title = T("<b>Pipeline and conversion, {period}</b>", period=Raw("2026-11"))
    assert plain(en(title)) in out
    for text in expected:
        assert plain(en(text)) in out, plain(en(text))
    # The same figures for the manager, in Chinese.
    out = await chat("/as manager", "/report 2026-11")
    zh = Renderer("zh_CN", SHANGHAI)
    for text in expected:
        assert plain(zh(text)) in out, plain(zh(text))


async def test_pipeline_is_a_fixed_number_of_statements(app: App, chat: Transcript) -> None:
    """Aggregates in SQL: the statements do not grow with the rows (none per customer)."""
    await _seed(app)
    admin = await _staff(app, "admin")
    async with app.sessions() as s:
        scope = await scope_of(s, admin)
        with statements(app) as ran:
            p = await report_pipeline.pipeline(s, scope, START, END, app.clock.now(), app.rules, {})
    assert len(ran) == 7
    assert p.converted >= 1 and p.lost >= 1
    assert targets.previous_month("2027-01") == "2026-12"
