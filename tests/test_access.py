"""The customer check and search built once per role (access.can_see_customer, customers.search)
answer exactly as the SQL condition the lists use (access.customer_scope), for every role, team
and owner, None ones too."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from bot.app import App
from crm.enums import Role
from crm.models import Customer, Staff
from crm.services import access
from crm.services.customers import new_customer, search
from tests.helpers import statements


async def test_the_check_and_the_scope_agree_for_everyone(app: App) -> None:
    now = app.clock.now()
    handles = itertools.count()
    async with app.sessions() as s, s.begin():

        def person(role: Role, team: str | None, manager: Staff | None = None) -> Staff:
            staff = Staff(
                handle=f"acc{next(handles)}",
                name="x",
                role=role,
                team=team,
                manager_id=manager.id if manager else None,
                created_at=now,
            )
            s.add(staff)
            return staff

        boss_east, boss_none = person(Role.MANAGER, "east"), person(Role.MANAGER, None)
        await s.flush()
        people = [
            boss_east,
            boss_none,
            person(Role.ADMIN, None),
            person(Role.SERVICE, "east"),
            person(Role.SALES, "east", boss_east),
            person(Role.SALES, None, boss_none),
            person(Role.SALES, "west", boss_east),  # another team, but this manager's report
            person(Role.SALES, "west"),
            person(Role.CUSTOMER, "east"),  # not staff: sees nothing
        ]
        await s.flush()
        customers = []
        for owner, team in itertools.product([None, *people[4:8]], ["east", "west", None]):
            customers.append(
                new_customer(
                    f"c{len(customers)}",
                    owner_id=owner.id if owner else None,
                    team=team,
                    created_at=now,
                )
            )
        s.add_all(customers)
    checked = 0
    async with app.sessions() as s:
        everyone = list(await s.scalars(select(Staff)))
        all_customers = list(await s.scalars(select(Customer.id)))
        for staff in everyone:
            seen = set(await s.scalars(select(Customer.id).where(access.customer_scope(staff))))
            for cid in all_customers:
                assert await access.can_see_customer(s, staff, cid) == (cid in seen), (
                    staff.role,
                    staff.team,
                    cid,
                )
                # The check that loads the customer with it agrees, and so does the edit one.
                visible = await access.visible_customer(s, staff, cid)
                assert (visible is not None) == (cid in seen)
                editable = await access.editable_customer(s, staff, cid)
                assert (editable is not None) == (cid in seen and staff.role != Role.SERVICE)
                checked += 1
            # Search finds within the same scope (by name here: every name has a "c").
            found = {c.id for c in await search(s, staff, "c", limit=100)}
            assert found == seen, (staff.role, staff.team)
    assert checked == len(people) * len(customers)
    # And the answers are not all the same: the test would catch a check that says yes always.
    async with app.sessions() as s:
        rep = await s.get(Staff, people[7].id)
        assert rep is not None
        answers = {await access.can_see_customer(s, rep, cid) for cid in all_customers}
    assert answers == {True, False}


async def test_a_check_kept_in_the_session_is_forgotten_once_it_writes(app: App) -> None:
    from sqlalchemy import update

    now = app.clock.now()
    async with app.sessions() as s, s.begin():
        rep = Staff(handle="memo", name="x", role=Role.SALES, team="east", created_at=now)
        other = Staff(handle="memo2", name="y", role=Role.SALES, team="west", created_at=now)
        s.add_all([rep, other])
        await s.flush()
        customer = new_customer("丙", owner_id=rep.id, team="east", created_at=now)
        s.add(customer)
        await s.flush()
        assert await access.can_see_customer(s, rep, customer.id)
        customer.owner_id, customer.team = other.id, "west"  # handed over, flushed below
        await s.flush()
        assert not await access.can_see_customer(s, rep, customer.id)
        # A bulk change (as claims' lapse does) is seen too.
        await s.execute(
            update(Customer).where(Customer.id == customer.id).values(owner_id=rep.id, team="east")
        )
        assert await access.can_see_customer(s, rep, customer.id)


async def test_what_search_found_is_not_checked_again(app: App) -> None:
    now = app.clock.now()
    async with app.sessions() as s, s.begin():
        rep = Staff(handle="found", name="x", role=Role.SALES, team="east", created_at=now)
        s.add(rep)
        await s.flush()
        s.add_all(
            new_customer(name, owner_id=rep.id, team="east", created_at=now)
            for name in ("甲电厂", "乙电厂")
        )
    async with app.sessions() as s:
        rep = await s.scalar(select(Staff).where(Staff.handle == "found"))
        assert rep is not None
        found = await search(s, rep, "电厂")
        assert len(found) == 2
        with statements(app) as ran:
            assert all([await access.can_edit_customer(s, rep, c.id) for c in found])
        assert ran == []
        # A customer the search did not return is still asked about.
        with statements(app) as ran:
            assert not await access.can_edit_customer(s, rep, -1)
        assert len(ran) == 1


async def test_who_manages_whom_and_who_claims_what(app: App) -> None:
    """The checks the handlers used to write inline (staff list, claims), now in access."""
    now = app.clock.now()
    async with app.sessions() as s, s.begin():

        def person(
            handle: str, role: Role, team: str | None, manager: Staff | None = None
        ) -> Staff:
            staff = Staff(
                handle=handle,
                name=handle,
                role=role,
                team=team,
                manager_id=manager.id if manager else None,
                created_at=now,
            )
            s.add(staff)
            return staff

        admin, boss = person("t_admin", Role.ADMIN, None), person("t_boss", Role.MANAGER, "east")
        await s.flush()
        mine = person("t_mine", Role.SALES, "west", boss)  # reports to boss, in another team
        east = person("t_east", Role.SALES, "east")
        west = person("t_west", Role.SALES, "west")
        east_admin = person("t_east_admin", Role.ADMIN, "east")
        await s.flush()
        managed = {
            p.handle
            for p in (mine, east, west, east_admin, admin)
            if await access.can_manage_staff(s, boss, p.id)
        }
        assert managed == {"t_mine", "t_east"}
        assert all([await access.can_manage_staff(s, admin, p.id) for p in (boss, west)])
        assert not await access.can_manage_staff(s, east, west.id)  # a rep manages nobody
        assert not await access.can_manage_staff(s, admin, 10**6)

        ours = new_customer("T东方钢铁", team="east", created_at=now)
        nobodys = new_customer("T清风茶社", team=None, created_at=now)
        theirs = new_customer("T红星汽修", owner_id=west.id, team="west", created_at=now)
        s.add_all([ours, nobodys, theirs])
        await s.flush()
        claimable = {
            c.name
            for c in (ours, nobodys, theirs)
            if await access.can_claim_customer(s, east, c.id)
        }
        assert claimable == {"T东方钢铁", "T清风茶社"}
        assert not await access.can_claim_customer(s, east, 10**6)
