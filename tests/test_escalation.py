"""The service desk's time limits at work: breach alerts, after-hours complaints, rating reminders.

Tickets are made as rows (created at the clock's time, deadlines from crm.sla) and the demo clock
is moved; each move runs the scheduler. The demo opens on Tue 1 Dec 2026 09:00 (Asia/Shanghai),
business hours 09:00-17:30. rep1 and the manager read Chinese, so for them the tests look at
outbox rows and at who got a message; the admin, rep2 and customer2 read English.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.app import App
from crm import sla
from crm.enums import Role, TicketKind, TicketStatus
from crm.models import Customer, CustomerUser, OutboxMessage, Staff, Ticket
from crm.services import tickets as ticket_svc
from tests.conftest import Transcript
from tests.helpers import customer as _customer
from tests.helpers import staff as _staff


async def _cuser(app: App, handle: str) -> CustomerUser:
    async with app.sessions() as s:
        found = await s.scalar(select(CustomerUser).where(CustomerUser.handle == handle))
        assert found is not None
        return found


async def _ticket(
    app: App, customer: str | None, kind: str = TicketKind.COMPLAINT, **values: Any
) -> Ticket:
    """A ticket received now, with the deadlines a new one gets."""
    now = app.clock.now()
    c = await _customer(app, customer) if customer else None
    first, resolve = sla.deadlines(
        app.rules, kind, c.customer_class if c else None, now, app.settings.tz
    )
    async with app.sessions() as s, s.begin():
        fields: dict[str, Any] = dict(
            customer_id=c.id if c else None,
            kind=kind,
            text="停电通知太晚了",
            status=TicketStatus.NEW,
            owner_id=c.owner_id if c else None,
            created_at=now,
            first_response_due=first,
            resolution_due=resolve,
        )
        t = Ticket(number=await ticket_svc.next_number(s, now.year), **(fields | values))
        s.add(t)
    return t


async def _update(app: App, ticket_id: int, **values: Any) -> None:
    async with app.sessions() as s, s.begin():
        t = await s.get(Ticket, ticket_id)
        assert t is not None
        for k, v in values.items():
            setattr(t, k, v)


async def _keys(app: App, *prefixes: str) -> list[str]:
    async with app.sessions() as s:
        rows = await s.scalars(select(OutboxMessage.dedupe_key).order_by(OutboxMessage.id))
        return [k for k in rows if k.startswith(prefixes)]


async def _rows(app: App, prefix: str) -> list[OutboxMessage]:
    async with app.sessions() as s:
        rows = await s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.startswith(prefix))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


def _about(out: str, handle: str, number: str) -> list[str]:
    """The messages that person got about that ticket."""
    return [
        line for line in out.splitlines() if line.startswith(f"[to {handle}]") and number in line
    ]


def _shanghai(text: str, app: App) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=app.settings.tz)


async def _add_staff(app: App, handle: str, tg: int, role: Role, team: str) -> Staff:
    async with app.sessions() as s, s.begin():
        staff = Staff(
            handle=handle,
            tg_user_id=tg,
            name=handle,
            role=role,
            locale="en",
            team=team,
            timezone="Asia/Shanghai",
        )
        s.add(staff)
    return staff


async def test_breach_alerts_the_manager_once_then_the_admins_at_twice_the_target(
    app: App, chat: Transcript
) -> None:
    manager, admin, rep1 = [await _staff(app, h) for h in ("manager", "admin", "rep1")]
    # 明珠酒店 is rep1's class B customer: a complaint at 09:00 is due an answer at 10:00 and a
    # resolution by 17:30 (one working day).
    t = await _ticket(app, "明珠酒店")
    assert t.owner_id == rep1.id
    assert t.first_response_due == _shanghai("2026-12-01T10:00", app)
    assert t.resolution_due == _shanghai("2026-12-01T17:30", app)
    first, admin_first = f"sla-breach:{t.id}:first:", f"sla-admin:{t.id}:first:"

    out = await chat("/as rep2", "@clock 2026-12-01T10:00")
    assert await _keys(app, f"sla-breach:{t.id}:", f"sla-admin:{t.id}:") == []
    assert not _about(out, "manager", t.number)

    out = await chat("@clock +1m")
    assert await _keys(app, f"sla-breach:{t.id}:", f"sla-admin:{t.id}:") == [f"{first}{manager.id}"]
    (row,) = await _rows(app, first)
    assert row.chat_id == manager.tg_user_id and row.status == "sent"
    assert [b[1] for r in row.payload["buttons"] for b in r] == [f"tk:{t.id}"]
    assert len(_about(out, "manager", t.number)) == 1
    # The owner is told too (its own key), and nobody else.
    assert [line.split("：")[0] for line in _about(out, "rep1", t.number)] == [
        "[to rep1] ⏰ 已超时"
    ]
    assert len(await _keys(app, f"sla-due:{t.id}:first:")) == 1
    for handle in ("admin", "rep2", "agent"):
        assert not _about(out, handle, t.number), handle

    # Twice the target (an hour late) goes to the admins, once.
    out = await chat("@clock 2026-12-01T10:59")
    assert not await _keys(app, admin_first) and not _about(out, "admin", t.number)
    out = await chat("@clock 2026-12-01T11:00")
    assert await _keys(app, admin_first) == [f"{admin_first}{admin.id}"]
    assert _about(out, "admin", t.number) == [
        f"[to admin] 🚨 Twice the time allowed and still no first answer: Complaint {t.number} "
        "from customer 明珠酒店 was due Tue 1 Dec 10:00."
    ]
    assert "Responsible: 张伟." in out and "[1] View request" in out
    assert not _about(out, "manager", t.number)

    # Nothing more on later ticks.
    out = await chat("@clock +1h", "@clock +2h")
    assert not _about(out, "manager", t.number) and not _about(out, "admin", t.number)
    assert len(await _keys(app, f"sla-breach:{t.id}:", f"sla-admin:{t.id}:")) == 2

    # An answer at last; the resolution is still late at 17:31, and twice late on Wed at 17:30.
    await _update(app, t.id, first_response_at=app.clock.now(), status=TicketStatus.IN_PROGRESS)
    out = await chat("@clock 2026-12-01T17:31")
    assert await _keys(app, f"sla-breach:{t.id}:resolve:") == [
        f"sla-breach:{t.id}:resolve:{manager.id}"
    ]
    assert len(_about(out, "manager", t.number)) == 1
    out = await chat("@clock 2026-12-02T17:29")
    assert not await _keys(app, f"sla-admin:{t.id}:resolve:")
    out = await chat("@clock 2026-12-02T17:30")
    assert _about(out, "admin", t.number) == [
        f"[to admin] 🚨 Twice the time allowed and still not resolved: Complaint {t.number} "
        "from customer 明珠酒店 was due Tue 1 Dec 17:30."
    ]
    out = await chat("@clock +1d")
    assert not _about(out, "manager", t.number) and not _about(out, "admin", t.number)
    assert await _keys(app, f"sla-breach:{t.id}:", f"sla-admin:{t.id}:") == [
        f"sla-breach:{t.id}:first:{manager.id}",
        f"sla-admin:{t.id}:first:{admin.id}",
        f"sla-breach:{t.id}:resolve:{manager.id}",
        f"sla-admin:{t.id}:resolve:{admin.id}",
    ]


async def test_answered_and_resolved_in_time_is_never_escalated(app: App, chat: Transcript) -> None:
    t = await _ticket(app, "Blue River Hotel", TicketKind.INQUIRY)
    await _update(
        app,
        t.id,
        first_response_at=app.clock.now() + timedelta(minutes=30),
        status=TicketStatus.IN_PROGRESS,
    )
    await chat("/as rep2", "@clock 2026-12-01T17:00")
    assert not await _keys(app, f"sla-breach:{t.id}:", f"sla-admin:{t.id}:")
    await _update(app, t.id, resolved_at=app.clock.now(), status=TicketStatus.RESOLVED)
    out = await chat("@clock 2026-12-05T10:00")
    assert not await _keys(app, f"sla-breach:{t.id}:", f"sla-admin:{t.id}:")
    assert t.number not in out


async def test_fault_reports_breach_around_the_clock(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    await chat("/as rep2", "@clock 2026-12-05T23:00")  # a Saturday night
    t = await _ticket(app, "Blue River Hotel", TicketKind.FAULT)
    assert t.first_response_due == _shanghai("2026-12-05T23:30", app)
    out = await chat("@clock 2026-12-05T23:31")
    assert await _keys(app, f"sla-breach:{t.id}:") == [f"sla-breach:{t.id}:first:{manager.id}"]
    assert len(_about(out, "manager", t.number)) == 1
    out = await chat("@clock 2026-12-06T00:00")
    assert _about(out, "admin", t.number) == [
        f"[to admin] 🚨 Twice the time allowed and still no first answer: Fault report "
        f"{t.number} from customer Blue River Hotel was due Sat 5 Dec 23:30."
    ]


async def test_who_is_alerted_without_an_owner(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    west = await _add_staff(app, "boss2", 1020, Role.MANAGER, "west")
    # A pool customer of the west team: its team's manager, not the east one.
    async with app.sessions() as s, s.begin():
        atlas = await s.scalar(select(Customer).where(Customer.name == "Atlas Print"))
        assert atlas is not None and atlas.owner_id is None
        atlas.team = "west"
    pooled = await _ticket(app, "Atlas Print", TicketKind.INQUIRY)
    # A rep without a manager_id: the managers of the rep's team.
    rep2 = await _staff(app, "rep2")
    async with app.sessions() as s, s.begin():
        (await s.get(Staff, rep2.id)).manager_id = None  # type: ignore[union-attr]
    teams = await _ticket(app, "Blue River Hotel", TicketKind.INQUIRY)
    # Nobody known at all (not linked to a customer): every active manager.
    unlinked = await _ticket(app, None, TicketKind.INQUIRY)
    assert pooled.owner_id is None and unlinked.customer_id is None

    out = await chat("/as rep2", "@clock 2026-12-01T13:01")
    assert await _keys(app, f"sla-breach:{pooled.id}:") == [
        f"sla-breach:{pooled.id}:first:{west.id}"
    ]
    assert await _keys(app, f"sla-breach:{teams.id}:") == [
        f"sla-breach:{teams.id}:first:{manager.id}"
    ]
    assert sorted(await _keys(app, f"sla-breach:{unlinked.id}:")) == sorted(
        [
            f"sla-breach:{unlinked.id}:first:{manager.id}",
            f"sla-breach:{unlinked.id}:first:{west.id}",
        ]
    )
    assert _about(out, "boss2", pooled.number) == [
        f"[to boss2] ⏰ No first answer yet: Inquiry {pooled.number} from customer Atlas Print "
        "was due Tue 1 Dec 13:00."
    ]
    assert "Nobody has taken it yet." in out
    assert _about(out, "boss2", unlinked.number) == [
        f"[to boss2] ⏰ No first answer yet: Inquiry {unlinked.number} from a new contact "
        "was due Tue 1 Dec 13:00."
    ]
    # Told once per ticket, not once per recipient: a new chain of command is not re-alerted.
    async with app.sessions() as s, s.begin():
        (await s.get(Customer, atlas.id)).team = "east"  # type: ignore[union-attr]
    out = await chat("@clock +1h")
    assert await _keys(app, f"sla-breach:{pooled.id}:") == [
        f"sla-breach:{pooled.id}:first:{west.id}"
    ]
    assert not _about(out, "manager", pooled.number)


async def test_after_hours_complaint_reaches_owner_and_manager_at_opening(
    app: App, chat: Transcript
) -> None:
    rep1, manager = await _staff(app, "rep1"), await _staff(app, "manager")
    await chat("/as rep2", "@clock 2026-12-01T20:00")
    night = await _ticket(app, "明珠酒店")
    answered = await _ticket(app, "新华印刷厂")
    inquiry = await _ticket(app, "百佳超市", TicketKind.INQUIRY)
    assert night.first_response_due == _shanghai("2026-12-02T10:00", app)

    out = await chat("@clock 2026-12-02T07:00")
    await _update(app, answered.id, first_response_at=app.clock.now())
    out += await chat("@clock 2026-12-02T08:59")
    assert not await _keys(app, *(f"after-hours:{x.id}:" for x in (night, answered, inquiry)))
    assert not _about(out, "rep1", night.number) and not _about(out, "manager", night.number)

    out = await chat("@clock 2026-12-02T09:00")
    rows = await _rows(app, f"after-hours:{night.id}:")
    assert sorted(r.dedupe_key for r in rows) == sorted(
        [f"after-hours:{night.id}:{rep1.id}", f"after-hours:{night.id}:{manager.id}"]
    )
    assert sorted(r.chat_id for r in rows) == sorted([rep1.tg_user_id, manager.tg_user_id])
    assert all(r.status == "sent" for r in rows)
    assert len(_about(out, "rep1", night.number)) == 1
    assert len(_about(out, "manager", night.number)) == 1
    # Answered before the opening, or not a complaint: nothing.
    for other in (answered, inquiry):
        assert not await _keys(app, f"after-hours:{other.id}:")
    assert not _about(out, "rep1", answered.number)

    out = await chat("@clock +30m", "@clock +2h")
    assert len(await _keys(app, *(f"after-hours:{x.id}:" for x in (night, answered, inquiry)))) == 2
    # The after-hours note is not repeated (the owner's breach note is another message).
    assert not [line for line in _about(out, "rep1", night.number) if "🌙" in line]
    # A complaint received in business hours is not an after-hours one.
    day = await _ticket(app, "明珠酒店")
    await chat("@clock 2026-12-03T09:00")
    assert not await _keys(app, f"after-hours:{day.id}:")


async def test_after_hours_complaint_to_an_english_owner(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "@clock 2026-12-04T19:00")  # a Friday evening
    t = await _ticket(app, "Blue River Hotel")
    out = await chat("@clock 2026-12-05T10:00", "@clock 2026-12-06T10:00")
    assert not _about(out, "rep2", t.number)
    out = await chat("@clock 2026-12-07T09:00")
    assert _about(out, "rep2", t.number) == [
        f"[to rep2] 🌙 Complaint {t.number} from customer Blue River Hotel came in outside "
        "working hours, at Fri 4 Dec 19:00."
    ]
    assert "Please answer it first thing: the first answer is due Mon 7 Dec 10:00." in out


async def test_a_public_holiday_is_outside_business_hours(app: App, chat: Transcript) -> None:
    rep1, manager = await _staff(app, "rep1"), await _staff(app, "manager")
    # National Day, 1-7 October 2026 (the seeded tickets lie in this test's future).
    app.clock.set(_shanghai("2026-10-01T10:00", app))
    t = await _ticket(app, "明珠酒店")
    assert t.first_response_due == _shanghai("2026-10-08T10:00", app)

    out = await chat("/as rep2", "@clock 2026-10-01T10:30", "@clock 2026-10-07T17:00")
    out += await chat("@clock 2026-10-08T08:59")
    assert not await _keys(app, f"after-hours:{t.id}:", f"sla-breach:{t.id}:")
    assert not _about(out, "rep1", t.number) and not _about(out, "manager", t.number)

    out = await chat("@clock 2026-10-08T09:00")
    assert sorted(await _keys(app, f"after-hours:{t.id}:")) == sorted(
        [f"after-hours:{t.id}:{rep1.id}", f"after-hours:{t.id}:{manager.id}"]
    )
    assert len(_about(out, "rep1", t.number)) == 1
    assert not await _keys(app, f"sla-breach:{t.id}:")
    await chat("@clock 2026-10-08T10:01")
    assert await _keys(app, f"sla-breach:{t.id}:") == [f"sla-breach:{t.id}:first:{manager.id}"]


async def test_rating_reminder_once(app: App, chat: Transcript) -> None:
    cu = await _cuser(app, "customer2")  # English, linked to 国际会展中心
    assert cu.locale == "en"
    now = app.clock.now()
    t = await _ticket(
        app,
        "国际会展中心",
        TicketKind.INQUIRY,
        customer_user_id=cu.id,
        status=TicketStatus.RESOLVED,
        first_response_at=now,
        resolved_at=now,
    )
    rated = await _ticket(
        app,
        "国际会展中心",
        TicketKind.INQUIRY,
        customer_user_id=cu.id,
        status=TicketStatus.RESOLVED,
        first_response_at=now,
        resolved_at=now,
        rating=4,
        rated_at=now,
    )
    out = await chat("/as rep2", "@clock 2026-12-02T08:59")
    assert not await _keys(app, "rate-remind:") and "[to customer2]" not in out

    out = await chat("@clock 2026-12-02T09:00")
    assert await _keys(app, "rate-remind:") == [f"rate-remind:{t.id}"]
    (row,) = await _rows(app, f"rate-remind:{t.id}")
    assert row.chat_id == cu.tg_user_id
    assert [b[1] for r in row.payload["buttons"] for b in r] == [
        f"rate:{t.id}:{n}" for n in range(1, 6)
    ]
    assert [line for line in out.splitlines() if line.startswith("[to customer2]")] == [
        f"[to customer2] Your request {t.number} was resolved on Tue 1 Dec 09:00. How satisfied "
        "are you with our service?"
    ]
    assert "Tap a rating: 1 = very unsatisfied, 5 = very satisfied." in out
    assert not await _keys(app, f"rate-remind:{rated.id}")

    out = await chat("@clock +1h", "@clock +1d")
    assert "[to customer2]" not in out
    assert await _keys(app, "rate-remind:") == [f"rate-remind:{t.id}"]


async def test_rating_reminder_waits_out_the_quiet_hours(app: App, chat: Transcript) -> None:
    cu = await _cuser(app, "customer2")
    await chat("/as rep2", "@clock 2026-12-01T22:00")
    t = await _ticket(
        app,
        "国际会展中心",
        TicketKind.INQUIRY,
        customer_user_id=cu.id,
        status=TicketStatus.RESOLVED,
        first_response_at=app.clock.now(),
        resolved_at=app.clock.now(),
    )
    out = await chat("@clock 2026-12-02T22:30", "@clock 2026-12-03T07:59")
    assert "[to customer2]" not in out and not await _keys(app, f"rate-remind:{t.id}")
    out = await chat("@clock 2026-12-03T08:00")
    assert await _keys(app, f"rate-remind:{t.id}") == [f"rate-remind:{t.id}"]
    assert out.count("[to customer2] Your request") == 1


async def test_a_second_pass_queues_nothing(app: App, chat: Transcript) -> None:
    from scheduler import ticket_jobs

    await chat("/as rep2", "@clock 2026-12-01T20:00")
    await _ticket(app, "明珠酒店")
    await _ticket(app, None, TicketKind.FAULT)
    app.clock.set(_shanghai("2026-12-02T12:00", app))
    args = (app.sessions, app.clock, app.settings.tz, app.rules)
    assert await ticket_jobs.run(*args) > 0
    assert await ticket_jobs.run(*args) == 0
