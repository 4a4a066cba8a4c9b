"""Exports and imports of deals: exact amounts out, a file of opportunities and one of payments in
through the admin's chat (preview with the rejected rows and why, then Confirm)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from crm.models import Customer, Instalment, Opportunity, Payment, Staff
from crm.services.deals import contracts, opportunities, receivables, tables
from crm.services.deals.contracts import Due
from tests.conftest import Transcript
from tests.test_sales_flows_zh import count, rows


async def _contract(app: App) -> None:
    """华能电厂: 800,000 won, contract HT-2026-0001 of two instalments, 300,000 paid."""
    async with app.sessions() as s, s.begin():
        rep = await s.scalar(select(Staff).where(Staff.handle == "rep1"))
        customer = await s.scalar(select(Customer).where(Customer.name == "华能电厂"))
        assert rep is not None and customer is not None
        now = app.clock.now()
        opp = await opportunities.create(
            s,
            customer,
            rep,
            title="变压器增容",
            amount=Decimal("800000"),
            expected_close=None,
            stage="negotiation",
            now=now,
            rules=app.rules,
        )
        await opportunities.win(
            s, opp, customer, Decimal("800000"), by=rep.id, now=now, rules=app.rules
        )
        contract = await contracts.create(
            s,
            opp,
            customer,
            rep,
            number="HT-2026-0001",
            signed_on=date(2026, 12, 1),
            starts_on=date(2026, 12, 1),
            ends_on=date(2027, 11, 30),
            terms="instalments",
            schedule=[
                Due(date(2026, 12, 31), Decimal("400000.10")),
                Due(date(2027, 3, 31), Decimal("399999.90")),
            ],
            rules=app.rules,
            now=now,
        )
        await receivables.record_payment(
            s,
            contract,
            amount=Decimal("300000.05"),
            paid_on=date(2026, 12, 1),
            method="transfer",
            by=rep,
            now=now,
        )


async def test_export_tables_are_exact(app: App, chat: Transcript) -> None:
    await _contract(app)
    async with app.sessions() as s:
        cols, data = await tables.table(s, "instalments")
        assert cols == ["contract", "seq", "due_on", "amount", "paid", "status"]
        assert data == [
            ["HT-2026-0001", 1, "2026-12-31", "400000.10", "300000.05", "open"],
            ["HT-2026-0001", 2, "2027-03-31", "399999.90", "0.00", "open"],
        ]
        _cols, pays = await tables.table(s, "payments")
        assert pays == [["HT-2026-0001", "300000.05", "2026-12-01", "transfer", "rep1"]]
        _cols, opps = await tables.table(s, "opportunities")
        assert [o[1:8] for o in opps] == [
            ["华能电厂", "变压器增容", "800000.00", "", "won", "rep1", "800000.00"]
        ]
    out = await chat("/as admin", "/export", "[Contracts]")
    assert "Contracts: 1 row." in out


async def test_import_opportunities_and_payments_in_chat(
    app: App, chat: Transcript, tmp_path: Path
) -> None:
    await _contract(app)
    path = tmp_path / "opps.csv"
    path.write_text(
        "customer,title,amount,expected_close,stage,owner\n"
        "明珠酒店,空调节能,35万,2027-03-15,proposal,rep1\n"
        "没有这家,照明,10万,,proposal,\n"
        "明珠酒店,热水,很多,,proposal,\n"
        "明珠酒店,冷库,20万,,maybe,\n",
        encoding="utf-8",
    )
    out = await chat("/as admin", f"@doc {path}")
    for line in (
        "Import preview: opps.csv",
        "Opportunities: 1 to create",
        "Rejected: 3",
        "• Row 3: unknown customer (没有这家)",
        "• Row 4: not an amount (很多)",
        "• Row 5: unknown stage (maybe)",
    ):
        assert line in out, line
    assert await count(app, Opportunity) == 1
    out = await chat("[Confirm import]")
    assert "Imported opps.csv: 1 created, 3 rejected." in out
    new = (await rows(app, Opportunity))[-1]
    assert (new.title, new.amount, new.stage, new.expected_close) == (
        "空调节能",
        Decimal("350000.00"),
        "proposal",
        date(2027, 3, 15),
    )

    pays = tmp_path / "payments.csv"
    pays.write_text(
        "contract,amount,paid_on,method\n"
        "HT-2026-0001,100000.05,2026-12-01,cash\n"
        "HT-2026-0001,1亿,2026-12-01,cash\n"
        "HT-9999,5万,2026-12-01,cash\n",
        encoding="utf-8",
    )
    out = await chat(f"@doc {pays}")
    assert "Payments: 2 to create" in out and "• Row 4: unknown contract number (HT-9999)" in out
    out = await chat("[Confirm import]")
    # The second row asks more than the contract still owes: refused when applied.
    assert "Imported payments.csv: 1 created, 2 rejected." in out
    assert await count(app, Payment) == 2
    first = (await rows(app, Instalment))[0]
    assert (first.paid, first.status) == (Decimal("400000.10"), "paid")


async def test_command_line_export_and_import(
    app: App, chat: Transcript, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from bot.cli import main

    await _contract(app)
    url = app.settings.database_url
    assert await asyncio.to_thread(main, ["export", "instalments", "--raw", "--db", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].strip().lstrip("\ufeff") == "contract,seq,due_on,amount,paid,status"  # BOM: Excel
    assert out[1].strip() == "HT-2026-0001,1,2026-12-31,400000.10,300000.05,open"
    path = tmp_path / "opps.csv"
    path.write_text("客户,商机,金额,阶段\n明珠酒店,热水,8万,proposal\n谁,x,1万,proposal\n", "utf-8")
    code = await asyncio.to_thread(main, ["import", "deals", str(path), "--db", url, "--dry-run"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "opportunities to create: 1" in printed and "row 3: unknown customer (谁)" in printed
    assert await count(app, Opportunity) == 1  # a dry run changes nothing
    assert await asyncio.to_thread(main, ["import", "deals", str(path), "--db", url]) == 0
    assert "done: 1 created" in capsys.readouterr().out
    assert await count(app, Opportunity) == 2
