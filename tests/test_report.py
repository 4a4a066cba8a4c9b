"""/report through the console: periods by button and typed, the figures of the summary with plan
completion, the complaint analysis and the lifecycle, the chart, scope and refusals.

Every figure expected here is worked out from the rows the test seeds (or reads back from the
database), then rendered with the same neutral texts the bot renders, in the reader's language:
李经理 reads Chinese, Admin Wang English.
"""

from __future__ import annotations

import io
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from matplotlib.text import Text as MplText
from PIL import Image
from sqlalchemy import func, select, update

from bot import charts, commands_menu
from bot.app import App
from bot.channels.console import plain
from bot.i18n import Renderer
from bot.types import TN, Money, Outgoing, Raw, T, Text
from bot.views import report as view
from crm.enums import Role
from crm.models import (
    AuditLog,
    ConversationState,
    Customer,
    CustomerChange,
    OutboxMessage,
    Staff,
    Ticket,
    Visit,
    VisitPlan,
)
from crm.services import agenda
from handlers import build_router
from handlers import report as flow
from handlers.labels import LOST_REASON, TICKET_KIND
from tests.conftest import Transcript
from tests.helpers import press as _press
from tests.helpers import staff as _staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ZH = Renderer("zh_CN", SHANGHAI)
_EN = Renderer("en", SHANGHAI)
NOV_1, NOV_15 = date(2026, 11, 1), date(2026, 11, 15)
START = datetime(2026, 11, 1, tzinfo=SHANGHAI)
END = datetime(2026, 11, 16, tzinfo=SHANGHAI)  # the day after the 15th
RANGE = "2026-11-01..2026-11-15"


def zh(text: Text) -> str:
    return plain(_ZH(text))


def en(text: Text) -> str:
    return plain(_EN(text))


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Req:
    """A request the test seeds, with its whole history."""

    customer: str
    kind: str
    category: str
    created: datetime
    first_due: datetime
    first_at: datetime | None
    resolve_due: datetime
    resolved_at: datetime | None = None
    rating: int | None = None


# The east team's requests in the first half of November (owners: 张伟 rep1, Lucy Chen rep2).
EAST = [
    # Answered in 30 min, resolved on its deadline (not late): no breach.
    Req("华能电厂", "complaint", "service", at(11, 2, 10), at(11, 2, 11), at(11, 2, 10, 30),
        at(11, 3, 10), at(11, 3, 10), 5),
    # Answered an hour late and resolved four hours late: one request past its limits.
    Req("Acme Logistics", "complaint", "quality", at(11, 5, 9), at(11, 5, 10), at(11, 5, 11),
        at(11, 6, 9), at(11, 6, 13), 2),
    # Answered in 10 min; its resolution is due after the period.
    Req("明珠酒店", "inquiry", "billing", at(11, 10, 9), at(11, 10, 9, 30), at(11, 10, 9, 10),
        at(11, 20, 9)),
    # Received in the period, answered after it: counted as received only.
    Req("Sunrise Foods", "fault", "outage", at(11, 15, 22), at(11, 16, 10), at(11, 16, 10, 5),
        at(11, 17, 10)),
]  # fmt: skip
# A request of another team's customer, the same fortnight.
WEST = Req("西部机械厂", "complaint", "safety", at(11, 6, 9), at(11, 6, 10), at(11, 6, 9, 15),
           at(11, 7, 9), at(11, 6, 16), 4)  # fmt: skip


def _in(t: datetime | None, start: datetime = START, end: datetime = END) -> bool:
    return t is not None and start <= t < end


def _breached(r: Req) -> bool:
    first = _in(r.first_due) and (r.first_at is None or r.first_at > r.first_due)
    late = _in(r.resolve_due) and (r.resolved_at is None or r.resolved_at > r.resolve_due)
    return first or late


def _expected_service(reqs: list[Req]) -> list[Text]:
    """The complaint analysis of these requests, worked out on its own."""
    received = [r for r in reqs if _in(r.created)]
    kinds: dict[str, int] = {}
    for r in received:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    due = [r for r in reqs if _in(r.first_due) or _in(r.resolve_due)]
    late = [r for r in due if _breached(r)]
    answered = [r.first_at - r.created for r in reqs if r.first_at and _in(r.first_at)]
    solved = [r.resolved_at - r.created for r in reqs if r.resolved_at and _in(r.resolved_at)]
    ratings = [r.rating for r in reqs if r.rating is not None and _in(r.resolved_at)]
    lines: list[Text] = [
        T("Received: {n}; resolved: {resolved}", n=len(received), resolved=len(solved)),
        *(T("• {name}: {n}", name=TICKET_KIND[k], n=n) for k, n in kinds.items()),
        T(
            "Past a time limit: {breached} of {n} with a deadline in the period ({pct}%)",
            breached=len(late),
            n=len(due),
            pct=round(len(late) * 100 / len(due)),
        ),
        TN(
            "Median time to first response: {time} ({n} request)",
            "Median time to first response: {time} ({n} requests)",
            len(answered),
            time=view.duration(statistics.median(answered)),
        ),
        TN(
            "Median time to resolution: {time} ({n} request)",
            "Median time to resolution: {time} ({n} requests)",
            len(solved),
            time=view.duration(statistics.median(solved)),
        ),
        TN(
            "Average rating: {avg} ({n} rating)",
            "Average rating: {avg} ({n} ratings)",
            len(ratings),
            avg=round(sum(ratings) / len(ratings), 1),
        ),
    ]
    return lines


async def _seed_requests(app: App, reqs: list[Req]) -> None:
    async with app.sessions() as s, s.begin():
        for n, r in enumerate(reqs):
            c = await s.scalar(select(Customer).where(Customer.name == r.customer))
            assert c is not None, r.customer
            s.add(
                Ticket(
                    number=f"T-2026-9{len(r.customer):02d}{n:03d}",
                    customer_id=c.id,
                    kind=r.kind,
                    category=r.category,
                    status="resolved" if r.resolved_at else "in_progress",
                    owner_id=c.owner_id,
                    text="seeded",
                    created_at=r.created,
                    first_response_due=r.first_due,
                    first_response_at=r.first_at,
                    resolution_due=r.resolve_due,
                    resolved_at=r.resolved_at,
                    rating=r.rating,
                    rated_at=r.resolved_at + timedelta(hours=1) if r.rating else None,
                )
            )


# (customer, new stage, reason, amount, who, when): the east team's deals of the fortnight.
DEALS = [
    ("Sunrise Foods", "won", None, Decimal(80000), "rep2", at(11, 3, 15)),
    ("新华印刷厂", "won", None, Decimal(12500), "rep1", at(11, 12, 11)),
    ("长江水泥", "lost", "price", Decimal(30000), "rep2", at(11, 8, 10)),
    ("老王面馆", "lost", "competitor", None, "rep1", at(11, 9, 10)),
    ("百佳超市", "lost", "price", Decimal(5000), "rep1", at(11, 13, 10)),
    # After the period: not in its report.
    ("红星汽修", "won", None, Decimal(99999), "rep1", at(11, 16, 10)),
]


async def _seed_deals(app: App, deals: list[tuple]) -> None:  # type: ignore[type-arg]
    async with app.sessions() as s, s.begin():
        for name, stage, reason, amount, handle, when in deals:
            c = await s.scalar(select(Customer).where(Customer.name == name))
            by = await s.scalar(select(Staff).where(Staff.handle == handle))
            assert c is not None and by is not None
            s.add(
                CustomerChange(
                    customer_id=c.id,
                    field="stage",
                    old_value=c.stage,
                    new_value=stage,
                    reason=reason,
                    amount=amount,
                    changed_by=by.id,
                    changed_at=when,
                )
            )
            c.stage = stage


async def _visits(app: App, staff_id: int, start: datetime, end: datetime) -> int:
    async with app.sessions() as s:
        n = await s.scalar(
            select(func.count(Visit.id)).where(
                Visit.staff_id == staff_id, Visit.visited_at >= start, Visit.visited_at < end
            )
        )
        return int(n or 0)


def _photos(chat: Transcript, tg: int | None) -> list[Outgoing]:
    return [o for o in chat.demo.channel.sent if o.chat_id == tg and o.photo is not None]


async def _add_west(app: App) -> None:
    """Another team: rep Wu Bo (west) with his customer, a visit and a deal in November."""
    async with app.sessions() as s, s.begin():
        rep = Staff(
            handle="rep9", tg_user_id=1099, name="Wu Bo", role="sales", team="west", locale="en"
        )
        s.add(rep)
        await s.flush()
        c = Customer(
            name="西部机械厂",
            customer_class="B",
            owner_id=rep.id,
            team="west",
            created_by=rep.id,
            created_at=at(10, 1, 9),
        )
        s.add(c)
        await s.flush()
        s.add(Visit(customer_id=c.id, staff_id=rep.id, kind="onsite", visited_at=at(11, 5, 10)))
        s.add(
            CustomerChange(
                customer_id=c.id,
                field="stage",
                old_value="proposal",
                new_value="won",
                amount=Decimal(55000),
                changed_by=rep.id,
                changed_at=at(11, 7, 16),
            )
        )


# ---------------------------------------------------------------- a typed range, in Chinese


async def test_manager_report_for_a_typed_range_in_chinese(app: App, chat: Transcript) -> None:
    rep1, rep2 = await _staff(app, "rep1"), await _staff(app, "rep2")
    await _seed_requests(app, EAST)
    await _seed_deals(app, DEALS)
    async with app.sessions() as s, s.begin():
        s.add(VisitPlan(staff_id=rep2.id, month="2026-11", customer_class="A", target=21))
    # November 2026 has 21 working days and no public holiday: 21 planned visits are one a
    # working day, and the fortnight has 10 of them.
    working = [d for d in (NOV_1 + timedelta(days=i) for i in range(30)) if d.weekday() < 5]
    plan = 21 * sum(1 for d in working if d <= NOV_15) / len(working)
    v1, v2 = await _visits(app, rep1.id, START, END), await _visits(app, rep2.id, START, END)

    out = await chat("/as manager", f"/report {RANGE}")
    assert out.count("[to manager] [photo]") == 1
    period = T("{first} – {last}", first=NOV_1, last=NOV_15)
    expected: list[Text] = [
        T("<b>Team report, {period}</b>", period=period),
        T("<b>Visits and plan completion</b>"),
        T(
            "• {name}: {n} of {plan} planned ({pct}%)",
            name="Lucy Chen",
            n=v2,
            plan=round(plan, 1),
            pct=round(v2 * 100 / plan),
        ),
        TN("• {name}: {n} visit", "• {name}: {n} visits", v1, name="张伟"),
        T("Deals won: {n}, amount {amount}", n=2, amount=Money(Decimal(92500))),
        T("Deals lost: {n}, amount {amount}", n=3, amount=Money(Decimal(35000))),
        T("<b>Requests and complaints, {period}</b>", period=period),
        *_expected_service(EAST),
        T("• {name}: {n}", name=T("Service"), n=1),
        T("• {name}: {n}", name=T("Billing"), n=1),
        TN(
            "Customers lost in the period: {n}, amount {amount}",
            "Customers lost in the period: {n}, amount {amount}",
            3,
            amount=Money(Decimal(35000)),
        ),
        T(
            "• {reason}: {n} ({amount})",
            reason=LOST_REASON["price"],
            n=2,
            amount=Money(Decimal(35000)),
        ),
        T("• {reason}: {n} ({amount})", reason=LOST_REASON["competitor"], n=1, amount=Money(0)),
        T(
            "· {customer} · {reason} · {rep}",
            customer="老王面馆",
            reason=LOST_REASON["competitor"],
            rep="张伟",
        ),
        TN(
            "Deals won in the period: {n}, amount {amount}",
            "Deals won in the period: {n}, amount {amount}",
            2,
            amount=Money(Decimal(92500)),
        ),
        T(
            "· {customer}: {amount} · {rep}",
            customer="Sunrise Foods",
            amount=Money(80000),
            rep="Lucy Chen",
        ),
    ]
    for text in expected:
        assert zh(text) in out, zh(text)
    # The period is over: no "so far"; the deal after it is not counted.
    assert zh(T("(so far, as of {when})", when=app.clock.now())) not in out
    assert "红星汽修：" not in out and "99,999" not in out
    # Biggest deal first.
    assert out.index("Sunrise Foods：") < out.index("新华印刷厂：")
    # Customers at risk: the /losing rule, every class, as of now.
    manager = await _staff(app, "manager")
    async with app.sessions() as s:
        risky, total = await agenda.losing_touch(
            s, manager, app.rules.cadence_days, app.clock.now()
        )
    by_class = " · ".join(
        f"{cls} {sum(1 for r in risky if r.customer.customer_class == cls)}"
        for cls in sorted({r.customer.customer_class for r in risky})
    )
    assert zh(T("By class: {classes}", classes=Raw(by_class))) in out
    assert (
        zh(
            TN(
                "Customers at risk now (past their visit cadence): {n}",
                "Customers at risk now (past their visit cadence): {n}",
                total,
            )
        )
        in out
    )
    # The chart came with the figures and is a PNG.
    photo = _photos(chat, manager.tg_user_id)[-1].photo
    assert photo is not None
    with Image.open(io.BytesIO(photo)) as img:
        assert img.format == "PNG" and img.size == (800, 640)


# ---------------------------------------------------------------- buttons, in Chinese


async def test_picker_buttons_today_week_month_and_typed(app: App, chat: Transcript) -> None:
    out = await chat("/as manager", "/report")
    for label in ("Today", "This week", "This month", "Last month", "⌨️ Type a period"):
        assert zh(T(label)) in out
    team = [(await _staff(app, h)).id for h in ("rep1", "rep2")]

    async def received(start: datetime, end: datetime) -> int:
        async with app.sessions() as s:
            n = await s.scalar(
                select(func.count(Ticket.id))
                .join(Customer, Customer.id == Ticket.customer_id)
                .where(
                    Customer.owner_id.in_(team), Ticket.created_at >= start, Ticket.created_at < end
                )
            )
            return int(n or 0)

    now = app.clock.now()
    dec = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    out = await chat(f"[{zh(T('Today'))}]")
    assert zh(T("<b>Team report, {period}</b>", period=T("{day}", day=date(2026, 12, 1)))) in out
    assert zh(T("(so far, as of {when})", when=now)) in out
    n = await received(dec, dec + timedelta(days=1))
    assert zh(T("Received: {n}; resolved: {resolved}", n=n, resolved=0)) in out

    out = await chat("/report", f"[{zh(T('This week'))}]")
    week = T("{first} – {last}", first=date(2026, 11, 30), last=date(2026, 12, 6))
    assert zh(T("<b>Team report, {period}</b>", period=week)) in out
    n = await received(datetime(2026, 11, 30, tzinfo=SHANGHAI), now)
    assert zh(T("Received: {n}; resolved: {resolved}", n=n, resolved=0)) in out

    out = await chat("/report", f"[{zh(T('This month'))}]")
    assert zh(T("<b>Team report, {period}</b>", period=Raw("2026-12"))) in out

    out = await chat("/report", f"[{zh(T('Last month'))}]")
    assert zh(T("<b>Team report, {period}</b>", period=Raw("2026-11"))) in out
    assert "截至" not in out
    n = await received(START, dec)
    assert n > 0
    assert zh(T("Received: {n}; resolved: {resolved}", n=n, resolved=0)) in out

    # Typing a period: unreadable text is answered and the picker waits; then 上周.
    out = await chat("/report", f"[{zh(T('⌨️ Type a period'))}]")
    assert zh(T("Type the period.")) in out and zh(flow.EXAMPLES) in out
    out = await chat("下下下个月吧")
    assert zh(T("I could not read that as a period.")) in out and "[photo]" not in out
    out = await chat("上周")
    last_week = T("{first} – {last}", first=date(2026, 11, 23), last=date(2026, 11, 29))
    assert zh(T("<b>Team report, {period}</b>", period=last_week)) in out
    assert "[photo]" in out
    # Done: the next text is no longer read as a period.
    out = await chat("上周")
    assert "[photo]" not in out


# ---------------------------------------------------------------- bad input, refusals


async def _state(app: App, tg: int | None) -> tuple[str | None, str | None]:
    async with app.sessions() as s:
        row = await s.scalar(select(ConversationState).where(ConversationState.user_id == tg))
        return (row.flow, row.step) if row is not None else (None, None)


async def _rows(app: App) -> tuple[int, int, int]:
    async with app.sessions() as s:
        return (
            int(await s.scalar(select(func.count(AuditLog.id))) or 0),
            int(await s.scalar(select(func.count(OutboxMessage.id))) or 0),
            int(await s.scalar(select(func.count(CustomerChange.id))) or 0),
        )


async def test_a_bad_period_is_answered_and_changes_nothing(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    await chat("/as manager")
    before = await _rows(app)
    for typed, problem in (
        ("2026-11-15..2026-11-01", T("The period ends before it starts.")),
        ("2027-01-01..2027-01-05", T("That period has not started yet.")),
        ("2025-01-01..2026-11-01", flow.PROBLEMS["too_long"]),
        ("someday", T("I could not read that as a period.")),
    ):
        out = await chat(f"/report {typed}")
        assert zh(problem) in out and zh(flow.EXAMPLES) in out
        assert "[photo]" not in out and "团队报表" not in out
    assert await _rows(app) == before
    assert await _state(app, manager.tg_user_id) == (None, None)
    assert _photos(chat, manager.tg_user_id) == []


async def test_reps_get_no_report(app: App, chat: Transcript) -> None:
    rep1 = await _staff(app, "rep1")
    out = await chat("/as rep1", "/report", "/report 上个月")
    # A rep's /report is not a command of theirs: they get their help, and no figures.
    assert "/report" not in out.replace("> /report", "")
    assert "团队报表" not in out and "[photo]" not in out
    # The picker's buttons, forged, are stale for anyone not in the picker.
    out = await _press(chat, app, "rep1", "~report.pick:month")
    assert zh(T("This button is no longer valid. Nothing was changed.")) in out
    assert "团队报表" not in out and _photos(chat, rep1.tg_user_id) == []


async def test_a_demoted_manager_cannot_finish_the_picker(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    await chat("/as manager", "/report")
    async with app.sessions() as s, s.begin():
        await s.execute(update(Staff).where(Staff.id == manager.id).values(role="sales"))
    out = await chat(f"[{zh(T('This month'))}]")
    assert "团队报表" not in out and _photos(chat, manager.tg_user_id) == []


# ---------------------------------------------------------------- scope


async def test_a_managers_report_has_only_the_team_an_admins_every_team(
    app: App, chat: Transcript
) -> None:
    await _add_west(app)
    await _seed_requests(app, [*EAST, WEST])
    await _seed_deals(app, DEALS)
    rep1, rep2, rep9 = [await _staff(app, h) for h in ("rep1", "rep2", "rep9")]
    east = [await _visits(app, r.id, START, END) for r in (rep1, rep2)]
    west = await _visits(app, rep9.id, START, END)
    assert west == 1

    out = await chat("/as manager", f"/report {RANGE}")
    assert "Wu Bo" not in out and "西部机械厂" not in out
    for text in _expected_service(EAST):
        assert zh(text) in out, zh(text)
    assert zh(T("• {name}: {n}", name=T("Safety"), n=1)) not in out
    assert zh(T("<b>By team</b>")) not in out
    assert (
        zh(
            TN(
                "Deals won in the period: {n}, amount {amount}",
                "Deals won in the period: {n}, amount {amount}",
                2,
                amount=Money(Decimal(92500)),
            )
        )
        in out
    )

    out = await chat("/as admin", f"/report {RANGE}")
    period = T("{first} – {last}", first=NOV_1, last=NOV_15)
    assert en(T("<b>Report for every team, {period}</b>", period=period)) in out
    for text in (
        *_expected_service([*EAST, WEST]),
        T("• {name}: {n}", name=T("Safety"), n=1),
        TN("• {name}: {n} visit", "• {name}: {n} visits", west, name="Wu Bo"),
        T("<b>By team</b>"),
        TN(
            "• {team}: {n} rep, {visits} visits",
            "• {team}: {n} reps, {visits} visits",
            2,
            team="east",
            visits=sum(east),
        ),
        TN(
            "• {team}: {n} rep, {visits} visits",
            "• {team}: {n} reps, {visits} visits",
            1,
            team="west",
            visits=west,
        ),
        TN(
            "Deals won in the period: {n}, amount {amount}",
            "Deals won in the period: {n}, amount {amount}",
            3,
            amount=Money(Decimal(92500 + 55000)),
        ),
        T(
            "· {customer}: {amount} · {rep}",
            customer="西部机械厂",
            amount=Money(55000),
            rep="Wu Bo",
        ),
    ):
        assert en(text) in out, en(text)


# ---------------------------------------------------------------- pieces


def test_durations_read_as_minutes_hours_or_days() -> None:
    assert en(view.duration(timedelta(minutes=30))) == "30 minutes"
    assert en(view.duration(timedelta(hours=26))) == "26 h 0 min"
    assert zh(view.duration(timedelta(hours=26, minutes=5))) == "26小时5分钟"
    assert en(view.duration(timedelta(days=3, hours=5, minutes=59))) == "3 d 5 h"


def test_report_chart_draws_requests_by_kind_in_chinese() -> None:
    texts = charts.ReportTexts(
        bars_title="各客户经理拜访次数",
        kinds_title="工单类型分布",
        visits="拜访",
        plan="计划",
        requests="工单数",
        no_reps="暂无",
        no_requests="本期没有工单",
    )
    fig = charts.report_figure([("张伟", 3, 5.0), ("Lucy Chen", 0, None)], [("投诉", 2)], texts)
    drawn = {t.get_text() for t in fig.findobj(MplText)}
    assert {"投诉", "张伟", "工单类型分布", "各客户经理拜访次数"} <= drawn
    empty = charts.report_figure([], [], texts)
    assert {"暂无", "本期没有工单"} <= {t.get_text() for t in empty.findobj(MplText)}
    assert charts.png(fig).startswith(b"\x89PNG")


async def test_admin_reports_in_english_for_today_week_and_month(
    app: App, chat: Transcript
) -> None:
    now = app.clock.now()

    async def received(start: datetime, end: datetime) -> int:
        async with app.sessions() as s:
            n = await s.scalar(
                select(func.count(Ticket.id)).where(
                    Ticket.created_at >= start, Ticket.created_at < end
                )
            )
            return int(n or 0)

    dec = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    cases = [
        ("/report today", T("{day}", day=date(2026, 12, 1)), dec, True),
        (
            "/report this week",
            T("{first} – {last}", first=date(2026, 11, 30), last=date(2026, 12, 6)),
            datetime(2026, 11, 30, tzinfo=SHANGHAI),
            True,
        ),
        ("/report this month", Raw("2026-12"), dec, True),
        ("/report last month", Raw("2026-11"), START, False),
        (
            "/report last week",
            T("{first} – {last}", first=date(2026, 11, 23), last=date(2026, 11, 29)),
            datetime(2026, 11, 23, tzinfo=SHANGHAI),
            False,
        ),
    ]
    await chat("/as admin")
    for command, period, start, running in cases:
        out = await chat(command)
        assert en(T("<b>Report for every team, {period}</b>", period=period)) in out, command
        assert (en(T("(so far, as of {when})", when=now)) in out) is running
        end = now if running else (dec if start == START else dec - timedelta(days=1))
        n = await received(start, end)
        assert en(T("Received: {n}; resolved: {resolved}", n=n, resolved=0)) in out, command
        assert out.count("[to admin] [photo]") == 1


def test_report_is_in_the_menus_of_managers_and_admins_only() -> None:
    book = build_router()
    for role in Role:
        names = [name for name, _ in commands_menu.commands(book, role, "zh_CN")]
        assert ("report" in names) is (role in (Role.MANAGER, Role.ADMIN)), role
