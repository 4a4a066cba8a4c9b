"""A customer's data can be exported whole, and erased while the figures stay."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.app import App
from crm.models import Contact, Customer, CustomerUser, Ticket, TicketMessage, Visit
from crm.services import privacy
from tests.conftest import Transcript


async def test_export_then_erase_keeps_figures(app: App, chat: Transcript) -> None:
    # customer2's record has a ticket, contacts, visits and a Telegram user: a full picture.
    await chat("/as customer2", "/my")
    async with app.sessions() as s:
        cu = await s.scalar(select(CustomerUser).where(CustomerUser.handle == "customer2"))
        assert cu is not None and cu.customer_id is not None
        cid = cu.customer_id
        data = await privacy.export(s, cid)
    assert data is not None
    dumped = json.dumps(data, ensure_ascii=False)
    assert data["customer"]["name"] == "国际会展中心" and data["contacts"] and data["tickets"]
    assert "customer2" in dumped and data["ticket_messages"]
    async with app.sessions() as s:
        visits = await s.scalar(
            select(func.count()).select_from(Visit).where(Visit.customer_id == cid)
        )
        tickets = await s.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.customer_id == cid)
        )
    async with app.sessions() as s, s.begin():
        assert await privacy.erase(s, cid, now=app.clock.now())
    async with app.sessions() as s:
        c = await s.get(Customer, cid)
        assert c is not None and c.name.startswith("[erased]") and c.phone is None
        assert c.customer_class and c.stage  # figures stay
        assert (
            await s.scalar(
                select(func.count()).select_from(Contact).where(Contact.customer_id == cid)
            )
            == 0
        )
        assert (
            await s.scalar(select(func.count()).select_from(Visit).where(Visit.customer_id == cid))
            == visits
        )
        assert (
            await s.scalar(
                select(func.count()).select_from(Ticket).where(Ticket.customer_id == cid)
            )
            == tickets
        )
        texts = (
            await s.scalars(
                select(TicketMessage.text).join(Ticket).where(Ticket.customer_id == cid)
            )
        ).all()
        assert texts and set(texts) == {"[erased]"}
        assert (
            await s.scalar(select(CustomerUser).where(CustomerUser.handle == "customer2")) is None
        )
    erased = json.dumps(await _export(app, cid), ensure_ascii=False)
    assert "国际会展中心" not in erased and "+86" not in erased


async def _export(app: App, cid: int) -> dict:
    async with app.sessions() as s:
        data = await privacy.export(s, cid)
        assert data is not None
        return data


def test_cli_privacy(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.cli import main

    db = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    assert main(["demo", "--db", db, "--script", "/dev/null"]) == 0
    out = tmp_path / "c1.json"
    assert main(["privacy", "export", "1", "--out", str(out), "--db", db]) == 0
    assert json.loads(out.read_text())["customer"]["id"] == 1
    assert main(["privacy", "erase", "1", "--db", db]) == 2  # no prompt possible: --yes needed
    assert main(["privacy", "erase", "1", "--yes", "--db", db]) == 0
    assert main(["privacy", "export", "999", "--db", db]) == 2
