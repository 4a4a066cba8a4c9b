"""A business calendar the admin owns (issue 20, item 6): a holiday typed in /rules moves a
deadline; weekday hours change; make-up working days come from chinese-calendar; the admin is
reminded in December while next year's official schedule is missing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.app import App
from crm import sla
from crm.models import CalendarDay, Ticket
from crm.services import calendar
from tests import helpers
from tests.conftest import Transcript

TZ = ZoneInfo("Asia/Shanghai")


async def _complaint_due(chat: Transcript, app: App, who: str, number: str) -> datetime:
    await chat(f"/as {who}", "/new", "[2]", "[1]", "停电没有通知", "[1]", "[1]")
    return (await helpers.ticket(app, number)).resolution_due.astimezone(TZ)


async def test_a_holiday_added_in_rules_moves_a_deadline(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Ticket).values(status="closed"))
    await chat("@clock 2026-12-01T15:00")
    before = await _complaint_due(chat, app, "customer6", "T-2026-000004")
    assert before.date() == date(2026, 12, 2)  # a working day's time from Tuesday 15:00
    out = await chat("/as admin", "/rules", "[Business calendar]")
    assert "2026" in out and "official schedule" in out  # seeded from chinese-calendar
    out = await chat("[Add or change days]", "2026-12-02 off 检修日")
    assert "Saved 1 days" in out or "Saved 1 day" in out
    after = await _complaint_due(chat, app, "customer6", "T-2026-000005")
    assert after.date() == date(2026, 12, 3)
    async with app.sessions() as s:
        row = await s.get(CalendarDay, date(2026, 12, 2))
        assert row is not None and (row.kind, row.source) == ("off", "admin")


async def test_bad_lines_change_nothing_and_hours_per_weekday(app: App, chat: Transcript) -> None:
    out = await chat("/as admin", "/rules", "[Business calendar]", "[Add or change days]")
    out = await chat("2026-12-05 work\n2026-13-40 off")
    assert "nothing was changed" in out and "2026-13-40" in out
    async with app.sessions() as s:
        assert await s.get(CalendarDay, date(2026, 12, 5)) is None
    out = await chat("[Back]", "[Hours of a weekday]", "[Saturday]", "10:00-12:00")
    assert "Saturday: 10:00–12:00" in out
    rules = await app.rulebook.load(app.sessions)
    cal = sla.BusinessCalendar(rules.business_hours, TZ)
    assert cal.is_business_time(datetime(2026, 12, 5, 11, 0, tzinfo=TZ))
    assert not cal.is_business_time(datetime(2026, 12, 5, 13, 0, tzinfo=TZ))
    out = await chat("[Hours of a weekday]", "[Saturday]", "17:00-09:00")
    assert "Nothing was changed" in out


async def test_make_up_days_and_the_december_reminder(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        assert await calendar.seed_year(s, app.rules.business_hours, 2026) == "official"
        assert await calendar.seed_year(s, app.rules.business_hours, 2027) == "library"
    rules = await app.rulebook.load(app.sessions)
    cal = sla.BusinessCalendar(rules.business_hours, TZ)
    assert cal.is_business_day(date(2026, 2, 14))  # a Saturday made a working day (调休)
    assert not cal.is_business_day(date(2026, 10, 6))  # National Day
    # Monday 2026-12-07: next year is only the library's guess, so the admin is reminded once.
    out = await chat("@clock 2026-12-07T09:00")
    assert "[to admin] 📅" in out and "2027" in out
    out = await chat("@clock +1h")
    assert "[to admin] 📅" not in out
    await chat("/as admin", "/rules", "[Business calendar]", "[Add or change days]")
    await chat("2027-02-07 work 春节调休")
    async with app.sessions() as s:
        assert await calendar.year_source(s, 2027) == "admin"
        rows = (await s.scalars(select(CalendarDay).where(CalendarDay.source == "admin"))).all()
        assert len(rows) == 1
    out = await chat("@clock 2026-12-14T09:00")
    assert "[to admin] 📅" not in out


async def test_calendar_in_chinese_make_up_day_moves_a_deadline_earlier(
    app: App, chat: Transcript
) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Ticket).values(status="closed"))
        await s.execute(
            update(helpers.Staff).where(helpers.Staff.handle == "admin").values(locale="zh_CN")
        )
    # Friday 16:00: a working day's time runs into Monday, unless Saturday is a working day.
    await chat("@clock 2026-12-04T16:00")
    before = await _complaint_due(chat, app, "customer6", "T-2026-000004")
    assert before.date() == date(2026, 12, 7)
    out = await chat(
        "/as admin", "/rules", "[营业日历]", "[添加或修改日期]", "2026年12月5日 班 补班"
    )
    assert "已保存1天" in out
    after = await _complaint_due(chat, app, "customer6", "T-2026-000005")
    assert after.date() == date(2026, 12, 5)
    out = await chat("/as admin", "[删除日期]", "2026-12-05")
    assert "已删除" in out


async def test_a_library_guess_is_replaced_once_the_official_schedule_is_known(
    app: App, monkeypatch: object
) -> None:
    from crm.models import CalendarDay as Day

    async with app.sessions() as s, s.begin():
        assert await calendar.seed_year(s, app.rules.business_hours, 2027) == "library"
        assert await calendar.seed_year(s, app.rules.business_hours, 2027) is None
    official = ({date(2027, 2, 8): "Spring Festival"}, {date(2027, 2, 20): "Spring Festival"})
    monkeypatch.setattr(sla, "_chinese_calendar", lambda year: official)  # type: ignore[attr-defined]
    async with app.sessions() as s, s.begin():
        assert await calendar.seed_year(s, app.rules.business_hours, 2027) == "official"
    async with app.sessions() as s:
        rows = (await s.scalars(select(Day).where(Day.day >= date(2027, 1, 1)))).all()
        assert {(r.day, r.kind, r.source) for r in rows} == {
            (date(2027, 2, 8), "off", "official"),
            (date(2027, 2, 20), "work", "official"),
        }


async def test_calendar_imported_from_a_file(app: App, chat: Transcript, tmp_path: Path) -> None:
    from crm.models import CalendarDay as Day

    csv = tmp_path / "holidays-2027.csv"
    csv.write_text("2027-02-06,off,春节\n2027-02-07,work,春节调休\n", encoding="utf-8")
    await chat("/as admin", "/rules", "[Business calendar]", "[Add or change days]")
    out = await chat(f"@doc {csv}")
    assert "Saved 2 days" in out
    async with app.sessions() as s:
        rows = (await s.scalars(select(Day).where(Day.source == "import"))).all()
        assert sorted((r.day.isoformat(), r.kind) for r in rows) == [
            ("2027-02-06", "off"),
            ("2027-02-07", "work"),
        ]
        assert await calendar.year_source(s, 2027) == "import"
