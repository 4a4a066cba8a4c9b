"""The managers' summary: figures, chart, scheduled pushes and drill-down buttons.

The manager (李经理) reads Chinese and many of these texts are not translated yet: the tests
check figures on the service's result and rows, and find texts in transcripts by rendering the
same neutral texts the bot renders (`zh(...)`), so they keep passing once translated.
"""

from __future__ import annotations

import base64
import io
import json
import warnings
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text as MplText
from PIL import Image
from sqlalchemy import select, update
from structlog.testing import capture_logs

from bot import charts
from bot.app import App, build_app
from bot.channels.aiogram import AiogramChannel
from bot.channels.base import CAPTION_LIMIT
from bot.channels.console import plain
from bot.i18n import Renderer
from bot.settings import load
from bot.types import Money, Outgoing, T, Text
from bot.views import digest as view
from crm.models import Customer, Staff, Ticket, Visit, VisitPlan
from crm.services import agenda
from crm.services import digest as svc
from scheduler import digest_jobs
from scheduler.runner import run_due
from tests.conftest import Transcript
from tests.helpers import customer as _customer
from tests.helpers import outbox as _outbox
from tests.helpers import press as _press
from tests.helpers import staff as _staff
from tests.helpers import ticket as _ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEC_1 = date(2026, 12, 1)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZH = Renderer("zh_CN", SHANGHAI)
_EN = Renderer("en", SHANGHAI)


def zh(text: Text) -> str:
    """As the console prints it to a Chinese reader (tags removed)."""
    return plain(_ZH(text))


def en(text: Text) -> str:
    return plain(_EN(text))


def _photos_to(chat: Transcript, tg: int | None) -> list[Outgoing]:
    return [o for o in chat.demo.channel.sent if o.chat_id == tg and o.photo is not None]


def _payloads(chat: Transcript, tg: int | None) -> list[str]:
    assert tg is not None
    return [t.payload or "" for t in chat.demo.channel.last_buttons[tg]]


async def _digest(app: App, handle: str, period: svc.Period) -> svc.Digest:
    lead = await _staff(app, handle)
    async with app.sessions() as s:
        return await svc.build(s, lead, period, app.clock.now(), app.rules)


def _today() -> svc.Period:
    return svc.period_of(svc.DAY, DEC_1, SHANGHAI)


def _check_png(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) < 200_000
    with Image.open(io.BytesIO(data)) as img:
        img.verify()
    with Image.open(io.BytesIO(data)) as img:
        return img.size


async def _win_deal(chat: Transcript, app: App, name: str, amount: str) -> None:
    """rep2 marks her customer won through the stage flow (card → Stage → won → amount)."""
    customer = await _customer(app, name)
    async with app.sessions() as s, s.begin():
        await s.execute(update(Customer).where(Customer.id == customer.id).values(stage="proposal"))
    await chat("/as rep2")
    out = await _press(chat, app, "rep2", f"stage:{customer.id}")
    assert "New stage?" in out
    out = await chat("[won]")
    assert "amount" in out
    out = await chat(amount)
    assert "stage is now “won”" in out


async def _resolve_and_rate(chat: Transcript, app: App, number: str, stars: int) -> None:
    """rep2 resolves her customer's request; the customer (customer3) rates it."""
    ticket = await _ticket(app, number)
    await chat("/as rep2")
    await _press(chat, app, "rep2", f"tk_resolve:{ticket.id}")
    out = await chat("Reset the breaker in the east wing; no more flicker.")
    assert "is resolved" in out
    out = await chat("/as customer3", f"[{stars}]")
    assert "[to customer3]" in out
    async with app.sessions() as s:
        rated = await s.get(Ticket, ticket.id)
        assert rated is not None and rated.rating == stars


async def _log_visit(app: App, handle: str, customer_name: str) -> None:
    staff, customer = await _staff(app, handle), await _customer(app, customer_name)
    async with app.sessions() as s, s.begin():
        s.add(
            Visit(
                customer_id=customer.id,
                staff_id=staff.id,
                kind="onsite",
                outcome="walked the site",
                visited_at=app.clock.now(),
            )
        )


# ---------------------------------------------------------------- the figures


async def test_summary_figures_follow_the_days_work(app: App, chat: Transcript) -> None:
    rep1, rep2 = await _staff(app, "rep1"), await _staff(app, "rep2")
    before = await _digest(app, "manager", _today())
    # The seeded morning: no visit yet today, two follow-ups overdue since yesterday, one request
    # received today (T-1 at 04:00), the fault report T-2 past its 07:00 resolution limit.
    assert [(r.staff.name, r.visits, r.plan) for r in before.reps] == [
        ("Lucy Chen", 0, None),
        ("张伟", 0, None),
    ]
    assert (before.new_customers, before.stage_changes, before.won) == (0, 0, 0)
    assert (before.followups_done, before.followups_overdue) == (0, 2)
    assert (before.tickets_opened, before.tickets_resolved, before.tickets_breached) == (1, 0, 1)
    assert before.rating is None and before.ratings == 0
    # Key customers (A, B) past their cadence; Acme (A, last visit 77 days ago) among them.
    names = {row.customer.name for row in before.losing}
    assert "Acme Logistics" in names and before.losing_total == 4
    # 华能电厂's claim (rep1's) ends within the week.
    assert before.lapsing_total == 1 and before.lapsing[0][0].name == "华能电厂"

    # The day's work: rep2 visits Acme, wins Sunrise Foods for 120,000, resolves T-2 (rated 4).
    await _log_visit(app, "rep2", "Acme Logistics")
    await _win_deal(chat, app, "Sunrise Foods", "12万")
    await _resolve_and_rate(chat, app, "T-2026-000002", 4)
    async with app.sessions() as s, s.begin():
        s.add(VisitPlan(staff_id=rep2.id, month="2026-12", customer_class="A", target=10))
        s.add(VisitPlan(staff_id=rep2.id, month="2026-12", customer_class="B", target=13))

    d = await _digest(app, "manager", _today())
    # 23 working days in December 2026: a plan of 23 visits makes 1 a day.
    assert [(r.staff.id, r.visits, r.plan) for r in d.reps] == [
        (rep2.id, 1, pytest.approx(1.0)),
        (rep1.id, 0, None),
    ]
    assert d.visits == 1 and d.percent == 100
    assert (d.stage_changes, d.won, d.won_amount, d.lost) == (1, 1, Decimal(120000), 0)
    assert (d.tickets_opened, d.tickets_resolved, d.tickets_breached) == (1, 1, 1)
    assert (d.rating, d.ratings) == (4.0, 1)
    assert d.losing_total == 3
    assert "Acme Logistics" not in {row.customer.name for row in d.losing}
    # The trend: 14 days ending today, today's visit counted; earlier days from the seed.
    assert [day for day, _n in d.trend] == [DEC_1 - timedelta(days=13 - i) for i in range(14)]
    async with app.sessions() as s:
        stamps = list(
            await s.scalars(select(Visit.visited_at).where(Visit.staff_id.in_([rep1.id, rep2.id])))
        )
    for day, n in d.trend:
        assert n == sum(1 for t in stamps if t.astimezone(SHANGHAI).date() == day)
    assert d.trend[-1] == (DEC_1, 1)

    # The week so far (Mon 30 Nov - Sun 6 Dec): November has no plan, so only Dec 1-4 count.
    week = await _digest(app, "manager", svc.period_of(svc.WEEK, DEC_1, SHANGHAI))
    assert week.reps[0].plan == pytest.approx(4.0)
    month = await _digest(app, "manager", svc.period_of(svc.MONTH, DEC_1, SHANGHAI))
    assert month.reps[0].plan == pytest.approx(23.0)
    assert month.won_amount == Decimal(120000)

    # /summary shows the same figures, with the chart.
    out = await chat("/as manager", "/summary")
    assert out.count("[to manager] [photo]") == 1
    for text in (
        view.title(d.period),
        T("Deals won: {n}, amount {amount}", n=1, amount=Money(Decimal(120000))),
        T("Visits: {n} of {plan} planned ({pct}%)", n=1, plan=1.0, pct=100),
        T("Follow-ups overdue: {n}", n=2),
    ):
        assert zh(text) in out
    manager = await _staff(app, "manager")
    photo = _photos_to(chat, manager.tg_user_id)[-1].photo
    assert photo is not None and _check_png(photo) == (800, 640)


async def test_summary_week_and_month_on_demand(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    for words, kind in (("week", svc.WEEK), ("month", svc.MONTH), ("本周", svc.WEEK)):
        out = await chat("/as manager", f"/summary {words}")
        period = svc.period_of(kind, DEC_1, SHANGHAI)
        assert zh(view.title(period)) in out
        assert out.count("[photo]") == 1
        assert _payloads(chat, manager.tg_user_id)[-1] == f"dg_top:{manager.id}:{period.code}"
    out = await chat("/summary yesterday")
    assert "[photo" not in out
    # Reps have no /summary.
    out = await chat("/as rep2", "/summary")
    assert "[photo" not in out and "Team summary" not in out


def test_periods_and_their_codes() -> None:
    day = svc.period_of(svc.DAY, DEC_1, SHANGHAI)
    week = svc.period_of(svc.WEEK, DEC_1, SHANGHAI)
    month = svc.period_of(svc.MONTH, DEC_1, SHANGHAI)
    assert (day.key, week.key, month.key) == ("2026-12-01", "2026-W49", "2026-12")
    assert (week.first, week.after) == (date(2026, 11, 30), date(2026, 12, 7))
    assert svc.previous(svc.MONTH, date(2027, 1, 1), SHANGHAI).key == "2026-12"
    assert svc.previous(svc.WEEK, date(2026, 12, 7), SHANGHAI).key == "2026-W49"
    for period in (day, week, month):
        assert svc.from_code(period.code, SHANGHAI) == period
        assert len(period.code) <= 9
    # A week's code names its Monday; anything else is no period.
    for bad in ("w20261201", "d20261301", "x20261201", "m2026", "", "d2026120a"):
        assert svc.from_code(bad, SHANGHAI) is None


async def test_plan_share_of_a_week_spanning_two_months(app: App, chat: Transcript) -> None:
    rep2 = await _staff(app, "rep2")
    async with app.sessions() as s, s.begin():
        # November 2026: 21 working days (Mon 30 Nov among them); December: 23.
        s.add(VisitPlan(staff_id=rep2.id, month="2026-11", customer_class="A", target=21))
        s.add(VisitPlan(staff_id=rep2.id, month="2026-12", customer_class="C", target=46))
    week = svc.period_of(svc.WEEK, DEC_1, SHANGHAI)
    async with app.sessions() as s:
        plans = await svc.prorated_plans(s, [rep2.id], week, app.rules)
        # Mon 30 Nov (1 of 21) and Tue-Fri 1-4 Dec (4 of 23, at 2 a day); the weekend none.
        assert plans == {rep2.id: pytest.approx(1 + 8)}
        saturday = svc.period_of(svc.DAY, date(2026, 12, 5), SHANGHAI)
        assert await svc.prorated_plans(s, [rep2.id], saturday, app.rules) == {rep2.id: 0.0}


# ---------------------------------------------------------------- the chart


def test_chart_is_a_small_png_drawn_with_a_cjk_font() -> None:
    path = charts.cjk_font_path()
    # A system font when there is one, else the subset the project carries (bot/fonts/).
    assert FontProperties(fname=path).get_name() in charts.CJK_FAMILIES
    texts = charts.SummaryTexts("拜访次数 · 12月1日", "近14天每日拜访", "拜访", "计划", "暂无")
    reps = [("张伟", 3, 2.5), ("Lucy Chen", 1, None), ("王小明", 0, 1.0)]
    trend = [(f"11/{d}", d % 4) for d in range(18, 31)] + [("12/1", 2)]
    fig = charts.summary_figure(reps, trend, texts)
    # A glyph the font lacks would be drawn as a box, with a warning: there must be none.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = charts.png(fig)
    # Every text drawn (ticks are made at drawing time) uses the CJK font's file.
    drawn = [t for t in fig.findobj(MplText) if t.get_text() and t.get_visible()]
    wanted = {"张伟", "王小明", "拜访次数 · 12月1日", "近14天每日拜访", "计划", "12/1"}
    assert wanted <= {t.get_text() for t in drawn}
    assert {t.get_fontproperties().get_file() for t in drawn} == {path}
    assert _check_png(data) == (800, 640)
    # Nothing of it is left in matplotlib's global state (no pyplot figure was made).
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []


def test_a_missing_cjk_font_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    charts.cjk_font_path.cache_clear()
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font Family",))
    try:
        with pytest.raises(charts.FontMissing, match="fonts-wqy-microhei"):
            charts.cjk_font_path()
    finally:
        charts.cjk_font_path.cache_clear()


async def test_without_a_cjk_font_the_summary_and_report_come_as_text(
    app: App, chat: Transcript, monkeypatch: pytest.MonkeyPatch, info_logs: None
) -> None:
    charts.cjk_font_path.cache_clear()
    charts._font_missing_logged.cache_clear()  # noqa: SLF001
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font Family",))
    try:
        with capture_logs() as logs:
            summary = await chat("/as manager", "/summary")
            report = await chat("/report", f"[{zh(T('Today'))}]")
    finally:
        charts.cjk_font_path.cache_clear()
        charts._font_missing_logged.cache_clear()  # noqa: SLF001
    d = await _digest(app, "manager", _today())
    assert zh(view.title(d.period)) in summary
    assert "[photo" not in summary and "[photo" not in report
    assert "update_failed" not in {e["event"] for e in logs}
    # The figures of the report are there, without the chart; the operator is told once.
    assert zh(T("Follow-ups overdue: {n}", n=d.followups_overdue)) in report
    missing = [e for e in logs if e["event"] == "chart_not_drawn"]
    assert len(missing) == 1 and "fonts-wqy-microhei" in missing[0]["hint"]


def test_a_queued_photo_survives_the_outbox_payload() -> None:
    out = Outgoing(chat_id=7, text="chart", buttons=((("a", "b"),),), photo=b"\x89PNG\x00\xff")
    payload = json.loads(json.dumps(out.to_payload()))
    assert base64.b64decode(payload["photo"]) == out.photo
    assert Outgoing.from_payload(7, payload) == out
    plain = Outgoing(chat_id=7, text="no photo")
    assert "photo" not in plain.to_payload()
    assert Outgoing.from_payload(7, plain.to_payload()).photo is None


class _FakeBot:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def send_photo(self, chat_id: int, photo: object, **kw: Any) -> None:
        self.calls.append(("photo", kw))

    async def send_message(self, chat_id: int, text: str, **kw: Any) -> None:
        self.calls.append(("message", {"text": text, **kw}))


async def test_aiogram_sends_a_long_caption_as_a_following_message() -> None:
    channel = AiogramChannel("123456:TEST-token")
    real = channel.bot
    fake = _FakeBot()
    channel.bot = fake  # type: ignore[assignment]
    try:
        buttons = ((("🏆", "dg_top:1:d20261201"),),)
        await channel.send(Outgoing(1, "<b>Title</b>\nshort", buttons=buttons, photo=b"png"))
        assert [k for k, _ in fake.calls] == ["photo"]
        assert fake.calls[0][1]["caption"] == "<b>Title</b>\nshort"
        assert fake.calls[0][1]["reply_markup"] is not None
        fake.calls.clear()
        long = "<b>Title</b>\n" + "x" * CAPTION_LIMIT
        await channel.send(Outgoing(1, long, buttons=buttons, photo=b"png"))
        assert [k for k, _ in fake.calls] == ["photo", "message"]
        assert fake.calls[0][1]["caption"] == "<b>Title</b>"
        assert fake.calls[0][1].get("reply_markup") is None
        assert fake.calls[1][1]["text"] == long and fake.calls[1][1]["reply_markup"] is not None
    finally:
        await real.session.close()


# ---------------------------------------------------------------- the pushes


def _digest_photos(chat: Transcript, tg: int | None, period: svc.Period) -> list[Outgoing]:
    title = zh(view.title(period))
    return [o for o in _photos_to(chat, tg) if plain(o.text).startswith(title)]


async def test_daily_summary_once_at_the_managers_time(
    app: App, chat: Transcript, db_url: str
) -> None:
    manager = await _staff(app, "manager")
    key = f"digest:day:{manager.id}:2026-12-01"
    # Just before the time: not yet. (November's report, due on the 1st at 09:00, comes now.)
    out = await chat("/as manager", "@clock 2026-12-01T17:59")
    assert await _outbox(app, key) == []
    november = await _outbox(app, f"digest:month:{manager.id}:2026-11")
    assert len(november) == 1 and november[0].late
    assert out.count("[to manager] [photo]") == 1
    out = await chat("@clock 2026-12-01T18:01")
    rows = await _outbox(app, key)
    assert len(rows) == 1 and rows[0].status == "sent" and not rows[0].late
    assert rows[0].chat_id == manager.tg_user_id
    photo = base64.b64decode(rows[0].payload["photo"])
    assert _check_png(photo) == (800, 640)
    # Exactly one daily summary reached the manager, with the chart and the drill-downs.
    title = zh(view.title(_today()))
    assert out.count("[to manager] [photo]") == 1
    assert out.count(f"[to manager] [photo] {title}") == 1
    assert len(_digest_photos(chat, manager.tg_user_id, _today())) == 1
    assert rows[0].payload["buttons"][0][0][1] == f"dg_fu:{manager.id}:d20261201"
    # Reps, the agent and the admin get no summary.
    assert len(await _outbox(app, "digest:")) == 2

    # Later the same evening: nothing more.
    out = await chat("@clock +1h", "@clock 2026-12-01T23:59")
    assert "[photo" not in out
    # A restart: a second process runs the jobs again; nothing is queued.
    settings, rules = load(database_url=db_url, _env_file=None)
    second = build_app(settings, rules, app.clock)
    try:
        assert await digest_jobs.run(second.sessions, app.clock, settings.tz, rules) == 0
        await run_due(second.sessions, app.clock, settings.tz, rules)
    finally:
        await second.close()
    assert len(await _outbox(app, "digest:")) == 2
    assert "[photo" not in await chat("@clock 2026-12-02T00:30")
    assert len(await _outbox(app, "digest:")) == 2


async def test_a_restart_after_the_time_sends_it_late_within_the_day(
    app: App, chat: Transcript
) -> None:
    manager = await _staff(app, "manager")
    # The bot was down from 09:00 to 22:00.
    out = await chat("/as manager", "@clock 2026-12-01T22:00")
    rows = await _outbox(app, f"digest:day:{manager.id}:2026-12-01")
    assert len(rows) == 1 and rows[0].late
    assert zh(T("(sent late: the bot was not running at the due time)")) in rows[0].payload["text"]
    assert out.count(zh(view.title(_today()))) == 1
    # Down again over the next evening until after midnight: Wednesday's is skipped.
    await chat("@clock 2026-12-03T00:01")
    assert await _outbox(app, f"digest:day:{manager.id}:2026-12-02") == []


async def test_summary_follows_the_managers_time_zone(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    async with app.sessions() as s, s.begin():
        await s.execute(
            update(Staff).where(Staff.id == manager.id).values(timezone="Europe/London")
        )
    # 18:01 in Shanghai is 10:01 in London: not yet.
    await chat("/as manager", "@clock 2026-12-01T18:01")
    assert await _outbox(app, f"digest:day:{manager.id}:") == []
    # 02:01 the next day in Shanghai is 18:01 in London, still 1 December there.
    await chat("@clock 2026-12-02T02:01")
    assert len(await _outbox(app, f"digest:day:{manager.id}:2026-12-01")) == 1


async def test_weekly_and_monthly_reports_once_each(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    week_key = f"digest:week:{manager.id}:2026-W49"
    month_key = f"digest:month:{manager.id}:2026-12"
    await chat("/as manager", "@clock 2026-12-07T08:59")
    assert await _outbox(app, week_key) == []
    out = await chat("@clock 2026-12-07T09:00")
    rows = await _outbox(app, week_key)
    assert len(rows) == 1 and not rows[0].late and "photo" in rows[0].payload
    week = svc.previous(svc.WEEK, date(2026, 12, 7), SHANGHAI)
    assert out.count(zh(view.title(week))) == 1
    assert f"dg_top:{manager.id}:w20261130" in json.dumps(rows[0].payload["buttons"])
    out = await chat("@clock +2h", "@clock 2026-12-07T23:00")
    assert zh(view.title(week)) not in out
    assert len(await _outbox(app, week_key)) == 1

    await chat("@clock 2026-12-31T23:59")
    assert await _outbox(app, month_key) == []
    out = await chat("@clock 2027-01-01T09:00")
    rows = await _outbox(app, month_key)
    december = svc.period_of(svc.MONTH, DEC_1, SHANGHAI)
    # No visit in December nor in its last 14 days: no empty chart, a line says so.
    assert len(rows) == 1 and rows[0].payload.get("photo") is None
    assert out.count(zh(view.title(december))) == 1 and zh(view.no_chart(december)) in out
    await chat("@clock +1h", "@clock 2027-01-01T20:00")
    assert len(await _outbox(app, month_key)) == 1
    # The clock jumped over the next Mondays (the bot was down): those reports were skipped.
    weeks = await _outbox(app, f"digest:week:{manager.id}:")
    assert [r.dedupe_key for r in weeks] == [week_key]


# ---------------------------------------------------------------- the drill-downs


async def test_drill_down_buttons_answer_with_the_lists(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    await chat("/as manager", "/summary")
    payloads = _payloads(chat, manager.tg_user_id)
    code = _today().code
    assert payloads == [
        f"dg_fu:{manager.id}:{code}",
        f"dg_sla:{manager.id}:{code}",
        f"dg_lose:{manager.id}:{code}",
        f"dg_top:{manager.id}:{code}",
    ]
    overdue, breaches, losing, board = payloads

    # Overdue follow-ups of the team, with the rep's name and a card button each.
    out = await _press(chat, app, "manager", overdue)
    assert "张伟：华能电厂" in out and "Lucy Chen：Acme Logistics" in out
    huaneng, acme = await _customer(app, "华能电厂"), await _customer(app, "Acme Logistics")
    assert {f"card:{huaneng.id}", f"card:{acme.id}"} <= set(_payloads(chat, manager.tg_user_id))

    # Open requests past their time: the fault report T-2, due 07:00; T-3 is not due till 10:00.
    out = await _press(chat, app, "manager", breaches)
    assert "T-2026-000002" in out and "Blue River Hotel" in out
    assert "T-2026-000003" not in out
    t2 = await _ticket(app, "T-2026-000002")
    assert _payloads(chat, manager.tg_user_id) == [f"tk:{t2.id}"]

    # Key customers losing touch: the same as the summary counts.
    async with app.sessions() as s:
        expected, total = await agenda.losing_touch(
            s, manager, app.rules.cadence_days, app.clock.now(), classes=agenda.KEY_CLASSES
        )
    out = await _press(chat, app, "manager", losing)
    assert total == 4
    for row in expected:
        assert row.customer.name in out

    # The leaderboard: nobody has done anything yet; both share the first place.
    out = await _press(chat, app, "manager", board)
    lines = [line for line in out.splitlines() if "Lucy Chen" in line or "张伟" in line]
    assert [line[:3] for line in lines] == ["1. ", "1. "]

    # After a visit and a deal by rep2, she leads; rep1's row of zeros is still there.
    await _log_visit(app, "rep2", "Acme Logistics")
    await _win_deal(chat, app, "Sunrise Foods", "50000")
    async with app.sessions() as s:
        rows = await svc.leaderboard(s, manager, _today(), app.clock.now())
    assert [(r.rank, r.staff.name, r.visits, r.won, r.won_amount) for r in rows] == [
        (1, "Lucy Chen", 1, 1, Decimal(50000)),
        (2, "张伟", 0, 0, Decimal(0)),
    ]
    await chat("/as manager")
    out = await _press(chat, app, "manager", board)
    lines = [line for line in out.splitlines() if "Lucy Chen" in line or "张伟" in line]
    assert [line[:3] for line in lines] == ["1. ", "2. "]
    assert "Lucy Chen" in lines[0] and "50,000" in lines[0]

    # Once resolved, T-2 is off the list.
    await _resolve_and_rate(chat, app, "T-2026-000002", 5)
    await chat("/as manager")
    out = await _press(chat, app, "manager", breaches)
    assert "T-2026-000002" not in out


async def test_drill_downs_are_for_the_summarys_manager_only(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    await chat("/as manager", "/summary")
    payloads = _payloads(chat, manager.tg_user_id)
    await chat("/as rep2")
    for payload in payloads:
        out = await _press(chat, app, "rep2", payload)
        assert en(T("That is not available to you. Nothing was changed.")) in out
        assert "Acme Logistics" not in out
    # Another lead's summary buttons are not the admin's either.
    out = await _press(chat, app, "admin", payloads[0])
    assert en(T("That is not available to you. Nothing was changed.")) in out
    # A garbled period is a stale button.
    out = await _press(chat, app, "manager", f"dg_top:{manager.id}:w20261201")
    assert zh(T("This button is no longer valid. Nothing was changed.")) in out


async def test_admin_sees_everyone(app: App, chat: Transcript) -> None:
    admin = await _staff(app, "admin")
    async with app.sessions() as s, s.begin():
        # A rep of another team, with a visit today: the admin counts it, the manager does not.
        other = Staff(
            handle="rep9", tg_user_id=1099, name="Wu Bo", role="sales", team="west", locale="en"
        )
        s.add(other)
        await s.flush()
        pooled = await s.scalar(select(Customer).where(Customer.name == "Atlas Print"))
        assert pooled is not None
        s.add(
            Visit(
                customer_id=pooled.id,
                staff_id=other.id,
                kind="phone",
                visited_at=app.clock.now(),
            )
        )
    d = await _digest(app, "admin", _today())
    assert {r.staff.name: r.visits for r in d.reps} == {"Lucy Chen": 0, "Wu Bo": 1, "张伟": 0}
    assert (await _digest(app, "manager", _today())).visits == 0
    out = await chat("/as admin", "/summary")
    assert "Wu Bo" in out and "[photo" in out
    assert _payloads(chat, admin.tg_user_id)[0] == f"dg_fu:{admin.id}:{_today().code}"


async def test_a_shorter_grace_after_downtime_skips_the_summary(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    evening = datetime(2026, 12, 1, 22, 0, tzinfo=SHANGHAI)
    due = digest_jobs.due_for(manager, SHANGHAI, evening, app.rules)
    assert [d.key for d in due] == [
        f"digest:day:{manager.id}:2026-12-01",
        f"digest:month:{manager.id}:2026-11",
    ]
    strict = app.rules.model_copy(
        update={"scheduler": app.rules.scheduler.model_copy(update={"late_grace_hours": 2})}
    )
    assert digest_jobs.due_for(manager, SHANGHAI, evening, strict) == []
    # Just after midnight the 18:00 summary's window has closed; a 23:30 one's (3 hours at
    # least) is still open.
    late = datetime(2026, 12, 2, 0, 30, tzinfo=SHANGHAI)
    assert [d.period.key for d in digest_jobs.due_for(manager, SHANGHAI, late, app.rules)] == []
    at_2330 = app.rules.model_copy(
        update={"digest": app.rules.digest.model_copy(update={"manager_summary": time(23, 30)})}
    )
    assert [d.period.key for d in digest_jobs.due_for(manager, SHANGHAI, late, at_2330)] == [
        "2026-12-01"
    ]


async def test_leaderboard_command_for_a_period(app: App, chat: Transcript) -> None:
    out = await chat("/as admin", "/leaderboard")
    assert "Leaderboard" in out and "Lucy Chen" in out and "张伟" in out
    out = await chat("/leaderboard week")
    assert "Leaderboard" in out
    out = await chat("/leaderboard someday")
    assert "Try /leaderboard" in out
    out = await chat("/as rep2", "/leaderboard")
    assert "Leaderboard" not in out  # reps get their help instead
