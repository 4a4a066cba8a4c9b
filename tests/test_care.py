"""Care messages: the calendar (lunar birthdays, holidays), consent and opt-out, birthdays and
holiday greetings from the scheduler, check-ins, the cap and quiet hours.

Seeded customers on Telegram: customer1 华能电厂 (A, consent, zh), customer2 国际会展中心 (B,
consent, en), customer3 Blue River Hotel (B, no consent, zh), customer4 老王面馆 (C, consent,
en), customer5 Nova Dental (C, consent, zh). rep1 owns 华能电厂, 国际会展中心 and 老王面馆.
English texts are asserted for en readers only; zh readers by handle and rows.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lunardate import LunarDate
from pydantic import ValidationError
from sqlalchemy import select, update

from bot.app import App
from bot.types import Inbound
from crm import care_calendar
from crm.clock import ManualClock
from crm.models import (
    AuditLog,
    CareDelivery,
    Contact,
    Customer,
    CustomerUser,
    OutboxMessage,
    Staff,
)
from crm.rules import load_rules
from crm.services import care
from scheduler.runner import run_due
from tests.conftest import Transcript

SHANGHAI = ZoneInfo("Asia/Shanghai")


# ---------------------------------------------------------------- helpers


async def _customer(app: App, name: str) -> Customer:
    async with app.sessions() as s:
        c = await s.scalar(select(Customer).where(Customer.name == name))
        assert c is not None, name
        return c


async def _set(app: App, current: str, /, **values: Any) -> Customer:
    c = await _customer(app, current)
    async with app.sessions() as s, s.begin():
        await s.execute(update(Customer).where(Customer.id == c.id).values(**values))
    return await _customer(app, values.get("name", current))


async def _staff(app: App, handle: str) -> Staff:
    async with app.sessions() as s:
        found = await s.scalar(select(Staff).where(Staff.handle == handle))
        assert found is not None
        return found


async def _deliveries(app: App, prefix: str) -> list[CareDelivery]:
    async with app.sessions() as s:
        rows = await s.scalars(
            select(CareDelivery)
            .where(CareDelivery.dedupe_key.startswith(prefix))
            .order_by(CareDelivery.id)
        )
        return list(rows)


async def _outbox(app: App, prefix: str) -> list[OutboxMessage]:
    async with app.sessions() as s:
        rows = await s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.startswith(prefix))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def _run_at(chat: Transcript, clock: ManualClock, when: str) -> str:
    """Sets the clock (backwards too, unlike `@clock`) and runs a scheduler pass."""
    app = chat.demo.app
    await chat()  # the demo learns the handles of everyone seen so far
    start = len(chat.lines)
    clock.set(datetime.fromisoformat(when).replace(tzinfo=SHANGHAI))
    await run_due(app.sessions, clock, app.settings.tz, app.rules)
    await chat.demo.sender.drain()
    return "\n".join(chat.lines[start:])


def _to(out: str, handle: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"[to {handle}]")]


def _chats(rows: list[OutboxMessage]) -> list[int]:
    return sorted(r.chat_id for r in rows)


# ---------------------------------------------------------------- the calendar (pure)


def test_lunar_birthdays_fall_on_their_lunar_date_each_year() -> None:
    mid_autumn = date(1904, 8, 15)  # lunar 8-15, year unknown (crm.birthdays.NO_YEAR)
    assert LunarDate(2026, 8, 15).to_solar_date() == date(2026, 9, 25)
    assert LunarDate(2027, 8, 15).to_solar_date() == date(2027, 9, 15)
    assert care_calendar.is_birthday(mid_autumn, True, date(2026, 9, 25))
    assert care_calendar.is_birthday(mid_autumn, True, date(2027, 9, 15))
    assert not care_calendar.is_birthday(mid_autumn, True, date(2026, 9, 15))
    assert not care_calendar.is_birthday(mid_autumn, False, date(2026, 9, 25))
    assert (
        care_calendar.birthday_in_year(mid_autumn, True, 2028)
        == LunarDate(2028, 8, 15).to_solar_date()
    )
    # The 30th of a 29-day lunar month is kept on its last day (2026's 8th month has 29 days).
    with pytest.raises(ValueError):
        LunarDate(2026, 8, 30).to_solar_date()
    last = LunarDate(2026, 8, 29).to_solar_date()
    assert care_calendar.is_birthday(date(1980, 8, 30), True, last)
    assert care_calendar.birthday_in_year(date(1980, 8, 30), True, 2026) == last
    # In a 30-day month the 30th is its own day, not the 29th.
    assert LunarDate(2026, 9, 30).to_solar_date() == date(2026, 11, 8)
    assert care_calendar.is_birthday(date(1980, 9, 30), True, date(2026, 11, 8))
    assert not care_calendar.is_birthday(date(1980, 9, 30), True, date(2026, 11, 7))
    # A 12th-month birthday of lunar 2026 falls in solar 2027.
    assert care_calendar.is_birthday(date(1980, 12, 20), True, date(2027, 1, 27))
    # Nobody's lunar birthday is in a leap month (2025 had a leap 6th month).
    leap = LunarDate(2025, 6, 8, True).to_solar_date()
    assert not care_calendar.is_birthday(date(1980, 6, 8), True, leap)
    assert care_calendar.is_birthday(date(1980, 6, 8), True, LunarDate(2025, 6, 8).to_solar_date())
    # A solar 29 February is kept on the 28th in a common year.
    assert care_calendar.is_birthday(date(2000, 2, 29), False, date(2027, 2, 28))
    assert care_calendar.is_birthday(date(2000, 2, 29), False, date(2028, 2, 29))
    assert not care_calendar.is_birthday(date(2000, 2, 29), False, date(2028, 2, 28))


def test_holidays_are_greeted_on_their_first_day() -> None:
    def on(day: date) -> list[str]:
        return care_calendar.holidays_beginning("CN", day)

    assert on(date(2026, 2, 17)) == ["Chinese New Year (Spring Festival)"]
    assert on(date(2026, 2, 18)) == []
    assert on(date(2026, 6, 19)) == ["Dragon Boat Festival"]
    assert on(date(2026, 9, 25)) == ["Mid-Autumn Festival"]
    assert on(date(2027, 9, 15)) == ["Mid-Autumn Festival"]
    assert on(date(2026, 10, 1)) == ["National Day"]
    # Later days, "(observed)" days after a weekend, and substitute days off are no occasion.
    for day in (date(2026, 10, 2), date(2026, 10, 5), date(2026, 10, 6), date(2026, 9, 24)):
        assert on(day) == [], day
    assert care_calendar.holidays_beginning("CN", date(2026, 4, 5), ["Tomb-Sweeping Day"]) == []
    assert care_calendar.holidays_beginning("", date(2026, 10, 1)) == []


def test_care_rules_are_validated(tmp_path: Path) -> None:
    rules = load_rules()
    assert rules.care.cadence_days == {"A": 30}
    assert (rules.care.cap_count, rules.care.cap_days) == (4, 30)
    assert rules.care.send_at.isoformat() == "09:30:00"
    f = tmp_path / "rules.toml"
    f.write_text("[care]\ncadence_days = {B = 60}\ncap_count = 2\n")
    merged = load_rules(f)
    assert merged.care.cadence_days == {"A": 30, "B": 60} and merged.care.cap_count == 2
    for bad in ("cadence_days = {D = 30}", "cadence_days = {A = -1}", "cap_count = 0"):
        f.write_text(f"[care]\n{bad}\n")
        with pytest.raises(ValidationError) as err:
            load_rules(f)
        assert "care" in str(err.value)


def test_template_placeholders() -> None:
    assert care.template_problem("Hello {name} of {company}, {rep} here. {{literal}}") is None
    assert care.template_problem("Hello {nmae}") == ("unknown", "{nmae}")
    assert care.template_problem("Hello {name!r}") == ("unknown", "{name!r}")
    assert care.template_problem("Hello {}") == ("unknown", "{}")
    assert care.template_problem("Hello {name") == ("braces", "")
    assert care.template_problem("Hello name}") == ("braces", "")
    assert care.fill("{name} · {company} · {rep} {{x}}", name="A", company="B", rep="C") == (
        "A · B · C {x}"
    )


def test_quiet_hours_end() -> None:
    rules = load_rules()
    quiet = rules.quiet_hours
    at = datetime(2026, 12, 1, 22, 0, tzinfo=SHANGHAI)
    assert care.quiet_until(at, quiet, SHANGHAI) == datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
    early = datetime(2026, 12, 2, 7, 0, tzinfo=SHANGHAI)
    assert care.quiet_until(early, quiet, SHANGHAI) == datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
    assert care.quiet_until(at.replace(hour=9), quiet, SHANGHAI) is None


# ---------------------------------------------------------------- birthdays


async def test_lunar_birthday_on_the_right_day_in_two_years(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    # customer2's 国际会展中心 made a person customer born on lunar 8-15.
    anna = await _set(
        app,
        "国际会展中心",
        name="Anna Li",
        is_company=False,
        birthday=date(1904, 8, 15),
        birthday_lunar=True,
    )
    rep1 = await _staff(app, "rep1")
    who = f"c{anna.id}"

    out = await _run_at(chat, clock, "2026-09-24T09:30")
    assert not await _deliveries(app, "care:birthday:")
    assert "birthday" not in out.lower()

    out = await _run_at(chat, clock, "2026-09-25T09:30")
    assert "[to customer2] 🎂 Happy birthday, Anna Li!" in out
    (row,) = await _deliveries(app, "care:birthday:2026-09-25:")
    assert (row.dedupe_key, row.kind, row.customer_id) == (
        f"care:birthday:2026-09-25:{who}:2002",
        "birthday",
        anna.id,
    )
    (headsup,) = await _outbox(app, "care:birthday-rep:2026-09-25:")
    assert headsup.chat_id == rep1.tg_user_id and "Anna Li" in headsup.payload["text"]
    assert [b[1] for row_ in headsup.payload["buttons"] for b in row_] == [f"card:{anna.id}"]
    assert [line for line in _to(out, "rep1") if "Anna Li" in line]
    # The greeting carries the opt-out button.
    (greeting,) = await _outbox(app, "care:birthday:2026-09-25:")
    assert greeting.payload["buttons"] == [[["🔕 No more greetings", f"care_off:{anna.id}"]]]

    # A second pass the same day sends nothing again.
    out = await _run_at(chat, clock, "2026-09-25T15:00")
    assert "Happy birthday" not in out
    assert len(await _outbox(app, "care:birthday")) == 2

    # The next year the same lunar date is 15 September (lunardate says so too).
    assert LunarDate(2027, 8, 15).to_solar_date() == date(2027, 9, 15)
    out = await chat("/as customer2", "@clock 2027-09-14T10:00")
    assert "Happy birthday" not in out
    out = await chat("@clock 2027-09-15T09:45")
    assert "[to customer2] 🎂 Happy birthday, Anna Li!" in out
    assert [d.dedupe_key for d in await _deliveries(app, "care:birthday:2027")] == [
        f"care:birthday:2027-09-15:{who}:2002"
    ]
    # By then rep1's claim has lapsed: a customer in the pool has no owner to tell.
    assert (await _customer(app, "Anna Li")).owner_id is None
    assert not await _outbox(app, "care:birthday-rep:2027-09-15:")


async def test_contact_birthdays_and_the_owners_heads_up(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    rep1 = await _staff(app, "rep1")
    wang = await _customer(app, "老王面馆")  # customer4's, rep1's, consent
    hn = await _customer(app, "华能电厂")  # rep1's
    async with app.sessions() as s, s.begin():
        boss = Contact(
            customer_id=wang.id, name="Boss Wang", birthday=date(1975, 12, 2), tg_user_id=2004
        )
        engineer = Contact(customer_id=hn.id, name="刘工", birthday=date(1980, 12, 2))
        s.add_all([boss, engineer])
    # 09:00 is before the send time: nothing yet.
    out = await chat("/as customer4", "@clock 2026-12-02T09:00")
    assert "Happy birthday" not in out
    out = await chat("@clock 2026-12-02T09:30")
    assert _to(out, "customer4") == [
        "[to customer4] 🎂 Happy birthday, Boss Wang! Wishing you health, joy and a wonderful "
        "year ahead."
    ]
    told = await _outbox(app, "care:birthday-rep:2026-12-02:")
    assert [r.chat_id for r in told] == [rep1.tg_user_id, rep1.tg_user_id]
    texts = " ".join(r.payload["text"] for r in told)
    assert "Boss Wang" in texts and "刘工" in texts
    # The contact without Telegram got no greeting; only the one with it is a delivery.
    assert [d.dedupe_key for d in await _deliveries(app, "care:birthday:")] == [
        f"care:birthday:2026-12-02:k{boss.id}:2004"
    ]


async def test_birthday_without_consent_only_tells_the_owner(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    # customer3's Blue River Hotel (rep2's, no consent) as a person with a birthday today.
    blue = await _set(
        app, "Blue River Hotel", name="Tom Blue", is_company=False, birthday=date(1990, 12, 1)
    )
    out = await chat("/as rep2", "@clock +1h")
    assert not _to(out, "customer3")
    assert not await _deliveries(app, "care:birthday:")
    assert (
        "[to rep2] 🎂 Today is Tom Blue's birthday.\nThe bot sent them no greeting (not on "
        "Telegram, or no consent to care messages): a call or a message from you would be "
        "welcome." in out
    )
    assert "[1] 📇 Open card" in out
    assert blue.care_consent is False


# ---------------------------------------------------------------- holidays


async def test_mid_autumn_greetings_on_the_day(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    out = await _run_at(chat, clock, "2026-09-24T09:30")
    assert not await _deliveries(app, "care:holiday:")
    out = await _run_at(chat, clock, "2026-09-25T09:00")  # before the send time
    assert not await _deliveries(app, "care:holiday:")
    out = await _run_at(chat, clock, "2026-09-25T09:30")
    rows = await _outbox(app, "care:holiday:2026-09-25:")
    # Every customer who agreed and is on Telegram; not Blue River Hotel (customer3).
    assert _chats(rows) == [2001, 2002, 2004, 2005]
    assert "[to customer2] 🥮 Happy Mid-Autumn Festival, customer2!" in out
    assert "[to customer4] 🥮 Happy Mid-Autumn Festival, customer4!" in out
    assert _to(out, "customer1") and _to(out, "customer5") and not _to(out, "customer3")
    for r in rows:
        assert r.payload["buttons"][0][0][1].startswith("care_off:")
    deliveries = await _deliveries(app, "care:holiday:2026-09-25:")
    assert {d.kind for d in deliveries} == {"holiday"} and len(deliveries) == 4
    # Once: a later pass that day sends nothing more.
    out = await _run_at(chat, clock, "2026-09-25T16:00")
    assert "Mid-Autumn" not in out
    assert len(await _outbox(app, "care:holiday:")) == 4
    # National Day has its own greeting; its later days none.
    out = await _run_at(chat, clock, "2026-10-01T10:00")
    assert "[to customer2] 🎊 Happy National Day, customer2!" in out
    out = await _run_at(chat, clock, "2026-10-02T10:00")
    assert "National Day" not in out


async def test_the_days_greetings_wait_for_the_quiet_hours_to_end_or_lapse(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    # A pass after the evening's quiet hours began leaves the day's greeting unsent.
    await _run_at(chat, clock, "2026-09-25T21:30")
    assert not await _deliveries(app, "care:holiday:")
    out = await _run_at(chat, clock, "2026-09-26T08:30")
    assert not await _deliveries(app, "care:holiday:") and "Mid-Autumn" not in out


# ---------------------------------------------------------------- consent


async def test_opted_out_customer_gets_none_until_start_care(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    wang = await _customer(app, "老王面馆")
    out = await chat("/as customer4", "/stop_care")
    assert "[to customer4] 🔕 Done: you will get no more greetings or care messages from us." in out
    assert "Service notices, such as planned outages, still reach you." in out
    assert "[1] 🔔 Greetings back on" in out
    assert (await _customer(app, "老王面馆")).care_consent is False
    async with app.sessions() as s:
        audit = await s.scalar(
            select(AuditLog).where(
                AuditLog.action == "customer.care_consent", AuditLog.entity_id == wang.id
            )
        )
    assert audit is not None and audit.changes["source"] == "bot:/stop_care"
    out = await chat("/stop_care")
    assert "already off" in out

    # Mid-Autumn: everyone else who agreed gets it, customer4 not.
    out = await _run_at(chat, clock, "2026-09-25T09:30")
    assert not _to(out, "customer4")
    assert 2004 not in _chats(await _outbox(app, "care:holiday:"))
    assert _to(out, "customer2")

    # Back in with /start_care: consent with time and source, and the next greeting arrives.
    out = await chat("/start_care")
    assert "[to customer4] 🔔 Thank you! You will receive our greetings" in out
    wang = await _customer(app, "老王面馆")
    assert wang.care_consent is True
    assert wang.consent_at == clock.now() and wang.consent_source == "bot:/start_care"
    out = await _run_at(chat, clock, "2026-10-01T10:00")
    assert "[to customer4] 🎊 Happy National Day, customer4!" in out

    # The button under it opts out again.
    out = await chat("[No more greetings]")
    assert "[to customer4] 🔕 Done" in out
    assert (await _customer(app, "老王面馆")).care_consent is False
    out = await chat("[Greetings back on]")
    assert "Thank you!" in out
    wang = await _customer(app, "老王面馆")
    assert wang.care_consent is True and wang.consent_source == "bot:button"


async def test_consent_buttons_are_reauthorised(app: App, chat: Transcript) -> None:
    hn = await _customer(app, "华能电厂")  # customer1's, not customer4's
    await chat("/as customer4")
    out = await _press_as(chat, 2004, f"care_off:{hn.id}")
    assert "That is not available to you" in out
    for payload in ("care_off:abc", "care_off:99999"):
        out = await _press_as(chat, 2004, payload)
        assert "no longer valid" in out or "not available to you" in out
    # Staff have no such button.
    rep2 = await _staff(app, "rep2")
    assert rep2.tg_user_id is not None
    out = await _press_as(chat, rep2.tg_user_id, f"care_off:{hn.id}")
    assert "That is not available to you" in out
    assert (await _customer(app, "华能电厂")).care_consent is True
    # customer6 is linked to no customer: nothing to stop.
    out = await chat("/as customer6", "/stop_care")
    assert len(_to(out, "customer6")) == 1
    async with app.sessions() as s:
        cu = await s.scalar(select(CustomerUser).where(CustomerUser.handle == "customer6"))
        assert cu is not None and cu.customer_id is None


async def _press_as(chat: Transcript, tg: int, payload: str) -> str:
    """Sends a callback from that Telegram user (a forged one, or an old button)."""
    app = chat.demo.app
    start = len(chat.lines)
    inbound = Inbound(
        channel="console", update_id=secrets.randbits(62), chat_id=tg, user_id=tg, callback=payload
    )
    for out in await app.engine.handle(inbound):
        await chat.demo.channel.send(out)
    await chat.demo.sender.drain()
    return "\n".join(chat.lines[start:])


# ---------------------------------------------------------------- check-ins


async def test_class_a_checkin_monthly(app: App, chat: Transcript, clock: ManualClock) -> None:
    hn = await _customer(app, "华能电厂")  # class A, consent, customer1
    out = await chat("/as rep1", "@clock 2026-12-01T09:20")
    assert not await _deliveries(app, "care:cadence:")
    out = await chat("@clock 2026-12-01T09:30")
    (row,) = await _deliveries(app, "care:cadence:")
    assert row.customer_id == hn.id and row.dedupe_key.endswith(":2001")
    assert _to(out, "customer1")
    (msg,) = await _outbox(app, "care:cadence:")
    assert "张伟" in msg.payload["text"]  # signed by the account manager
    # Nothing more until 30 days have passed since.
    await chat("@clock 2026-12-15T10:00", "@clock 2026-12-30T10:00")
    assert len(await _deliveries(app, "care:cadence:")) == 1
    await chat("@clock 2026-12-31T10:00")
    assert len(await _deliveries(app, "care:cadence:")) == 2


async def test_checkins_need_consent(app: App, chat: Transcript) -> None:
    await _set(app, "华能电厂", care_consent=False)
    out = await chat("/as rep1", "@clock +2h")
    assert not await _deliveries(app, "care:cadence:")
    assert not _to(out, "customer1")


async def test_cap_holds_the_fifth_greeting(app: App, chat: Transcript, clock: ManualClock) -> None:
    """Three greetings to customer2 (en) within 30 days (birthday, Mid-Autumn, National Day),
    then two greeting campaigns: the fourth message goes, the fifth is held; a notice is not."""
    anna = await _set(
        app,
        "国际会展中心",
        name="Anna Li",
        is_company=False,
        customer_class="A",
        birthday=date(1904, 8, 15),
        birthday_lunar=True,
    )
    out = await _run_at(chat, clock, "2026-09-25T09:30")  # birthday and Mid-Autumn
    assert "Happy birthday, Anna Li" in out and "Happy Mid-Autumn Festival, customer2" in out
    out = await _run_at(chat, clock, "2026-10-01T09:30")  # National Day
    assert "[to customer2] 🎊 Happy National Day" in out
    # No check-in for class A: the greetings count as care within the 30 days.
    assert not [d for d in await _deliveries(app, "care:cadence:") if d.customer_id == anna.id]
    async with app.sessions() as s:
        counts = await care.care_counts(s, [anna.id], clock.now() - timedelta(days=30))
    assert counts == {anna.id: 3}

    # Two greetings composed by the admin for class A, then an outage notice.
    from tests.test_campaigns import compose

    # A minute apart: the admin's typing stays under the flood limit (30 updates a minute).
    await compose(chat, "[Greeting]", "Dear {name}, happy autumn!", when="[Now]")
    clock.advance(timedelta(minutes=1))
    await compose(chat, "[Greeting]", "Dear {name}, a second one!", when="[Now]")
    clock.advance(timedelta(minutes=1))
    await compose(chat, "[outage]", "Power off on Friday, {company}.", when="[Now]")
    out = await _run_at(chat, clock, "2026-10-01T10:00")
    assert "[to customer2] Dear customer2, happy autumn!" in out
    assert "[to customer2] Dear customer2, a second one!" not in out
    assert "Power off on Friday, Anna Li." in out  # notices are exempt
    statuses = {
        d.dedupe_key.split(":")[2]: d.status
        for d in await _deliveries(app, "care:camp:")
        if d.customer_id == anna.id
    }
    assert sorted(statuses.values()) == ["held_cap", "queued", "queued"]
    async with app.sessions() as s:
        counts = await care.care_counts(s, [anna.id], clock.now() - timedelta(days=30))
    assert counts == {anna.id: 4}
    out = await chat("/as admin", "/campaigns")
    assert "held by cap 1" in out
