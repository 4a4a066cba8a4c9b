"""Staff management: deactivation, handover with customer notices, invitations, permissions."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from bot.types import Inbound
from crm.models import AuditLog, Customer, CustomerChange, FollowUp, Staff
from tests.conftest import Transcript


async def _staff(app: App, handle: str) -> Staff:
    async with app.sessions() as s:
        st = await s.scalar(select(Staff).where(Staff.handle == handle))
        assert st is not None
        return st


async def _owned(app: App, staff_id: int) -> int:
    async with app.sessions() as s:
        return (
            await s.scalar(
                select(func.count()).select_from(Customer).where(Customer.owner_id == staff_id)
            )
            or 0
        )


async def test_deactivate_and_hand_over_to_two_reps(app: App, chat: Transcript) -> None:
    rep1, rep2, manager = (
        await _staff(app, "rep1"),
        await _staff(app, "rep2"),
        await _staff(app, "manager"),
    )
    before1, before2 = await _owned(app, rep1.id), await _owned(app, rep2.id)
    out = await chat("/as admin", "/staff", "[张伟]")
    assert "Customers 15" in out
    out = await chat("[Deactivate]")
    assert "can no longer act" in out and "[to manager]" in out
    out = await chat("/as rep1", "/today")
    assert "停用" in out  # the deactivated rep is refused, in their language
    out = await chat(
        "/as admin", "/staff", "[张伟]", "[Hand over]", "[Lucy Chen]", "[李经理]", "[Next]"
    )
    assert "Customers 15 · open follow-ups" in out and "Customers will be told" in out
    out = await chat("[✅ Hand over]")
    assert "Handed over: 15 customers." in out
    assert "[to rep2] 🤝 You now look after 8 customers from 张伟." in out
    assert "[to customer1]" in out  # 华能电厂's Telegram user hears of the new contact
    assert await _owned(app, rep1.id) == 0
    assert await _owned(app, rep2.id) == before2 + 8
    assert await _owned(app, manager.id) == 7
    async with app.sessions() as s:
        assert (
            await s.scalar(
                select(func.count())
                .select_from(FollowUp)
                .where(FollowUp.staff_id == rep1.id, FollowUp.status == "open")
            )
            == 0
        )
        assert (
            await s.scalar(
                select(func.count())
                .select_from(CustomerChange)
                .where(CustomerChange.reason == "handover")
            )
            == before1
        )
        assert (
            await s.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "staff.handover")
            )
            == 1
        )


async def test_handover_without_customer_notices(app: App, chat: Transcript) -> None:
    out = await chat(
        "/as admin",
        "/staff",
        "[Lucy Chen]",
        "[Hand over]",
        "[张伟]",
        "[Next]",
        "[Tell customers]",
    )
    assert "Customers will not be told." in out
    out = await chat("[✅ Hand over]")
    assert "Handed over" in out and "[to customer" not in out


async def test_rep_cannot_manage_staff(app: App, chat: Transcript) -> None:
    rep1 = await _staff(app, "rep1")
    replies = await app.engine.handle(
        Inbound(
            channel="console",
            update_id=9901,
            chat_id=1004,
            user_id=1004,
            callback=f"st_off:{rep1.id}",
        )
    )
    assert "not available" in replies[0].text
    assert (await _staff(app, "rep1")).active
    out = await chat("/as rep2", "/staff")
    assert "Staff" not in out.split("\n", 2)[-1] or "What you can do" in out


async def test_manager_invites_a_sales_rep(app: App, chat: Transcript) -> None:
    out = await chat("/as manager", "/invite", "[1]", "王小明")
    link = next(line for line in out.splitlines() if line.startswith("https://t.me/"))
    out = await chat("/as xiaoming", f"/start {link.split('start=')[1]}")
    new = await _staff(app, "xiaoming")
    manager = await _staff(app, "manager")
    assert new.name == "王小明" and new.role == "sales" and new.manager_id == manager.id
