"""Identity that is safe (issue 20, item 4): a contact's phone links a chat to its own requests
only; the owner rep is told, may allow the whole company's requests on the card, and either side
can unlink."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from crm.models import Contact, Customer, CustomerUser, Staff
from tests import helpers
from tests.conftest import Transcript


async def _contact_of_ticket_customer(app: App) -> tuple[Customer, str, Staff]:
    t = await helpers.ticket(app, "T-2026-000001")
    async with app.sessions() as s, s.begin():
        customer = await s.get(Customer, t.customer_id)
        assert customer is not None and customer.owner_id is not None
        s.add(Contact(customer_id=customer.id, name="小赵", phone="+8613900001111"))
        rep = await s.get(Staff, customer.owner_id)
        assert rep is not None
        return customer, "+8613900001111", rep


async def test_contact_phone_links_own_tickets_only_until_the_rep_allows(
    app: App, chat: Transcript
) -> None:
    customer, phone, rep = await _contact_of_ticket_customer(app)
    out = await chat("/as customer6", f"@contact {phone}")
    assert customer.name in out
    assert f"[to {rep.handle}] 🔗" in out  # the owner rep is told
    async with app.sessions() as s:
        cu = await s.scalar(select(CustomerUser).where(CustomerUser.handle == "customer6"))
        assert cu is not None and cu.customer_id == customer.id and cu.sees_company is False
    out = await chat("/my")
    assert "T-2026-000001" not in out  # the company's request is not theirs
    t = await helpers.ticket(app, "T-2026-000001")
    out = await helpers.press(chat, app, rep.handle or "", f"clinks:{customer.id}")
    assert "customer6" in out
    # Another rep cannot change it.
    other = "rep2" if rep.handle != "rep2" else "rep1"
    refused = await helpers.press(chat, app, other, f"clsee:{cu.id}")
    assert "not available" in refused or "无权" in refused or "不可用" in refused
    async with app.sessions() as s:
        assert (await s.get(CustomerUser, cu.id)).sees_company is False
    await helpers.press(chat, app, rep.handle or "", f"clsee:{cu.id}")
    out = await chat("/as customer6", "/my")
    assert "T-2026-000001" in out
    # The customer unlinks; the rep hears of it.
    out = await chat("/unlink", "[1]")
    assert f"[to {rep.handle}] ✂️" in out
    async with app.sessions() as s:
        assert (await s.get(CustomerUser, cu.id)).customer_id is None
    assert t.customer_id == customer.id


async def test_company_phone_links_the_company_and_the_rep_can_unlink(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as customer6", "@contact +86 138 1002 3757")
    async with app.sessions() as s:
        cu = await s.scalar(select(CustomerUser).where(CustomerUser.handle == "customer6"))
        assert cu is not None and cu.customer_id is not None and cu.sees_company is True
        customer = await s.get(Customer, cu.customer_id)
        assert customer is not None
    rep = await helpers.staff(app, "manager")
    out = await helpers.press(chat, app, "manager", f"clunlink:{cu.id}")
    assert "[to customer6]" in out
    async with app.sessions() as s:
        assert (await s.get(CustomerUser, cu.id)).customer_id is None
    assert rep.role == "manager"
