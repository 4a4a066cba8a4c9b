"""A card's recent events: the latest of visits, follow-ups, changes and requests merged in one
statement, newest first, a visit before its follow-up made at the same moment, at most five."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from crm.enums import Role
from crm.models import CustomerChange, FollowUp, Staff, Ticket, Visit
from crm.services.customers import card, new_customer, recent_events


async def test_recent_events_are_merged_newest_first(app: App) -> None:
    now = app.clock.now()
    hour = timedelta(hours=1)
    async with app.sessions() as s, s.begin():
        rep = Staff(handle="ev", name="x", role=Role.SALES, team="east", created_at=now)
        s.add(rep)
        await s.flush()
        mine, other = new_customer("甲", created_at=now), new_customer("乙", created_at=now)
        s.add_all([mine, other])
        await s.flush()
        cid = mine.id
        visit = Visit(
            customer_id=cid, staff_id=rep.id, kind="onsite", outcome=None, visited_at=now - hour
        )
        s.add(visit)
        await s.flush()
        s.add_all(
            [
                # The visit's follow-up, made at the same moment: listed after the visit.
                FollowUp(
                    customer_id=cid,
                    staff_id=rep.id,
                    visit_id=visit.id,
                    note=None,
                    due_at=now + 24 * hour,
                    created_at=now - hour,
                ),
                CustomerChange(customer_id=cid, field="stage", new_value="quoted", changed_at=now),
                Ticket(
                    number="T-2026-000001",
                    customer_id=cid,
                    kind="fault",
                    text="跳闸",
                    created_at=now - 2 * hour,
                ),
                *(
                    Visit(
                        customer_id=cid,
                        staff_id=rep.id,
                        kind="phone",
                        outcome=f"old {n}",
                        visited_at=now - (10 + n) * hour,
                    )
                    for n in range(6)
                ),
                # Another customer's: never on this card.
                Visit(customer_id=other.id, staff_id=rep.id, kind="onsite", visited_at=now),
            ]
        )
    async with app.sessions() as s:
        events = await recent_events(s, cid)
        assert [(e.kind, e.text, e.extra) for e in events] == [
            ("change", "quoted", "stage"),
            ("visit", "", "onsite"),
            ("followup", "", "open"),
            ("ticket", "T-2026-000001", "fault"),
            ("visit", "old 0", "phone"),
        ]
        assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
        assert all(e.at.tzinfo is not None for e in events)
        assert len(await recent_events(s, cid, limit=9)) == 9
        shown = await card(s, cid)
        assert shown is not None and shown.last_visit is not None
        assert shown.last_visit.id == visit.id
