"""The collection job's choices about the customer's payment reminder: held for the end of the
quiet hours, not sent over the frequency cap, not sent to a customer without a chat; the rep's
message says which, and a second pass does nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from crm.clock import ManualClock
from crm.models import CareDelivery, Customer, FollowUp, OutboxMessage, Staff
from crm.services.deals import contracts, opportunities
from crm.services.deals.contracts import Due
from scheduler import deals_jobs
from tests.conftest import Transcript

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _owed(app: App, name: str, due_on: date) -> int:
    """A won contract of 50,000 for `name`, owned by rep1, all due on `due_on`."""
    async with app.sessions() as s, s.begin():
        rep = await s.scalar(select(Staff).where(Staff.handle == "rep1"))
        customer = await s.scalar(select(Customer).where(Customer.name == name))
        assert rep is not None and customer is not None
        now = app.clock.now()
        opp = await opportunities.create(
            s,
            customer,
            rep,
            title="改造",
            amount=Decimal("50000"),
            expected_close=None,
            stage="proposal",
            now=now,
            rules=app.rules,
        )
        await opportunities.win(s, opp, customer, opp.amount, by=rep.id, now=now, rules=app.rules)
        await contracts.create(
            s,
            opp,
            customer,
            rep,
            number=f"HT-{customer.id}",
            signed_on=date(2026, 12, 1),
            starts_on=date(2026, 12, 1),
            ends_on=date(2027, 11, 30),
            terms="instalments",
            schedule=[Due(due_on, Decimal("50000"))],
            rules=app.rules,
            now=now,
        )
        return customer.id


async def _pass(app: App, clock: ManualClock, when: datetime) -> list[OutboxMessage]:
    clock.set(when)
    before = await _ids(app)
    await deals_jobs.collections(app.sessions, clock, app.settings.tz, app.rules)
    async with app.sessions() as s:
        found = await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [m for m in found if m.id not in before]


async def _ids(app: App) -> set[int]:
    async with app.sessions() as s:
        return set(await s.scalars(select(OutboxMessage.id)))


async def test_reminder_held_for_the_end_of_the_quiet_hours(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    await _owed(app, "华能电厂", date(2026, 12, 10))
    late_evening = datetime(2026, 12, 11, 22, 0, tzinfo=SHANGHAI)
    new = await _pass(app, clock, late_evening)
    to_customer = [m for m in new if m.chat_id == 2001]
    assert len(to_customer) == 1
    assert to_customer[0].due_at == datetime(2026, 12, 12, 8, 0, tzinfo=SHANGHAI)
    assert "付款提醒" in to_customer[0].payload["text"]
    to_rep = [m for m in new if m.dedupe_key.startswith("collect:")]
    assert (
        len(to_rep) == 1 and "免打扰时段结束后将向客户发送付款提醒。" in to_rep[0].payload["text"]
    )
    assert await _pass(app, clock, late_evening + timedelta(hours=1)) == []


async def test_no_reminder_over_the_frequency_cap(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    cid = await _owed(app, "华能电厂", date(2026, 12, 10))
    async with app.sessions() as s, s.begin():
        for n in range(app.rules.care.cap_count):
            s.add(
                CareDelivery(
                    customer_id=cid,
                    kind="holiday",
                    dedupe_key=f"care:test:{n}",
                    status="sent",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
    new = await _pass(app, clock, datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI))
    assert [m for m in new if m.chat_id == 2001] == []
    (to_rep,) = [m for m in new if m.dedupe_key.startswith("collect:")]
    assert "客户收到的消息已达频次上限" in to_rep.payload["text"]


async def test_no_reminder_without_a_chat_and_the_task_is_set(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    cid = await _owed(app, "东方钢铁集团", date(2026, 12, 10))
    new = await _pass(app, clock, datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI))
    assert [m.dedupe_key.split(":")[0] for m in new] == ["collect"]
    assert "客户未在Telegram上与我们连接" in new[0].payload["text"]
    async with app.sessions() as s:
        task = await s.scalar(
            select(FollowUp).where(FollowUp.customer_id == cid, FollowUp.note.startswith("催款"))
        )
    assert task is not None and task.status == "open"
    assert task.note == f"催款¥50,000.00：合同HT-{cid}第1期，2026年12月10日 周四到期"


async def test_not_before_the_day_after_the_due_date(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    await _owed(app, "华能电厂", date(2026, 12, 10))
    assert await _pass(app, clock, datetime(2026, 12, 10, 23, 0, tzinfo=SHANGHAI)) == []


async def test_nothing_before_the_working_day(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    await _owed(app, "华能电厂", date(2026, 12, 10))
    clock.set(datetime(2026, 12, 11, 7, 0, tzinfo=SHANGHAI))  # before the agenda's 08:30
    assert await deals_jobs.run(app.sessions, clock, app.settings.tz, app.rules) == 0
    assert [m for m in await _pass(app, clock, clock.now()) if m.chat_id == 2001]
    clock.set(datetime(2026, 12, 11, 8, 30, tzinfo=SHANGHAI))
    assert await deals_jobs.run(app.sessions, clock, app.settings.tz, app.rules) == 0  # done


async def test_a_won_customer_stays_won(app: App, chat: Transcript) -> None:
    cid = await _owed(app, "华能电厂", date(2026, 12, 10))
    async with app.sessions() as s, s.begin():
        rep = await s.scalar(select(Staff).where(Staff.handle == "rep1"))
        customer = await s.get(Customer, cid)
        assert rep is not None and customer is not None and customer.stage == "won"
        upsell = await opportunities.create(
            s,
            customer,
            rep,
            title="扩容",
            amount=Decimal("1"),
            expected_close=None,
            stage="needs_confirmed",
            now=app.clock.now(),
            rules=app.rules,
        )
        await opportunities.lose(
            s, upsell, customer, "price", by=rep.id, now=app.clock.now(), rules=app.rules
        )
        assert customer.stage == "won"


async def test_a_departed_reps_collection_goes_to_the_manager(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    cid = await _owed(app, "东方钢铁集团", date(2026, 12, 10))
    async with app.sessions() as s, s.begin():
        rep = await s.scalar(select(Staff).where(Staff.handle == "rep1"))
        manager = await s.scalar(select(Staff).where(Staff.handle == "manager"))
        assert rep is not None and manager is not None
        rep.active = False
        manager_id = manager.id
    new = await _pass(app, clock, datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI))
    assert [m.dedupe_key.rsplit(":", 1)[1] for m in new] == [str(manager_id)]
    async with app.sessions() as s:
        task = await s.scalar(
            select(FollowUp).where(
                FollowUp.customer_id == cid,
                FollowUp.staff_id == manager_id,
                FollowUp.note.startswith("催款"),
            )
        )
    assert task is not None
