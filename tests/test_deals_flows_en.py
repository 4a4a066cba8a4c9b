"""Deals through the console in English, as rep2 (Lucy Chen, en) and the admin (en) see them; the
customers' reminders go out in the customers' own language (customer3 of Blue River Hotel reads
zh_CN). rep2 owns Blue River Hotel and Nova Dental (customer5, whose chat will be blocked)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from bot.app import App
from crm.models import (
    Contract,
    FollowUp,
    Instalment,
    Opportunity,
    OutboxMessage,
    Payment,
    UnreachableChat,
)
from tests.conftest import Transcript
from tests.test_sales_flows_zh import count, customer, one, rows, staff, to


async def _deal(chat: Transcript, message: str, stage: str, term: str, schedule: str) -> str:
    await chat("@clock +2m")  # under the flood limit of 30 messages a minute
    out = await chat(message, f"[{stage}]", "[Open]", "[Won]", "[as estimated]")
    out += await chat("[Make the contract]", "[Number it]", "[Today]", term)
    out += await chat("[instalments]", schedule, "[Skip]")
    return out


async def test_deal_to_collection_in_english(app: App, chat: Transcript) -> None:
    await chat("/as rep2")
    rep2 = await staff(app, "rep2")
    hotel = await customer(app, "Blue River Hotel")
    out = await chat("Blue River Hotel, lighting retrofit, quote 120k, close end of January")
    assert "New opportunity · Blue River Hotel" in out
    assert "lighting retrofit: CN¥120,000.00 · close Sun 31 Jan 2027" in out
    assert "negotiation (70%)" in out
    out = await chat("[negotiation]")
    assert "Saved: opportunity for Blue River Hotel." in out
    opp = await one(app, Opportunity, Opportunity.customer_id == hotel.id)
    assert (opp.amount, opp.stage, opp.owner_id) == (Decimal("120000.00"), "negotiation", rep2.id)

    out = await chat("[Open]", "[Won]", "[as estimated]")
    assert "Blue River Hotel: opportunity won." in out
    out = await chat("[Make the contract]", "[Number it]", "[Today]", "2026-12-01..2027-03-01")
    out = await chat("[instalments]", "60k 2026-12-31; 60k 2027-02-28", "a text")
    assert "Send a PDF or a photo here, or tap Skip." in out
    out = await chat("@doc signed-contract.pdf")
    assert "Saved: contract HT-2026-0001." in out and "Signed copy: kept" in out
    assert "○ 1. CN¥60,000.00 due Thu 31 Dec 2026" in out
    contract = await one(app, Contract, Contract.customer_id == hotel.id)
    assert (contract.file_id, contract.file_kind) == ("file:signed-contract.pdf", "document")
    insts = await rows(app, Instalment, Instalment.contract_id == contract.id)
    assert [(i.due_on, i.amount) for i in insts] == [
        (date(2026, 12, 31), Decimal("60000.00")),
        (date(2027, 2, 28), Decimal("60000.00")),
    ]

    out = await chat("[Record a payment]", "50,000", "2026-12-02")
    assert "A payment is recorded once received: today or earlier." in out
    out = await chat("[Today]", "[cash]", "@photo receipt.jpg")
    assert "Saved: payment of CN¥50,000.00 on contract HT-2026-0001 (cash)." in out
    assert "Instalment 1 is partly paid: CN¥10,000.00 still to pay." in out
    assert "Outstanding: CN¥70,000.00" in out
    paid = await one(app, Payment, Payment.contract_id == contract.id)
    assert (paid.amount, paid.method, paid.receipt_file_id) == (
        Decimal("50000.00"),
        "cash",
        "file:receipt.jpg",
    )

    nova = await customer(app, "Nova Dental")
    await _deal(
        chat,
        "Nova Dental, x-ray room wiring, quote 30,000, close end of December",
        "needs identified",
        "1 year",
        "10k 2026-12-31; 20k 2027-01-31",
    )
    assert await count(app, Contract, Contract.customer_id == nova.id) == 1
    async with app.sessions() as s, s.begin():
        s.add(UnreachableChat(chat_id=2005, since=app.clock.now(), reason="blocked"))

    out = await chat("@clock 2026-12-31T09:30")
    assert (
        "📄 Contract HT-2026-0001 with Blue River Hotel ends on Mon 1 Mar 2027, in 60 days."
        in to(out, "rep2")
    )

    out = await chat("@clock 2027-01-01T09:30")
    mine = to(out, "rep2")
    assert (
        "💰 Collection (催款): Blue River Hotel — instalment 1 of contract HT-2026-0001, "
        "CN¥10,000.00 due Thu 31 Dec 2026, is unpaid." in mine
    )
    assert "A payment reminder went to the customer." in mine
    assert "💰 Collection (催款): Nova Dental" in mine
    assert "No payment reminder to the customer: their chat is unreachable" in mine
    # customer3 reads Simplified Chinese: the reminder is in their language.
    assert (
        "Blue River Hotel付款提醒：合同HT-2026-0001第1期款项¥10,000.00已于2026年12月31日 周四到期。"
        in to(out, "customer3")
    )
    assert "[to customer5]" not in out
    tasks = await rows(
        app, FollowUp, FollowUp.staff_id == rep2.id, FollowUp.note.startswith("Collect")
    )
    assert sorted(t.customer_id for t in tasks) == sorted([hotel.id, nova.id])

    async with app.sessions() as s:
        owed = await s.scalar(
            select(func.sum(Instalment.amount - Instalment.paid)).where(
                Instalment.status == "open", Instalment.due_on < date(2027, 1, 1)
            )
        )
    assert owed == Decimal("20000.00")
    out = await chat("/as admin", "/summary")
    assert "Overdue receivables: CN¥20,000.00" in out
    assert "• Lucy Chen: CN¥20,000.00" in out
    assert (
        "Oldest overdue: Blue River Hotel, CN¥10,000.00 due Thu 31 Dec 2026 (1 day) · HT-2026-0001"
        in out
    )
    out = await chat("[Leaderboard]", "[By amount collected]")
    assert "1. Lucy Chen: collected CN¥0.00 · won CN¥0.00" in out  # nothing in today's period

    out = await chat("/as rep2", "/deals")
    assert "Your open opportunities" in out
    assert "• Blue River Hotel: CN¥10,000.00 due Thu 31 Dec 2026 (HT-2026-0001)" in out
    assert "💳 HT-2026-0001" in out
    out = await chat("@clock 2027-01-30T09:30")
    assert "ends on Mon 1 Mar 2027, in 30 days." in to(out, "rep2")
    assert (
        await count(app, OutboxMessage, OutboxMessage.dedupe_key.startswith("contract-expiry:"))
        == 2
    )


async def test_report_in_english(app: App, chat: Transcript) -> None:
    await chat(
        "/as rep2",
        "Sunrise Foods, cold store upgrade, quote 200k, close Feb 15",
        "[proposal / quote]",
    )
    await _deal(
        chat,
        "Blue River Hotel, lighting retrofit, quote 120k, close end of January",
        "negotiation",
        "1 year",
        "60k 2026-12-15; 60k 2027-01-15",
    )
    await chat("[Record a payment]", "[All of it]", "[Today]", "[bank transfer]", "[Skip]")
    out = await chat("/as admin", "/report 2026-12-01..2026-12-01")
    assert "Deals and receivables" in out
    assert "Pipeline: 1 open opportunity, CN¥200,000.00, weighted CN¥80,000.00" in out
    assert "· 2027-02: 1, CN¥200,000.00 → CN¥80,000.00" in out
    assert "Won in the period: 1, CN¥120,000.00" in out
    assert "Collected in the period: CN¥120,000.00 (1 payment)" in out
    assert "Receivables now: CN¥0.00" in out
    assert "Days sales outstanding: 0" in out
    out = await chat("/summary", "[Leaderboard]", "[By amount collected]")
    assert "1. Lucy Chen: collected CN¥120,000.00 · won CN¥120,000.00" in out
