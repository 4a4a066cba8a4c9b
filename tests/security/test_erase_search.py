"""After `privacy erase`, no table holds the customer's name, phone numbers or request text.

The customer's words are copied as they travel: a request relayed to the agent, the agent's
answer, the customer's follow-up message, an admin's edits (old values in the audit log), a
file waiting for import. The search reads every table of the metadata, every column.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from bot.app import App
from crm.db import Base
from crm.enums import TicketStatus
from crm.models import Customer, CustomerUser, Ticket
from crm.services import privacy
from tests.conftest import Transcript
from tests.security.helpers import new_request, send, unthrottle, user_id

NEW_NAME = "国际会展中心新馆"
PHONE = "+8613912345678"
TICKET_TEXT = "电表不走了，地址幸福路88号3单元，电话 139 1234 5678"
FOLLOW_UP = "补充：我的手机 +86 139-1234-5678，邮箱 zhang@example.com"
ANSWER = "您好，我们明天联系 8613912345678 安排上门"


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


async def _everything(app: App) -> list[tuple[str, str]]:
    """Every value of every row of every table, as text."""
    found: list[tuple[str, str]] = []
    async with app.sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(select(table))).all():
                for value in row:
                    if isinstance(value, str) and value[:1] in "{[":
                        # JSON kept as text (drafts) escapes Chinese: compared decoded.
                        try:
                            value = json.loads(value)
                        except ValueError:
                            pass
                    if isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    if value is not None:
                        found.append((table.name, str(value)))
    return found


async def test_erase_leaves_nothing_to_find(app: App, chat: Transcript, tmp_path: Path) -> None:
    unthrottle(app)
    async with app.sessions() as s:
        cu = await s.scalar(select(CustomerUser).where(CustomerUser.handle == "customer2"))
        assert cu is not None and cu.customer_id is not None
        cid, uid = cu.customer_id, cu.tg_user_id
        customer = await s.get(Customer, cid)
        assert customer is not None
        old_name, old_phone = customer.name, customer.phone
    # The customer's request, and their follow-up words on it.
    await new_request(app, uid, "Zhang", TICKET_TEXT)
    async with app.sessions() as s:
        ticket = await s.scalar(select(Ticket).where(Ticket.text == TICKET_TEXT))
        assert ticket is not None
    await send(app, uid, text=FOLLOW_UP)
    await send(app, uid, callback=f"~cmsg.pick:{ticket.id}")
    # The agent takes it and answers.
    agent = await user_id(app, "agent")
    await send(app, agent, callback=f"tk_take:{ticket.id}")
    await send(app, agent, callback=f"tk_reply:{ticket.id}")
    await send(app, agent, text=ANSWER)
    # An admin renames the customer and sets their phone: old values go to the audit log.
    admin = await user_id(app, "admin")
    for field, value in (("name", NEW_NAME), ("phone", "139 1234 5678")):
        await send(app, admin, callback=f"edit:{cid}")
        await send(app, admin, callback=f"~edit.field:{field}")
        await send(app, admin, text=value)
    # A file naming them waits for the admin's Confirm.
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(f"客户名称,电话\n{NEW_NAME},13912345678\n其他公司,\n", encoding="utf-8")
    assert "[1]" in await chat("/as admin", f"@doc {csv_file}")  # a preview with Confirm
    needles = [old_name, NEW_NAME, TICKET_TEXT, FOLLOW_UP, ANSWER, "幸福路88号", "zhang@example"]
    phones = {_digits(p)[-11:] for p in (PHONE, old_phone or "") if p}
    before = await _everything(app)
    # The scenario did copy the data around, so the search below means something.
    assert {t for t, v in before if NEW_NAME in v} >= {"customer", "audit_log", "key_value"}
    assert {t for t, v in before if "幸福路88号" in v} >= {"ticket", "outbox_message"}
    assert any(t == "ticket_message" and "139-1234-5678" in v for t, v in before)

    async with app.sessions() as s, s.begin():
        assert await privacy.erase(s, cid, now=app.clock.now())

    left = [
        (table, value[:80])
        for table, value in await _everything(app)
        if any(n in value for n in needles) or any(p in _digits(value) for p in phones)
    ]
    assert left == []
    async with app.sessions() as s:
        ticket = await s.get(Ticket, ticket.id)
        assert ticket is not None and ticket.status == TicketStatus.CLOSED  # no more alerts
