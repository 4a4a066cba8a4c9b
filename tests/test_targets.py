"""Monthly targets through the console: a manager sets them in chat (one rep, all reps, copy last
month), refusals, and the completion a rep sees in /plan and a manager in /report, the summary
and the ranking (/board, the leaderboard's buttons).

Every completion expected here is counted by the test from the rows it reads back (visits by
class, customers registered, opportunities won, payments), then rendered with the bot's own
neutral texts in the reader's language: 李经理 and 张伟 read Chinese, Admin Wang and Lucy English.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from bot.channels.console import plain
from bot.i18n import Renderer
from bot.types import T, Text
from bot.views import targets as view
from crm.models import (
    Contract,
    Customer,
    Opportunity,
    Payment,
    RepTarget,
    Staff,
    Visit,
    VisitPlan,
)
from crm.services import targets as svc
from tests.conftest import Transcript
from tests.helpers import press as _press
from tests.helpers import staff as _staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ZH = Renderer("zh_CN", SHANGHAI)
_EN = Renderer("en", SHANGHAI)
DEC = "2026-12"
DEC_START = datetime(2026, 12, 1, tzinfo=SHANGHAI)


def zh(text: Text) -> str:
    return plain(_ZH(text))


def en(text: Text) -> str:
    return plain(_EN(text))


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=SHANGHAI)


async def _targets(app: App, staff_id: int, month: str) -> tuple[dict[str, int], RepTarget | None]:
    async with app.sessions() as s:
        plan = {
            p.customer_class: p.target
            for p in await s.scalars(
                select(VisitPlan).where(VisitPlan.staff_id == staff_id, VisitPlan.month == month)
            )
        }
        row = await s.scalar(
            select(RepTarget).where(RepTarget.staff_id == staff_id, RepTarget.month == month)
        )
        return plan, row


async def _seed_december(app: App, rep: Staff) -> None:
    """Two customers registered, two visits to class A customers, a deal won and a payment."""
    async with app.sessions() as s, s.begin():
        new = [
            Customer(name=f"十二月新客{i}", customer_class="C", owner_id=rep.id, team="east",
                     created_by=rep.id, created_at=at(1, 10 + i))
            for i in range(2)
        ]  # fmt: skip
        s.add_all(new)
        await s.flush()
        key = await s.scalar(
            select(Customer).where(Customer.customer_class == "A", Customer.owner_id == rep.id)
        )
        assert key is not None
        s.add_all(
            Visit(customer_id=key.id, staff_id=rep.id, kind="onsite", visited_at=at(1, 9 + h))
            for h in (1, 2)
        )
        opp = Opportunity(customer_id=key.id, owner_id=rep.id, title="增容", amount=Decimal(150000),
                          stage="won", won_amount=Decimal(120000), closed_at=at(1, 11))  # fmt: skip
        s.add(opp)
        contract = Contract(number="HT-TGT-1", customer_id=key.id, owner_id=rep.id,
                            amount=Decimal(120000), signed_on=date(2026, 12, 1),
                            starts_on=date(2026, 12, 1), ends_on=date(2027, 11, 30),
                            terms="once")  # fmt: skip
        s.add(contract)
        await s.flush()
        s.add(Payment(contract_id=contract.id, customer_id=key.id, owner_id=rep.id,
                      amount=Decimal(30000), paid_on=date(2026, 12, 1),
                      method="transfer"))  # fmt: skip


async def _expected(app: App, rep: Staff, now: datetime) -> dict[str, svc.Metric]:
    """The rep's December so far, counted here from the rows, against the targets in the DB."""
    plan, row = await _targets(app, rep.id, DEC)
    async with app.sessions() as s:
        visits = (
            await s.execute(
                select(Visit, Customer).join(Customer, Customer.id == Visit.customer_id)
            )
        ).all()
        by_class: dict[str, int] = {}
        for v, c in visits:
            if v.staff_id == rep.id and DEC_START <= v.visited_at < now:
                by_class[c.customer_class] = by_class.get(c.customer_class, 0) + 1
        new = [
            c
            for c in await s.scalars(select(Customer))
            if c.created_by == rep.id and DEC_START <= c.created_at < now
        ]
        won = sum(
            (o.won_amount or Decimal(0)
             for o in await s.scalars(select(Opportunity))
             if o.owner_id == rep.id and o.stage == "won" and o.closed_at
             and DEC_START <= o.closed_at < now),
            Decimal(0),
        )  # fmt: skip
        paid = sum(
            (p.amount for p in await s.scalars(select(Payment))
             if p.owner_id == rep.id and date(2026, 12, 1) <= p.paid_on <= now.date()),
            Decimal(0),
        )  # fmt: skip
    capped = sum(min(by_class.get(c, 0), t) for c, t in plan.items())
    assert row is not None
    return {
        svc.VISITS: svc.Metric(Decimal(capped), Decimal(sum(plan.values()))),
        svc.NEW: svc.Metric(Decimal(len(new)), Decimal(row.new_customers or 0)),
        svc.WON_AMOUNT: svc.Metric(won, row.won_amount),
        svc.COLLECTED: svc.Metric(paid, row.collected_amount),
    }


async def test_manager_sets_a_reps_targets_and_everyone_sees_completion(
    app: App, chat: Transcript
) -> None:
    rep1 = await _staff(app, "rep1")
    out = await chat("/as manager", "/targets")
    assert "张伟" in out and "Lucy Chen" in out
    await chat("[张伟]")
    out = await chat(f"[{DEC}]")
    assert "A4 B6 C10" in out  # the example
    # Bad figures are refused and change nothing.
    out = await chat("A4 新客户-1")
    assert zh(T_NEGATIVE) in out
    assert await _targets(app, rep1.id, DEC) == ({}, None)
    out = await chat("A4 B6 C10 新客户3 成交50万 回款30万")
    plan, row = await _targets(app, rep1.id, DEC)
    assert plan == {"A": 4, "B": 6, "C": 10}
    assert row is not None and row.new_customers == 3
    assert (row.won_amount, row.collected_amount) == (Decimal(500000), Decimal(300000))
    # The rep is told.
    assert "[to rep1] 🎯" in out

    await _seed_december(app, rep1)
    await chat("@clock 2026-12-01T12:00")
    now = app.clock.now()
    expected = await _expected(app, rep1, now)
    assert expected[svc.NEW].percent == 66 and expected[svc.WON_AMOUNT].percent == 24
    # /plan: the rep's own completion.
    out = await chat("/as rep1", "/plan")
    for metric, m in expected.items():
        assert zh(view.metric_text(metric, m, "CNY")) in out, metric
    # Lucy has no targets: she sees none of 张伟's.
    out = await chat("/as rep2", "/plan")
    assert en(view.metric_text(svc.NEW, expected[svc.NEW], "CNY")) not in out
    assert "No targets are set for 2026-12 yet." in out

    # The manager's /plan, /report and /summary carry the completion line.
    line = zh(view.figures_text(_completion(rep1, expected), "CNY"))
    for command in ("/plan", "/report today", "/summary"):
        out = await chat("/as manager", command)
        assert line in out, command

    # The ranking by new customers: 张伟 first, Lucy without a target after him.
    out = await chat("/board 新客户")
    first = out.index("1. 张伟")
    assert first < out.index("2. Lucy Chen")
    # The buttons rank by another target (the message is edited).
    out = await chat("[3]")
    name = view.NAMES[svc.WON_AMOUNT]
    title = T("<b>Ranking by {name} target, {month}</b>", name=name, month=DEC)
    assert zh(title) in out
    won = view.metric_text(svc.WON_AMOUNT, expected[svc.WON_AMOUNT], "CNY")
    assert zh(T("{rank}. {name}: {figure}", rank=1, name="张伟", figure=won)) in out


T_NEGATIVE = __import__("handlers.targets", fromlist=["PROBLEMS"]).PROBLEMS["negative"]


def _completion(rep: Staff, metrics: dict[str, svc.Metric]) -> svc.Completion:
    targets = svc.Targets(visits={"A": 4}, new=1)  # only "not empty" matters to the view
    return svc.Completion(rep, DEC, targets, metrics)


async def test_copy_last_month_for_all_reps_and_reps_cannot_set(app: App, chat: Transcript) -> None:
    rep1, rep2, manager = [await _staff(app, h) for h in ("rep1", "rep2", "manager")]
    async with app.sessions() as s, s.begin():
        s.add(VisitPlan(staff_id=rep2.id, month="2026-11", customer_class="B", target=8))
        s.add(RepTarget(staff_id=rep2.id, month="2026-11", new_customers=4,
                        won_amount=Decimal(80000), set_by=manager.id))  # fmt: skip
    await chat("/as manager", "/targets", "[👥]", f"[{DEC}]")
    out = await chat("[2026-11]")
    plan, row = await _targets(app, rep2.id, DEC)
    assert plan == {"B": 8}
    assert row is not None and (row.new_customers, row.won_amount) == (4, Decimal(80000))
    assert row.collected_amount is None
    # 张伟 had no November targets: nothing copied for him.
    assert await _targets(app, rep1.id, DEC) == ({}, None)
    assert "Lucy Chen" in out

    # The leaderboard offers the same ranking by a target.
    await chat("/as manager", "/summary", "[🏆]")
    out = await chat(f"[🎯 {zh(view.NAMES[svc.NEW])}]")
    title = T("<b>Ranking by {name} target, {month}</b>", name=view.NAMES[svc.NEW], month=DEC)
    assert zh(title) in out
    lucy = view.metric_text(svc.NEW, svc.Metric(Decimal(0), Decimal(4)), "CNY")
    assert zh(T("{rank}. {name}: {figure}", rank=1, name="Lucy Chen", figure=lucy)) in out
    # A forged press of the manager's ranking button by a rep shows nothing.
    out = await _press(chat, app, "rep1", f"tgb:{manager.id}:new{DEC}")
    assert "Lucy Chen" not in out and "张伟" not in out

    # A rep cannot set targets nor rank the team.
    out = await chat("/as rep1", "/targets")
    assert "2026-12" not in out and "A4 B6 C10" not in out
    out = await chat("/board")
    assert "1. " not in out


async def test_admin_sets_targets_in_english(app: App, chat: Transcript) -> None:
    rep2 = await _staff(app, "rep2")
    await chat("/as admin", "/targets", "[Lucy Chen]", f"[{DEC}]")
    out = await chat("new 5 won 20000 collected 1w")
    _plan, row = await _targets(app, rep2.id, DEC)
    assert row is not None
    assert (row.new_customers, row.won_amount, row.collected_amount) == (
        5,
        Decimal(20000),
        Decimal(10000),
    )
    assert "Saved: targets for 2026-12" in out
    # A figure left out keeps its value; 0 clears it.
    await chat("/targets", "[Lucy Chen]", f"[{DEC}]", "won 0")
    _plan, row = await _targets(app, rep2.id, DEC)
    assert row is not None and (row.new_customers, row.won_amount) == (5, None)
    out = await chat("/board new")
    assert "Ranking by new customers target, 2026-12" in out
    assert "Lucy Chen: new customers 0/5 (0%)" in out
