"""A session that serves one update keeps what it loaded (crm.db.hold_loaded): a row checked
and let go is not read again by the next `get`."""

from __future__ import annotations

import gc

from bot.app import App
from crm.db import hold_loaded
from crm.models import Customer
from crm.services.customers import new_customer
from tests.helpers import statements


async def _reads_of_a_dropped_row(app: App, hold: bool) -> int:
    async with app.sessions() as s, s.begin():
        customer = new_customer("丁电厂", created_at=app.clock.now())
        s.add(customer)
    cid = customer.id
    del customer
    async with app.sessions() as s:
        if hold:
            hold_loaded(s)
        with statements(app) as ran:
            assert await s.get(Customer, cid) is not None  # loaded, and let go at once
            gc.collect()
            again = await s.get(Customer, cid)
            assert again is not None and again.name == "丁电厂"
        return len(ran)


async def test_a_held_session_reads_a_row_once(app: App) -> None:
    assert await _reads_of_a_dropped_row(app, hold=True) == 1


async def test_without_holding_the_row_is_read_again(app: App) -> None:
    # What hold_loaded is for: the ORM's identity map forgets objects nobody refers to.
    assert await _reads_of_a_dropped_row(app, hold=False) == 2
