"""The duplicate check through the console: warned with the owner, "different" waits for the
manager, who approves or merges; a merge moves the history and leaves a findable alias."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from crm.models import AuditLog, Contact, Customer, CustomerAlias, FollowUp, Visit
from tests.conftest import Transcript
from tests.helpers import customer, press


async def _count(app: App, model: type, *where: object) -> int:
    async with app.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def test_a_company_written_differently_is_caught_with_its_owner(
    app: App, chat: Transcript
) -> None:
    before = await _count(app, Customer)
    out = await chat("/as rep2", "/newcustomer", "东方钢铁集团有限公司", "[Skip]")
    assert "东方钢铁集团 is already registered by 张伟" in out
    # Only who and when, not the record: no phone, no industry, no value.
    existing = await customer(app, "东方钢铁集团")
    assert existing.phone and existing.phone not in out and "冶金" not in out
    out = await chat("[Ask the manager]")
    assert "I asked your manager" in out and "[to manager]" in out
    assert await _count(app, Customer) == before
    for name in ("明珠酒店(浦东)", "華能電廠有限公司"):
        out = await chat("/newcustomer", name, "[Skip]")
        assert "is already registered by 张伟" in out, name
        await chat("[Cancel]")
    assert await _count(app, Customer) == before


async def test_different_with_another_reps_phone_waits_for_the_manager_who_merges(
    app: App, chat: Transcript
) -> None:
    acme = await customer(app, "Acme Logistics")
    assert acme.phone
    out = await chat("/as rep1", "/newcustomer", "新兴物流", acme.phone)
    assert "Acme Logistics" in out and "Lucy Chen" in out
    out = await chat("[不是同一客户]", "[B]")
    assert "等待经理批准" in out
    new = await customer(app, "新兴物流")
    assert new.approval == "pending" and new.dup_of_id == acme.id
    assert "[to manager]" in out and "新兴物流" in out
    # A rep cannot approve it by a forged button.
    out = await press(chat, app, "rep1", f"dupok:{new.id}")
    assert (await customer(app, "新兴物流")).approval == "pending"
    visits_before = await _count(app, Visit, Visit.customer_id == acme.id)
    async with app.sessions() as s:
        s.add(
            Visit(
                customer_id=new.id, staff_id=new.owner_id, kind="phone", visited_at=new.created_at
            )
        )
        s.add(Contact(customer_id=new.id, name="孙建国", phone=None))
        await s.commit()
    out = await chat("/as manager")
    out = await press(chat, app, "manager", f"dupmerge:{new.id}")
    assert "合并" in out or "merged" in out
    async with app.sessions() as s:
        assert await s.get(Customer, new.id) is None
        assert (
            await s.scalar(select(Contact.customer_id).where(Contact.name == "孙建国")) == acme.id
        )
        alias = await s.scalar(select(CustomerAlias).where(CustomerAlias.customer_id == acme.id))
        assert alias is not None and alias.name == "新兴物流"
        moved = await s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity_id == acme.id, AuditLog.action == "customer.create")
        )
        assert moved == 1  # the merged customer's history came along
    assert await _count(app, Visit, Visit.customer_id == acme.id) == visits_before + 1
    # Search still finds it under the old name.
    out = await chat("/as rep2", "/customers 新兴物流")
    assert "Acme Logistics" in out
    # And registering it again warns.
    out = await chat("/newcustomer", "新兴物流", "[Skip]")
    assert "Acme Logistics is already registered by Lucy Chen" in out


async def test_the_manager_approves_a_really_different_customer(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "/newcustomer", "华能热电", "[跳过]", "[C]")
    assert "已于" not in out
    # 华能热电 is not 华能电厂: no warning, created at once.
    c = await customer(app, "华能热电")
    assert c.approval is None
    out = await chat("/newcustomer", "明珠酒店（浦东店）", "[跳过]")
    assert "明珠酒店" in out and "张伟" in out
    out = await chat("[不是同一客户]", "[C]")
    pending = await customer(app, "明珠酒店（浦东店）")
    assert pending.approval == "pending"
    out = await press(chat, app, "manager", f"dupok:{pending.id}")
    assert (await customer(app, "明珠酒店（浦东店）")).approval is None
    assert await _count(app, AuditLog, AuditLog.action == "customer.approve") == 1
    # Twice does nothing more.
    await press(chat, app, "manager", f"dupok:{pending.id}")
    assert await _count(app, AuditLog, AuditLog.action == "customer.approve") == 1
    assert await _count(app, FollowUp) >= 0


async def test_a_contacts_phone_and_an_address_count_too(app: App, chat: Transcript) -> None:
    """Checked by crm.dedupe.find directly: a contact's phone, and a like address with a name
    alike enough, point at the customer; a like address alone does not."""
    from crm import dedupe

    hotel = await customer(app, "明珠酒店")
    async with app.sessions() as s, s.begin():
        s.add(Contact(customer_id=hotel.id, name="前台", phone="+8613911112222"))
        h = await s.get(Customer, hotel.id)
        assert h is not None
        h.address = "上海市浦东新区世纪大道100号"
    rules = app.rules.dedupe
    async with app.sessions() as s:
        (m,) = await dedupe.find(s, rules, "完全不同的名字", "+8613911112222")
        assert (m.customer.id, m.reason) == (hotel.id, "contact_phone")
        found = await dedupe.find(s, rules, "明珠宾馆", None, "上海市浦东新区世纪大道 100 号")
        assert [(f.customer.id, f.reason) for f in found] == [(hotel.id, "address")]
        assert not await dedupe.find(s, rules, "天天超市", None, "上海市浦东新区世纪大道100号")
    # In the chat: the contact's phone warns with the owner.
    out = await chat("/as rep2", "/newcustomer", "Front Desk Ltd", "13911112222")
    assert "明珠酒店 is already registered by 张伟" in out


async def test_a_manager_merges_two_customers_from_a_card(app: App, chat: Transcript) -> None:
    await chat("/as rep1", "/newcustomer", "城东小学分校区", "[跳过]", "[C]")
    copy = await customer(app, "城东小学分校区")
    school = await customer(app, "城东小学")
    out = await chat("/as manager")
    out = await press(chat, app, "manager", f"merge:{copy.id}")
    assert "合并到哪个客户" in out
    out = await chat("城东小学")
    out = await chat("[城东小学]")
    assert "城东小学分校区" in out and "城东小学" in out
    async with app.sessions() as s:
        assert await s.get(Customer, copy.id) is None
        assert (
            await s.scalar(
                select(CustomerAlias.customer_id).where(CustomerAlias.name == "城东小学分校区")
            )
            == school.id
        )
    # A rep cannot start one.
    out = await press(chat, app, "rep1", f"merge:{school.id}")
    assert "合并到哪个客户" not in out


async def test_renaming_or_a_new_phone_cannot_walk_around_the_check(
    app: App, chat: Transcript
) -> None:
    plant = await customer(app, "华能电厂")
    assert plant.phone
    await chat("/as rep2", "/newcustomer", "Zeta Works", "[Skip]", "[C]")
    zeta = await customer(app, "Zeta Works")
    assert zeta.approval is None
    out = await chat("[Phone]", plant.phone)
    assert "awaiting your manager's approval" in out and "华能电厂" in out
    assert "[to manager]" in out
    zeta = await customer(app, "Zeta Works")
    assert zeta.approval == "pending" and zeta.dup_of_id == plant.id
