"""The yearly summary: pushed to managers once on the first working day of the year (not on New
Year's Day, a holiday, nor on the weekend after it), and on demand with `/report 去年`,
`/report 2026`, `/report last year`; its figures counted here from the rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from bot.channels.console import plain
from bot.i18n import Renderer
from bot.types import Money, Raw, T, Text
from crm.models import CustomerChange, Staff, Ticket, Visit
from crm.services import report_yearly
from scheduler import yearly_jobs
from tests.conftest import Transcript
from tests.helpers import outbox
from tests.helpers import staff as _staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
Y_START = datetime(2026, 1, 1, tzinfo=SHANGHAI)
Y_END = datetime(2027, 1, 1, tzinfo=SHANGHAI)


def zh(text: Text) -> str:
    return plain(Renderer("zh_CN", SHANGHAI)(text))


def en(text: Text) -> str:
    return plain(Renderer("en", SHANGHAI)(text))


async def _expected(app: App) -> list[Text]:
    """The year's visits by the team's reps, won and lost customers and requests received."""
    async with app.sessions() as s:
        reps = {r.id for r in await s.scalars(select(Staff).where(Staff.role == "sales"))}
        visits = sum(
            1 for v in await s.scalars(select(Visit))
            if v.staff_id in reps and Y_START <= v.visited_at < Y_END
        )  # fmt: skip
        stage = select(CustomerChange).where(CustomerChange.field == "stage")
        changes = [c for c in await s.scalars(stage) if Y_START <= c.changed_at < Y_END]
        tickets = list(await s.scalars(select(Ticket)))
    received = sum(1 for t in tickets if Y_START <= t.created_at < Y_END)
    resolved = sum(1 for t in tickets if t.resolved_at and Y_START <= t.resolved_at < Y_END)
    won = [c for c in changes if c.new_value == "won"]
    lost = [c for c in changes if c.new_value == "lost"]
    return [
        T("<b>Yearly summary {year}</b>", year=Raw("2026")),
        T("Visits: {n}", n=visits),
        T(
            "Customers won: {n}, amount {amount}",
            n=len(won),
            amount=Money(sum((c.amount or Decimal(0) for c in won), Decimal(0))),
        ),
        T(
            "Customers lost: {n}, amount {amount}",
            n=len(lost),
            amount=Money(sum((c.amount or Decimal(0) for c in lost), Decimal(0))),
        ),
        T("<b>Requests and complaints {year}</b>", year=Raw("2026")),
        T("Received: {n}; resolved: {resolved}", n=received, resolved=resolved),
        T("<b>Top reps</b>"),
    ]


async def _seed_year(app: App) -> None:
    """A won and a lost customer in 2026 besides the demo's history."""
    rep1 = await _staff(app, "rep1")
    async with app.sessions() as s, s.begin():
        for stage, amount, when in (
            ("won", Decimal(66000), datetime(2026, 6, 3, 10, tzinfo=SHANGHAI)),
            ("lost", Decimal(12000), datetime(2026, 9, 9, 10, tzinfo=SHANGHAI)),
        ):
            s.add(
                CustomerChange(customer_id=1, field="stage", old_value="proposal",
                               new_value=stage, amount=amount, reason="price"
                               if stage == "lost" else None, changed_by=rep1.id,
                               changed_at=when)
            )  # fmt: skip


async def test_sent_once_on_the_first_working_day(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    await _seed_year(app)
    # New Year's Day is a holiday, and 2 and 3 January 2027 a weekend: nothing yet.
    assert report_yearly.first_working_day(2027, app.rules, SHANGHAI) == date(2027, 1, 4)
    for moment in ("2027-01-01T09:30", "2027-01-02T10:00", "2027-01-04T08:59"):
        await chat("/as manager", f"@clock {moment}")
        assert await outbox(app, "yearly:") == [], moment
    expected = await _expected(app)
    out = await chat("@clock 2027-01-04T09:01")
    rows = await outbox(app, f"yearly:{manager.id}:2026")
    assert [r.dedupe_key for r in rows] == [
        f"yearly:{manager.id}:2026",
        f"yearly:{manager.id}:2026:1",
    ]
    assert all(r.chat_id == manager.tg_user_id for r in rows)
    for text in expected:
        assert zh(text) in out, zh(text)
    # Later that day, and a second pass (a restart, another process): nothing more.
    await chat("@clock 2027-01-04T15:00")
    assert await yearly_jobs.run(app.sessions, app.clock, SHANGHAI, app.rules) == 0
    assert len(await outbox(app, "yearly:")) == 2  # the manager's two messages, nobody else's
    # The next working day is not the first any more.
    await chat("@clock 2027-01-05T09:30")
    assert len(await outbox(app, "yearly:")) == 2


def test_due_only_within_the_day_and_the_grace() -> None:
    from crm.rules import load_rules

    rules = load_rules()
    first = datetime(2027, 1, 4, 9, 0, tzinfo=SHANGHAI)
    assert yearly_jobs.due_year(SHANGHAI, first, rules) == 2026
    assert (
        yearly_jobs.due_year(SHANGHAI, datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI), rules) is None
    )
    assert (
        yearly_jobs.due_year(SHANGHAI, datetime(2027, 1, 4, 8, 0, tzinfo=SHANGHAI), rules) is None
    )


async def test_on_demand_in_chinese_and_english(app: App, chat: Transcript) -> None:
    await _seed_year(app)
    await chat("/as manager", "@clock 2027-01-04T08:00")
    expected = await _expected(app)
    for words in ("去年", "2026", "2026年"):
        out = await chat(f"/report {words}")
        for text in expected:
            assert zh(text) in out, (words, zh(text))
    # Typed at the report's period picker too.
    out = await chat("/report", "去年")
    for text in expected:
        assert zh(text) in out, ("picker", zh(text))
    # The admin's scope is everyone: here the same east team.
    out = await chat("/as admin", "/report last year")
    for text in expected:
        assert en(text) in out, en(text)
    # A year that has not begun is not a summary.
    out = await chat("/report 2030")
    assert "Yearly summary" not in out
    # Reps are not offered it.
    out = await chat("/as rep1", "/report 去年")
    assert zh(T("<b>Yearly summary {year}</b>", year=Raw("2026"))) not in out


def test_the_words_for_a_year() -> None:
    today = date(2027, 1, 4)
    for words, year in (
        ("去年", 2026), ("上一年", 2026), ("last year", 2026), ("прошлый год", 2026),
        ("2025", 2025), ("2025年", 2025), ("2025 год", 2025), ("今年", 2027),
        ("2028", None), ("上个月", None), ("2026-11", None),
    ):  # fmt: skip
        assert report_yearly.year_asked(words, today) == year, words
