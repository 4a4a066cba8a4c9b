"""Forged callbacks: every action the router has, pressed by every role, with crafted ids.

An id must be ASCII digits within the column's range: '²' and '٣' pass `str.isdigit` ('٣' even
turns into 3 with int()), numbers past 2^31 break PostgreSQL's integer columns, '-1', '' and
'abc' are nothing. Each is answered as a stale button - the same answer as for 'abc' - and
nothing fails or changes.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from bot.app import App
from crm.db import Base
from handlers import build_router
from tests.conftest import Transcript
from tests.security.helpers import PEOPLE, send, texts, unthrottle, user_id

CRAFTED = ["²", "٣", "2147483648", str(10**30), "-1", "0", "", "abc", "1e3", " 7", "0x1"]
# Rows that every update writes (dedupe, state, journal): not domain changes.
NOT_DOMAIN = {"processed_update", "conversation_state", "outbox_message", "key_value"}


async def _snapshot(app: App) -> str:
    out = {}
    async with app.sessions() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_DOMAIN:
                continue
            rows = (await s.execute(select(table))).all()
            out[table.name] = sorted(json.dumps(list(r), default=str) for r in rows)
    return json.dumps(out, ensure_ascii=False)


ACTIONS = build_router().actions


@pytest.mark.parametrize("role", sorted(PEOPLE))
@pytest.mark.slow
async def test_crafted_ids_are_stale_for_every_action(
    app: App, chat: Transcript, role: str
) -> None:
    # The matrix covers actions with objects of every kind, and the ones without.
    assert None in {a.obj_kind for a in ACTIONS.values()} and len(ACTIONS) >= 30
    unthrottle(app)
    uid = await user_id(app, PEOPLE[role])
    before = await _snapshot(app)
    checked = 0
    with capture_logs() as logs:
        for name, action in sorted(ACTIONS.items()):
            baseline = texts(await send(app, uid, callback=f"{name}:abc"))
            for crafted in CRAFTED:
                got = texts(await send(app, uid, callback=f"{name}:{crafted}"))
                if action.obj_kind is not None:
                    # Not an id at all, for the check: the same answer as for "abc".
                    assert got == baseline, (role, name, crafted, got)
                checked += 1
        # Every forged id was refused before any handler ran: nothing in the domain changed.
        assert await _snapshot(app) == before
        # A valid object (1 exists for every kind in the demo) with a crafted argument: the
        # handler may act (a customer's own care switch), but nothing fails.
        for name in sorted(ACTIONS):
            for crafted in CRAFTED:
                await send(app, uid, callback=f"{name}:1:{crafted}")
    failed = [e for e in logs if e["event"] in ("update_failed", "database_unavailable")]
    assert failed == [], failed[:3]
    assert checked == len(ACTIONS) * len(CRAFTED)
