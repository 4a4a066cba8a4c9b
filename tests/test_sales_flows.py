"""Field-sales flows through the console, as a rep would use them (rep2 reads English)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import App
from bot.types import Inbound
from crm.enums import Role
from crm.models import Contact, Customer, CustomerChange, FollowUp, OutboxMessage, Staff, Visit
from crm.services import invites
from tests.conftest import Transcript


async def one(app: App, model: type, *where):  # type: ignore[no-untyped-def]
    async with app.sessions() as s:
        return await s.scalar(select(model).where(*where))


async def count(app: App, model: type, *where) -> int:
    async with app.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def test_guided_visit_with_checkin_contacts_and_edit(app: App, chat: Transcript) -> None:
    out = await chat(
        "/as rep2",
        "/visit",
        "Acme",
        "[On-site]",
        "[Quote]",
        "wants a quote for 2 transformers",
        "[王经理]",
        "[Done]",
        "@loc 31.233,121.473",
        "@photo gate.jpg",
        "[Done]",
        "in 3 days",
    )
    assert "Visit · step 8 of 8" in out
    assert "Met: 王经理" in out and "Photos: 1" in out
    assert "📍 Checked in 0 m from the customer's address" in out
    # Edit one field and come straight back to the card.
    out = await chat("[Edit]", "[Outcome]", "wants a quote for 3 transformers")
    assert "Visit · step 8 of 8" in out and "3 transformers" in out
    out = await chat("[Save]")
    assert "Saved: visit to Acme Logistics." in out and "Fri 4 Dec 09:00" in out
    v = await one(app, Visit, Visit.outcome == "wants a quote for 3 transformers")
    assert v.kind == "onsite" and v.purpose == "quote" and v.contacts_met == "王经理"
    assert v.photo_ids == ["file:gate.jpg"] and v.distance_m is not None and not v.far_from_address


async def test_checkin_far_from_the_address_is_flagged(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/visit", "Acme", "[On-site]", "[Quote]", "x", "[Skip]")
    out = await chat("@loc 31.253,121.473", "[Done]", "[No follow-up]")
    assert "⚠️" in out and "2" in out
    await chat("[Save]")
    v = await one(app, Visit, Visit.outcome == "x")
    assert v.far_from_address and v.distance_m > 2000


async def test_pin_outside_a_flow_offers_nearby_customers(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "@loc 31.233,121.473")
    assert "Check in at which customer?" in out
    assert "Acme Logistics · 0 m" in out
    # rep1's customers nearby are not offered to rep2.
    assert "国际会展中心" not in out
    out = await chat("[Acme]")
    assert "Visit · step 2 of 8" in out
    out = await chat("/cancel", "@loc 10.0,10.0")
    assert "None of your customers is within 500 m" in out


async def test_back_goes_one_step_back_and_keeps_the_draft(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/visit", "Acme", "[On-site]", "[Quote]", "first try")
    out = await chat("[Back]")
    assert "step 4 of 8" in out
    out = await chat("[Back]", "[Back]")
    assert "step 2 of 8" in out


async def test_duplicate_customer_by_phone_and_name(app: App, chat: Transcript) -> None:
    acme = await one(app, Customer, Customer.name == "Acme Logistics")
    out = await chat("/as rep2", "/newcustomer", "ACME logistics", acme.phone)
    assert "is already registered by Lucy Chen" in out
    out = await chat("[Use the existing]")
    assert "Acme Logistics · Class A" in out
    before = await count(app, Customer)
    out = await chat("/newcustomer", "华能电厂", "[Skip]")
    assert "is already registered by 张伟" in out
    out = await chat("[Ask the manager]")
    assert "I asked your manager" in out and "[to manager]" in out
    assert await count(app, Customer) == before


async def test_new_customer_inline_from_a_visit(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "/visit", "Zephyr Wind Farm")
    assert "No customer of yours matches" in out
    out = await chat("[Register]", "13700001111", "[B]")
    assert "Saved: new customer Zephyr Wind Farm." in out and "Visit · step 2 of 8" in out
    c = await one(app, Customer, Customer.name == "Zephyr Wind Farm")
    assert c.phone == "+8613700001111" and c.customer_class == "B"
    rep2 = await one(app, Staff, Staff.handle == "rep2")
    assert c.owner_id == rep2.id and c.created_by == rep2.id
    assert c.claim_expires_at == app.clock.now() + timedelta(days=60)


async def test_bad_phone_is_refused(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "/newcustomer", "Tiny Shop", "call me maybe")
    assert "does not look like a phone number" in out
    out = await chat("📞📞📞")
    assert "does not look like a phone number" in out


async def test_stage_change_lost_with_reason_and_won_with_amount(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as rep2", "/customers Sunrise", "[Sunrise]", "[Stage]", "[lost]")
    assert "Why was it lost?" in out
    out = await chat("[competitor]")
    assert "stage is now “lost”" in out
    c = await one(app, Customer, Customer.name == "Sunrise Foods")
    ch = await one(app, CustomerChange, CustomerChange.customer_id == c.id)
    assert (ch.field, ch.new_value, ch.reason, ch.changed_by) == ("stage", "lost", "competitor", 4)
    out = await chat("[Stage]", "[won]", "lots")
    assert "as a number" in out
    out = await chat("20万")
    assert "stage is now “won”" in out
    # 85,000 + 200,000 crosses the key-customer threshold: class A is suggested.
    assert "suggest class A" in out


async def test_class_change_keeps_history(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/customers Harbor", "[Harbor]", "[Class]", "[B]", "new branch opened")
    c = await one(app, Customer, Customer.name == "Harbor Cafe")
    assert c.customer_class == "B"
    ch = await one(app, CustomerChange, CustomerChange.customer_id == c.id)
    assert (ch.old_value, ch.new_value, ch.reason) == ("C", "B", "new branch opened")


async def test_contact_with_lunar_birthday(app: App, chat: Transcript) -> None:
    out = await chat(
        "/as rep2",
        "/customers Harbor",
        "[Harbor]",
        "[Add contact]",
        "Mei Lin",
        "[decision maker]",
        "[Skip]",
        "someday",
    )
    assert "could not read that as a birthday" in out
    out = await chat("农历八月十五")
    assert "Saved: Mei Lin (decision maker)." in out
    contact = await one(app, Contact, Contact.name == "Mei Lin")
    assert contact.birthday_lunar and (contact.birthday.month, contact.birthday.day) == (8, 15)


async def test_reminder_snooze_and_pick_a_time(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "@clock +3h")
    assert out.count("Follow-up due: Blue River Hotel") == 1
    out = await chat("[In 1 hour]")
    assert "Snoozed until Tue 1 Dec 13:00" in out
    out = await chat("@clock +59m")
    assert "Follow-up due" not in out
    out = await chat("@clock +1m")
    assert out.count("Follow-up due: Blue River Hotel") == 1
    out = await chat("[Pick a time]", "yesterday")
    assert "already passed" in out
    out = await chat("2026-12-10 16:00")
    assert "Moved to Thu 10 Dec 16:00" in out
    fu = await one(app, FollowUp, FollowUp.due_at == app.clock.now().replace(day=10, hour=8))
    assert fu is not None and fu.reminded_at is None


async def test_reminder_is_delivered_once_across_a_restart(app: App, chat: Transcript) -> None:
    from scheduler.runner import run_due

    app.clock.advance(timedelta(hours=4))  # the bot was down when it fell due
    assert await run_due(app.sessions, app.clock, app.settings.tz, app.rules) >= 1
    # A restart runs the jobs again: nothing is queued twice.
    assert await run_due(app.sessions, app.clock, app.settings.tz, app.rules) == 0
    rows = await count(app, OutboxMessage, OutboxMessage.dedupe_key.like("fu-remind:%"))
    out = await chat("/as rep2", "@clock +1m")
    assert out.count("Follow-up due: Blue River Hotel") == 1
    assert "sent late" in out
    assert await count(app, OutboxMessage, OutboxMessage.dedupe_key.like("fu-remind:%")) == rows


async def test_forged_buttons_on_another_reps_customer(app: App, chat: Transcript) -> None:
    theirs = await one(app, Customer, Customer.name == "华能电厂")
    await chat("/as rep2")
    for payload in (
        f"stage:{theirs.id}",
        f"cls:{theirs.id}",
        f"contact_add:{theirs.id}",
        f"edit:{theirs.id}",
        f"fu_add:{theirs.id}",
        "~visit.customer:" + str(theirs.id),
    ):
        replies = await app.engine.handle(
            Inbound(
                channel="console",
                update_id=abs(hash(payload)) % 10**9,
                chat_id=1004,
                user_id=1004,
                callback=payload,
            )
        )
        assert replies and (
            "not available" in replies[0].text or "no longer valid" in replies[0].text
        )
    assert (await one(app, Customer, Customer.id == theirs.id)).stage == theirs.stage


async def test_staff_invite_single_use_and_expiry(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        token = await invites.create(
            s, now=app.clock.now(), ttl_hours=72, role=Role.SALES, name="New Rep", manager_id=2
        )
        old = await invites.create(
            s, now=app.clock.now() - timedelta(hours=73), ttl_hours=72, role=Role.SALES, name="Late"
        )
    out = await chat("/as newbie", f"/start {token}")
    assert "signed in as" in out or "身份" in out
    staff = await one(app, Staff, Staff.name == "New Rep")
    assert staff.role == "sales" and staff.manager_id == 2 and staff.team == "east"
    out = await chat("/as someone", f"/start {token}")
    assert "already been used" in out or "已被使用" in out
    out = await chat(f"/start {old}")
    assert "expired" in out or "过期" in out
    out = await chat("/start not-a-token")
    assert "not valid" in out or "无效" in out
    assert await count(app, Staff, Staff.name == "Late") == 0


async def test_manager_acts_on_the_teams_customers(app: App, chat: Transcript) -> None:
    out = await chat("/as manager", "/customers 华能", "[华能电厂]")
    assert "📈" in out
    out = await chat("[📈]", "[3]")
    c = await one(app, Customer, Customer.name == "华能电厂")
    assert await count(app, CustomerChange, CustomerChange.customer_id == c.id) == 1


async def test_service_agent_sees_but_cannot_change_a_customer(app: App, chat: Transcript) -> None:
    out = await chat("/as agent", "/customers 华能", "[华能电厂]")
    assert "华能电厂" in out and "📈" not in out
    c = await one(app, Customer, Customer.name == "华能电厂")
    replies = await app.engine.handle(
        Inbound(
            channel="console", update_id=991, chat_id=1005, user_id=1005, callback=f"stage:{c.id}"
        )
    )
    assert replies and "📈" not in replies[0].text
    assert await count(app, CustomerChange) == 0


def test_cli_invite_prints_a_deep_link(tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.cli import main

    monkeypatch.setenv("CRM_BOT_USERNAME", "crm_bot")  # no bot has run against this database

    db = f"sqlite+aiosqlite:///{tmp_path / 'i.db'}"
    assert main(["migrate", "--db", db]) == 0
    capsys.readouterr()
    assert main(["invite", "--role", "sales", "--name", "Zhao", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("https://t.me/crm_bot?start=")
    token = out[0].split("start=")[1]
    assert 20 <= len(token) <= 64 and token in out[1]
    assert main(["invite", "--role", "sales", "--db", db]) == 2  # a name is needed
    assert (
        main(["invite", "--role", "sales", "--name", "X", "--manager", "nobody", "--db", db]) == 2
    )
    import sqlite3

    rows = sqlite3.connect(tmp_path / "i.db").execute("select token_hash from invite").fetchall()
    assert len(rows) == 1 and token not in rows[0][0]


async def test_one_message_draft_survives_a_restart(app: App, chat: Transcript) -> None:
    from bot.app import build_app
    from bot.demo import Demo

    out = await chat("/as rep2", "visited Acme, met Li, they want a quote, follow up Friday 3pm")
    assert "Visit · step 8 of 8" in out
    before = await count(app, Visit)
    # The process dies; a new one starts on the same database and the rep presses Save.
    restarted = build_app(app.settings, app.rules, app.clock)
    try:
        lines: list[str] = []
        demo = Demo(restarted, app.clock, lines.append)
        demo.channel.last_buttons = chat.demo.channel.last_buttons
        await demo.run(["/as rep2", "[Save]"])
        assert "Saved: visit to Acme Logistics." in "\n".join(lines)
    finally:
        await restarted.close()
    assert await count(app, Visit) == before + 1


async def test_photo_with_caption_is_a_visit_report(app: App, chat: Transcript) -> None:
    from bot.types import Inbound

    replies = await app.engine.handle(
        Inbound(
            channel="console",
            update_id=5151,
            chat_id=1004,
            user_id=1004,
            text="visited Acme, met Li, site survey done",
            photo_ids=("file:site.jpg",),
        )
    )
    assert "Photos: 1" in replies[-1].text and "site survey done" in replies[-1].text
    replies = await app.engine.handle(
        Inbound(channel="console", update_id=5152, chat_id=1003, user_id=1003, voice_id="v1")
    )
    assert "voice" in replies[0].text or "语音" in replies[0].text


async def test_ambiguous_customer_offers_candidates(app: App, chat: Transcript) -> None:
    from crm.services.customers import new_customer

    rep2 = await one(app, Staff, Staff.handle == "rep2")
    async with app.sessions() as s, s.begin():
        s.add(new_customer("Acme Print", owner_id=rep2.id, team="east", customer_class="C"))
    out = await chat("/as rep2", "visited Acme, met Li, quote discussed")
    # The reading asks only which customer (issue 17), keeping the rest of the message.
    assert "Which customer do you mean?" in out
    assert "Acme Logistics" in out and "Acme Print" in out
    out = await chat("[Acme Print]")
    assert "Visit to Acme Print" in out and "Outcome: quote discussed" in out
