"""The leaderboard (issue 7, item 2): every column worked out from seeded rows, ties sharing a
rank, reps with nothing listed; shown through the summary's 🏆 button for a day of its own."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.app import App
from bot.channels.console import plain
from bot.i18n import Renderer
from bot.types import Money, Raw, T
from crm.models import Customer, CustomerChange, FollowUp, Staff, Ticket, Visit
from crm.services import digest as svc
from tests.conftest import Transcript
from tests.helpers import customer as _customer
from tests.helpers import press as _press
from tests.helpers import staff as _staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEC_2 = date(2026, 12, 2)  # the demo's tomorrow: nothing is seeded on it
_ZH = Renderer("zh_CN", SHANGHAI)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=SHANGHAI)


# rep → (visits, follow-ups as (due, done), ratings of their requests) on 2 December.
WORK = {
    "rep1": (1, [(at(2, 10), at(2, 20))], [5]),
    # One done a day late (not on time), one on time.
    "rep2": (1, [(at(1, 10), at(2, 9)), (at(2, 12), at(2, 13))], [3]),
}


def on_time(followups: list[tuple[datetime, datetime]]) -> int:
    """Done by the end of the local day it was due."""
    return sum(1 for due, done in followups if done.date() <= due.date())


async def test_leaderboard_columns_ties_and_empty_rows(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    customer = await _customer(app, "华能电厂")
    async with app.sessions() as s, s.begin():
        s.add(Staff(handle="rep3", tg_user_id=1098, name="Zhou Min", role="sales", team="east"))
        for n, (handle, (visits, followups, ratings)) in enumerate(WORK.items()):
            rep = await _staff(app, handle)
            for v in range(visits):
                s.add(
                    Visit(
                        customer_id=customer.id,
                        staff_id=rep.id,
                        kind="phone",
                        visited_at=at(2, 10 + v),
                    )
                )
            for due, done in followups:
                s.add(
                    FollowUp(
                        customer_id=customer.id,
                        staff_id=rep.id,
                        due_at=due,
                        status="done",
                        done_at=done,
                        created_at=at(1, 8),
                    )
                )
            for k, stars in enumerate(ratings):
                s.add(
                    Ticket(
                        number=f"T-2026-8{n}{k:04d}",
                        customer_id=customer.id,
                        kind="inquiry",
                        status="resolved",
                        owner_id=rep.id,
                        text="seeded",
                        created_at=at(1, 10),
                        resolved_at=at(2, 9),
                        rating=stars,
                        rated_at=at(2, 15),
                    )
                )
    period = svc.period_of(svc.DAY, DEC_2, SHANGHAI)
    async with app.sessions() as s:
        rows = await svc.leaderboard(s, manager, period, app.clock.now())
    got = {r.staff.name: r for r in rows}
    names = {"rep1": "张伟", "rep2": "Lucy Chen"}
    for handle, (visits, followups, ratings) in WORK.items():
        row = got[names[handle]]
        assert (row.visits, row.followups_on_time) == (visits, on_time(followups))
        assert (row.rating, row.ratings) == (sum(ratings) / len(ratings), len(ratings))
        assert (row.won, row.new_customers) == (0, 0)
    # Equal on every ranked column (the rating does not rank): both first, then the empty row.
    assert [(r.rank, r.staff.name) for r in rows] == [
        (1, "Lucy Chen"),
        (1, "张伟"),
        (3, "Zhou Min"),
    ]

    await chat("/as manager")
    out = await _press(chat, app, "manager", f"dg_top:{manager.id}:{period.code}")
    for row in rows:
        rating = Raw("—") if row.rating is None else Raw(f"{row.rating:.1f}")
        line = T(
            "{rank}. {name}: visits {visits} · new customers {new} · deals won {won} "
            "({amount}) · follow-ups on time {followups} · rating {rating}",
            rank=row.rank,
            name=row.staff.name,
            visits=row.visits,
            new=row.new_customers,
            won=row.won,
            amount=Money(row.won_amount),
            followups=row.followups_on_time,
            rating=rating,
        )
        assert plain(_ZH(line)) in out
    assert "Zhou Min" in out and "—" in out


async def test_a_deal_breaks_the_tie(app: App, chat: Transcript) -> None:
    manager = await _staff(app, "manager")
    rep1 = await _staff(app, "rep1")
    async with app.sessions() as s, s.begin():
        c = await s.get(Customer, (await _customer(app, "华能电厂")).id)
        assert c is not None
        s.add(
            CustomerChange(
                customer_id=c.id,
                field="stage",
                old_value="proposal",
                new_value="won",
                amount=1000,
                changed_by=rep1.id,
                changed_at=at(2, 11),
            )
        )
    period = svc.period_of(svc.DAY, DEC_2, SHANGHAI)
    async with app.sessions() as s:
        rows = await svc.leaderboard(s, manager, period, app.clock.now())
    assert [(r.rank, r.staff.name, r.won) for r in rows] == [(1, "张伟", 1), (2, "Lucy Chen", 0)]


async def test_an_admins_board_ranks_each_team_on_its_own(app: App, chat: Transcript) -> None:
    admin, manager = await _staff(app, "admin"), await _staff(app, "manager")
    async with app.sessions() as s, s.begin():
        rep = Staff(handle="rep9", tg_user_id=1099, name="Wu Bo", role="sales", team="west")
        s.add(rep)
        await s.flush()
        c = Customer(name="西部机械厂", customer_class="B", owner_id=rep.id, team="west")
        s.add(c)
        await s.flush()
        s.add(Visit(customer_id=c.id, staff_id=rep.id, kind="onsite", visited_at=at(2, 10)))
    period = svc.period_of(svc.DAY, DEC_2, SHANGHAI)
    async with app.sessions() as s:
        everyone = await svc.leaderboard(s, admin, period, app.clock.now())
        team = await svc.leaderboard(s, manager, period, app.clock.now())
    # One board across teams would put Wu Bo first and the east reps second.
    assert [(r.rank, r.staff.name) for r in everyone] == [
        (1, "Wu Bo"),
        (2, "Lucy Chen"),
        (2, "张伟"),
    ]
    assert [(t, [(r.rank, r.staff.name) for r in rows]) for t, rows in svc.per_team(everyone)] == [
        ("east", [(1, "Lucy Chen"), (1, "张伟")]),
        ("west", [(1, "Wu Bo")]),
    ]
    assert "Wu Bo" not in {r.staff.name for r in team}

    await chat("/as admin")
    out = await _press(chat, app, "admin", f"dg_top:{admin.id}:{period.code}")
    east, west = out.index("Team east"), out.index("Team west")
    assert east < out.index("1. Lucy Chen") < out.index("1. 张伟") < west < out.index("1. Wu Bo")
    await chat("/as manager")
    out = await _press(chat, app, "manager", f"dg_top:{manager.id}:{period.code}")
    assert "Wu Bo" not in out
    assert plain(_ZH(T("<b>Team {team}</b>", team=Raw("east")))) not in out
