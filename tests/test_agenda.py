"""The rep's day: /today, the morning push, /losing and monthly visit plans, via the console.

rep2 (Lucy Chen) reads English: her transcripts are asserted on English fragments. rep1 and the
manager read Chinese: for them the tests look at rows and at who got a message.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.app import App
from bot.i18n import Renderer
from bot.types import T
from crm.enums import Role
from crm.models import AuditLog, Customer, FollowUp, Staff, Visit, VisitPlan
from crm.services.plans import parse_targets
from tests.conftest import Transcript
from tests.helpers import customer as _customer
from tests.helpers import outbox as _outbox
from tests.helpers import press as _press
from tests.helpers import staff as _staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
DENIED = T("That is not available to you. Nothing was changed.")


def _to(out: str, handle: str) -> list[str]:
    """The messages in a transcript sent to one person (first lines)."""
    return [line for line in out.splitlines() if line.startswith(f"[to {handle}]")]


async def _add_rep(app: App, handle: str, tg: int, **fields: object) -> Staff:
    manager = await _staff(app, "manager")
    async with app.sessions() as s, s.begin():
        rep = Staff(
            handle=handle,
            tg_user_id=tg,
            name=fields.pop("name", handle),
            role=Role.SALES,
            locale="en",
            team="east",
            manager_id=manager.id,
            timezone="Asia/Shanghai",
            **fields,
        )
        s.add(rep)
    return rep


async def _log_visit(app: App, handle: str, customer_name: str) -> None:
    """A visit logged now (the guided flow itself is tested in test_flows.py)."""
    staff, customer = await _staff(app, handle), await _customer(app, customer_name)
    async with app.sessions() as s, s.begin():
        s.add(
            Visit(
                customer_id=customer.id,
                staff_id=staff.id,
                kind="onsite",
                outcome="talked about the tariff",
                visited_at=app.clock.now(),
            )
        )


# ---------------------------------------------------------------- /today


async def test_today_shows_overdue_followup_and_key_customers(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "/today")
    assert "Today" in out
    assert "Follow-ups" in out
    # The seeded overdue follow-up, with its ✅ button.
    assert "⚠️ overdue since Mon 30 Nov 13:00: Acme Logistics" in out
    assert "✅ Acme Logistics" in out
    # Acme (class A, last visit 15 Sep) is past its 14-day cadence.
    assert "Key customers to visit" in out
    assert "Acme Logistics · Class A: 77 days since the last visit" in out
    # No plan yet and no claim of hers lapses within 7 days: those sections are left out.
    assert "Visit plan" not in out
    assert "Claims about to lapse" not in out
    out = await chat("[✅ Acme Logistics]")
    assert "Marked done: follow-up with Acme Logistics." in out


async def test_today_says_so_when_the_day_is_empty(app: App, chat: Transcript) -> None:
    await _add_rep(app, "rep3", 1010, name="Sam Ho")
    out = await chat("/as rep3", "/today")
    assert "Nothing due today" in out


async def test_today_lists_claims_about_to_lapse(app: App, chat: Transcript) -> None:
    lotus = await _customer(app, "Lotus Spa")  # rep2's, stage proposal
    async with app.sessions() as s, s.begin():
        await s.execute(
            update(Customer)
            .where(Customer.id == lotus.id)
            .values(claim_expires_at=app.clock.now() + timedelta(days=3))
        )
    out = await chat("/as rep2", "/today")
    assert "Claims about to lapse" in out
    assert "Lotus Spa: claim ends Fri 4 Dec 09:00" in out
    assert "📇 Lotus Spa" in out


# ---------------------------------------------------------------- the morning push


async def test_morning_push_once_per_rep_and_day(app: App, chat: Transcript) -> None:
    rep1, rep2 = await _staff(app, "rep1"), await _staff(app, "rep2")
    out = await chat("/as rep2", "@clock 2026-12-02T08:31")
    rows = await _outbox(app, "agenda:")
    assert sorted(r.dedupe_key for r in rows) == sorted(
        [f"agenda:{rep1.id}:2026-12-02", f"agenda:{rep2.id}:2026-12-02"]
    )
    assert all(r.status == "sent" for r in rows)
    # Exactly one each; rep1 reads Chinese, so count the messages sent to his chat.
    assert out.count("[to rep2] ☀️ Good morning, Lucy Chen! Your day, Wed 2 Dec 2026:") == 1
    assert [r.chat_id for r in rows].count(rep1.tg_user_id) == 1
    assert any(line.startswith("[to rep1] ☀️") for line in _to(out, "rep1"))
    # Neither the manager (owns no customers), the admin nor the agent gets one.
    assert not any(line.startswith("[to manager] ☀️") for line in out.splitlines())
    agenda = out[out.index("[to rep2] ☀️") :]
    assert "⚠️ overdue since Mon 30 Nov 13:00: Acme Logistics" in agenda
    assert "Acme Logistics · Class A" in agenda
    assert "sent late" not in agenda.split("[to ", 2)[1]
    # Later the same morning: nothing new.
    out = await chat("@clock +1h", "@clock +2h")
    assert "Good morning" not in out and "☀️" not in out
    assert len(await _outbox(app, "agenda:")) == 2
    # The next morning, one again; queued 15 minutes after 08:30 it says it is late.
    out = await chat("@clock 2026-12-03T08:45")
    assert out.count("[to rep2] ☀️ Good morning") == 1
    assert "(sent late: the bot was not running at the due time)" in out
    assert len(await _outbox(app, "agenda:")) == 4
    assert len(await _outbox(app, f"agenda:{rep1.id}:2026-12-03")) == 1


async def test_push_window_follows_each_reps_time_zone(app: App, chat: Transcript) -> None:
    rep2 = await _staff(app, "rep2")
    async with app.sessions() as s, s.begin():
        await s.execute(update(Staff).where(Staff.id == rep2.id).values(timezone="Europe/London"))
    # 13:00 in Shanghai (05:00 in London): past noon for rep1, too early for rep2.
    out = await chat("/as rep2", "@clock +4h")
    assert "☀️" not in out
    # 08:29 in Shanghai: not yet for rep1 either.
    out = await chat("@clock 2026-12-02T08:29")
    assert "☀️" not in out
    out = await chat("@clock 2026-12-02T08:30")
    assert any(line.startswith("[to rep1] ☀️") for line in out.splitlines())
    assert "[to rep2] ☀️" not in out
    # 16:40 in Shanghai is 08:40 in London: rep2's morning, her date.
    out = await chat("@clock 2026-12-02T16:40")
    assert out.count("[to rep2] ☀️ Good morning") == 1
    assert "Wed 2 Dec 2026" in out
    assert len(await _outbox(app, f"agenda:{rep2.id}:2026-12-02")) == 1


async def test_nothing_due_still_gets_a_short_note(app: App, chat: Transcript) -> None:
    await _add_rep(app, "rep3", 1010, name="Sam Ho")
    out = await chat("/as rep3", "@clock 2026-12-02T08:35")
    notes = [line for line in _to(out, "rep3")]
    assert len(notes) == 1
    assert "Good morning, Sam Ho! Nothing is due today" in notes[0]


async def test_manager_who_owns_customers_gets_an_agenda(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    atlas = await _customer(app, "Atlas Print")
    async with app.sessions() as s, s.begin():
        await s.execute(update(Customer).where(Customer.id == atlas.id).values(owner_id=manager.id))
    out = await chat("/as manager", "@clock 2026-12-02T08:31")
    assert len(await _outbox(app, f"agenda:{manager.id}:2026-12-02")) == 1
    assert any(line.startswith("[to manager] ☀️") for line in out.splitlines())


# ---------------------------------------------------------------- /losing


async def test_losing_lists_class_a_customer_past_cadence(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "/losing")
    assert "Losing touch" in out
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("• "))
    # Class A first: Acme's last visit was 77 days ago, its cadence is 14 days.
    assert lines[first] == "• Acme Logistics · Class A · 77 days since the last visit · Lucy Chen"
    # Pooled customers she may see are there too; rep1's and recently visited ones are not.
    assert "· team pool" in out
    assert "东方钢铁集团" not in out
    assert "Blue River Hotel" not in out
    assert "[1] Acme Logistics · A" in out
    out = await chat("[Acme Logistics]")
    assert "Acme Logistics" in out and "Class A" in out
    # A visit today takes Acme off the list.
    await _log_visit(app, "rep2", "Acme Logistics")
    out = await chat("/losing")
    assert "Acme Logistics" not in out


async def test_manager_sees_the_teams_losing_list(app: App, chat: Transcript) -> None:
    out = await chat("/as manager", "/losing")
    # rep1's key customer never visited, and rep2's class A customer.
    assert "东方钢铁集团" in out
    assert "Acme Logistics" in out
    dongfang = await _customer(app, "东方钢铁集团")
    assert f"card:{dongfang.id}" in {t.payload for t in chat.demo.channel.last_buttons[1002]}


# ---------------------------------------------------------------- /plan


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        ("A4 B6 C10", {"A": 4, "B": 6, "C": 10}),
        ("A 4, B 6, C 10", {"A": 4, "B": 6, "C": 10}),
        ("A类4 B类6 C类10", {"A": 4, "B": 6, "C": 10}),
        ("a2，c0", {"A": 2, "C": 0}),
        ("Ａ４　Ｂ６", {"A": 4, "B": 6}),
        ("A: 3; B=1", {"A": 3, "B": 1}),
    ],
)
def test_plan_targets_are_read(text: str, targets: dict[str, int]) -> None:
    parsed = parse_targets(text)
    assert parsed.problem is None
    assert parsed.targets == targets


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("lots", "unreadable"),
        ("A4 B", "unreadable"),
        ("D4", "unreadable"),
        ("A4 B6 C10 extra", "unreadable"),
        ("A-1", "negative"),
        ("A4 A5", "duplicate"),
        ("A4000", "too_large"),
    ],
)
def test_bad_plan_targets_are_refused(text: str, problem: str) -> None:
    assert parse_targets(text).problem == problem


async def _plan(app: App, handle: str) -> dict[str, int]:
    staff = await _staff(app, handle)
    async with app.sessions() as s:
        rows = await s.scalars(
            select(VisitPlan).where(VisitPlan.staff_id == staff.id, VisitPlan.month == "2026-12")
        )
        return {p.customer_class: p.target for p in rows}


async def test_manager_sets_plan_and_rep_sees_completion(app: App, chat: Transcript) -> None:
    manager, rep2 = await _staff(app, "manager"), await _staff(app, "rep2")
    out = await chat("/as manager", "/plan")
    # Both reps of the team, each with a set (✏️) and a view (📊) button; Lucy Chen first.
    payloads = [t.payload for t in chat.demo.channel.last_buttons[1002]]
    assert payloads[:2] == [f"plan_set:{rep2.id}", f"plan_of:{rep2.id}"]
    assert "Lucy Chen" in out and "张伟" in out
    out = await chat("[1]", "A2 B3 C5")
    assert await _plan(app, "rep2") == {"A": 2, "B": 3, "C": 5}
    told = _to(out, "rep2")
    assert told == ["[to rep2] 📋 李经理 set your visit plan for 2026-12: A 2 · B 3 · C 5"]
    async with app.sessions() as s:
        audit = await s.scalar(select(AuditLog).where(AuditLog.action == "plan.set"))
    assert audit is not None and audit.actor_id == manager.id and audit.entity_id == rep2.id
    assert audit.changes["new"] == {"A": 2, "B": 3, "C": 5}

    out = await chat("/as rep2", "/plan")
    assert "Your visit plan for 2026-12" in out
    assert "Class A: 0/2 visits (0%)" in out
    await _log_visit(app, "rep2", "Acme Logistics")
    out = await chat("/plan")
    assert "Class A: 1/2 visits (50%)" in out
    assert "Class B: 0/3 visits (0%)" in out
    assert "Overall: 10% of the plan" in out
    out = await chat("/today")
    assert "Visit plan for 2026-12" in out
    assert "A 1/2 · B 0/3 · C 0/5 — 10% done" in out

    # The manager views her completion.
    out = await _press(chat, app, "manager", f"plan_of:{rep2.id}")
    assert "Lucy Chen" in out and "1/2" in out


async def test_bad_targets_are_refused_and_the_step_kept(app: App, chat: Transcript) -> None:
    zh = Renderer("zh_CN", SHANGHAI)
    await chat("/as manager", "/plan", "[1]")
    for bad in ("A-1", "A4 A5", "lots of visits"):
        out = await chat(bad)
        assert len(_to(out, "manager")) == 1
        assert await _plan(app, "rep2") == {}
    # Chinese class names; the plan replaces the month's previous one entirely.
    await chat("A类4 B类6 C类10")
    assert await _plan(app, "rep2") == {"A": 4, "B": 6, "C": 10}
    await chat("/plan", "[1]", "A 5, B 6")
    assert await _plan(app, "rep2") == {"A": 5, "B": 6}
    # A staff id that is not a rep of the team is refused.
    out = await _press(chat, app, "manager", "plan_set:99999")
    assert zh(DENIED) in out


async def test_only_leads_set_plans_and_only_for_their_reps(app: App, chat: Transcript) -> None:
    rep1, agent = await _staff(app, "rep1"), await _staff(app, "agent")
    await chat("/as rep2")
    out = await _press(chat, app, "rep2", f"plan_set:{rep1.id}")
    assert "not available to you" in out
    zh = Renderer("zh_CN", SHANGHAI)
    out = await _press(chat, app, "manager", f"plan_set:{agent.id}")
    assert zh(DENIED) in out
    # A rep's /plan shows her own plan only, without buttons.
    out = await chat("/plan")
    assert "No visit plan is set for 2026-12 yet." in out
    assert "Visits this month: A 0 · B 0 · C 0" in out


async def test_followup_due_list_ignores_done_ones(app: App, chat: Transcript) -> None:
    rep2 = await _staff(app, "rep2")
    async with app.sessions() as s, s.begin():
        await s.execute(update(FollowUp).where(FollowUp.staff_id == rep2.id).values(status="done"))
    out = await chat("/as rep2", "/today")
    assert "Follow-ups" not in out
    assert "Key customers to visit" in out
