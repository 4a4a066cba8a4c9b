"""Imports of opportunities, contracts, instalments and payments, in the columns of the exports
(crm/services/deals/tables.py). A file's kind is told by its header (`title` → opportunities,
`terms` → contracts, `seq` → instalments, `method` → payments); Chinese headers are accepted too.
Each row is checked (customer, owner, contract known; amounts and dates readable; stages and terms
from the rules) and a rejected row says why; nothing is written before the preview is confirmed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import Contract, Customer, Instalment, Opportunity, Staff
from crm.money import BadAmount, exact, parse_amount
from crm.rules import Rules
from crm.services.deals import receivables

MAX_ROWS = 20_000

ALIASES = {
    "客户": "customer",
    "客户名称": "customer",
    "商机": "title",
    "名称": "title",
    "金额": "amount",
    "预计成交": "expected_close",
    "预计成交日期": "expected_close",
    "阶段": "stage",
    "负责人": "owner",
    "赢单金额": "won_amount",
    "输单原因": "lost_reason",
    "合同编号": "number",
    "签订日期": "signed_on",
    "开始日期": "starts_on",
    "结束日期": "ends_on",
    "付款方式": "terms",
    "合同": "contract",
    "期数": "seq",
    "到期日": "due_on",
    "已付": "paid",
    "状态": "status",
    "付款日期": "paid_on",
    "收款方式": "method",
}
# The header column that tells each kind apart.
MARKERS = (
    ("title", "opportunities"),
    ("terms", "contracts"),
    ("seq", "instalments"),
    ("method", "payments"),
)


class TransferError(ValueError):
    """The file as a whole cannot be read: `code` is file_type, unreadable, empty, too_many_rows
    or unknown_kind."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# ---------------------------------------------------------------- import


@dataclass
class DealPreview:
    kind: str
    create: list[dict[str, Any]] = field(default_factory=list)
    # (row number as a person counts them, the reason's key, the cell at fault)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)


def _raw(data: bytes, filename: str) -> list[list[Any]]:
    name = filename.lower()
    if not data:
        raise TransferError("empty")
    if name.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        except Exception:  # noqa: BLE001  (openpyxl raises many kinds for a bad file)
            raise TransferError("unreadable") from None
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return list(csv.reader(io.StringIO(data.decode(encoding))))
            except (UnicodeDecodeError, csv.Error):
                continue
        raise TransferError("unreadable")
    raise TransferError("file_type")


def _key(header: Any) -> str:
    h = str(header or "").strip()
    return ALIASES.get(h, h.lower().replace(" ", "_"))


def kind_of(data: bytes, filename: str) -> str | None:
    """Which kind of deal table the file holds, or None (a customer file, or unreadable)."""
    try:
        raw = _raw(data, filename)
    except TransferError:
        return None
    if not raw:
        return None
    keys = {_key(h) for h in raw[0]}
    return next((kind for marker, kind in MARKERS if marker in keys), None)


def read(data: bytes, filename: str) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    raw = _raw(data, filename)
    if not raw:
        raise TransferError("empty")
    if len(raw) > MAX_ROWS + 1:
        raise TransferError("too_many_rows")
    keys = [_key(h) for h in raw[0]]
    kind = next((k for marker, k in MARKERS if marker in keys), None)
    if kind is None:
        raise TransferError("unknown_kind")
    rows = []
    for number, cells in enumerate(raw[1:], start=2):
        values = {k: str(v).strip() for k, v in zip(keys, cells, strict=False) if v is not None}
        if any(values.values()):
            rows.append((number, values))
    return kind, rows


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _amount(text: str) -> Decimal | None:
    try:
        return parse_amount(text)
    except BadAmount:
        return None


async def plan(
    session: AsyncSession, kind: str, rows: list[tuple[int, dict[str, str]]], rules: Rules
) -> DealPreview:
    """What importing these rows would create, and the rows rejected with their reasons."""
    preview = DealPreview(kind)
    staff = {}
    for s in await session.scalars(select(Staff).where(Staff.active.is_(True))):
        staff[s.name.lower()] = s.id
        if s.handle:
            staff[s.handle.lower()] = s.id
    customers = {
        name: (cid, owner)
        for cid, name, owner in (
            await session.execute(select(Customer.id, Customer.name, Customer.owner_id))
        ).all()
    }
    numbers = {
        n: (cid, owner)
        for n, cid, owner in (
            await session.execute(select(Contract.number, Contract.id, Contract.owner_id))
        ).all()
    }
    seen: set[str] = set()
    for number, v in rows:
        problem, fields = _check(kind, v, staff, customers, numbers, rules, seen)
        if problem is not None:
            preview.rejected.append((number, problem[0], problem[1][:40]))
        else:
            preview.create.append(fields)
    return preview


def _check(  # noqa: C901  (one branch per kind, each a list of checks)
    kind: str,
    v: dict[str, str],
    staff: dict[str, int],
    customers: dict[str, tuple[int, int | None]],
    numbers: dict[str, tuple[int, int | None]],
    rules: Rules,
    seen: set[str],
) -> tuple[tuple[str, str] | None, dict[str, Any]]:
    def owner_of(default: int | None) -> int | None | str:
        name = v.get("owner", "").lower()
        if not name:
            return default
        return staff.get(name, "unknown")

    if kind in ("opportunities", "contracts"):
        found = customers.get(v.get("customer", ""))
        if found is None:
            return ("unknown_customer", v.get("customer", "")), {}
        cid, default_owner = found
        owner = owner_of(default_owner)
        if owner == "unknown":
            return ("unknown_owner", v.get("owner", "")), {}
        amount = _amount(v.get("amount", ""))
        if amount is None:
            return ("bad_amount", v.get("amount", "")), {}
        if kind == "opportunities":
            stage = v.get("stage") or rules.deals.open_stages[0]
            if stage not in rules.deals.probability:
                return ("bad_stage", stage), {}
            won = _amount(v.get("won_amount", "")) if v.get("won_amount") else None
            if stage == "won" and won is None:
                won = amount
            close = _day(v.get("expected_close", ""))
            if v.get("expected_close") and close is None:
                return ("bad_date", v["expected_close"]), {}
            title = v.get("title", "")[:200]
            if not title:
                return ("missing_title", ""), {}
            return None, dict(
                customer_id=cid,
                owner_id=owner,
                title=title,
                amount=amount,
                expected_close=close,
                stage=stage,
                won_amount=won,
                lost_reason=v.get("lost_reason") or None,
            )
        number = v.get("number", "")[:40]
        if not number or number in numbers or number in seen:
            return ("bad_contract_number", number), {}
        days = [_day(v.get(k, "")) for k in ("signed_on", "starts_on", "ends_on")]
        if any(d is None for d in days) or days[2] <= days[1]:  # type: ignore[operator]
            return ("bad_date", " ".join(v.get(k, "") for k in ("signed_on", "ends_on"))), {}
        terms = v.get("terms", "")
        if terms not in rules.deals.payment_terms:
            return ("bad_terms", terms), {}
        seen.add(number)
        return None, dict(
            number=number,
            customer_id=cid,
            owner_id=owner,
            amount=amount,
            signed_on=days[0],
            starts_on=days[1],
            ends_on=days[2],
            terms=terms,
        )
    contract = numbers.get(v.get("contract", ""))
    if contract is None:
        return ("unknown_contract", v.get("contract", "")), {}
    amount = _amount(v.get("amount", ""))
    if amount is None:
        return ("bad_amount", v.get("amount", "")), {}
    if kind == "instalments":
        due = _day(v.get("due_on", ""))
        seq = v.get("seq", "")
        if due is None or not seq.isdigit():
            return ("bad_date", v.get("due_on", "")), {}
        paid = _amount(v["paid"]) if v.get("paid") and v["paid"] not in ("0", "0.00") else None
        if paid is not None and paid > amount:
            return ("bad_amount", v["paid"]), {}
        return None, dict(
            contract_id=contract[0],
            owner_id=contract[1],
            seq=int(seq),
            due_on=due,
            amount=amount,
            paid=paid or exact(0),
        )
    paid_on = _day(v.get("paid_on", ""))
    if paid_on is None:
        return ("bad_date", v.get("paid_on", "")), {}
    method = v.get("method") or "other"
    if method not in receivables.METHODS:
        return ("bad_method", method), {}
    return None, dict(contract_id=contract[0], amount=amount, paid_on=paid_on, method=method)


async def apply(
    session: AsyncSession, preview: DealPreview, *, by: Staff | None, now: datetime
) -> tuple[int, int]:
    """Creates the rows (payments applied to instalments like payments typed in chat); returns
    (created, refused now): a payment over what its contract still owes is refused."""
    created = refused = 0
    for f in preview.create:
        if preview.kind == "opportunities":
            session.add(
                Opportunity(
                    **f,
                    created_by=by.id if by else None,
                    created_at=now,
                    updated_at=now,
                    closed_at=now if f["stage"] in ("won", "lost") else None,
                )
            )
        elif preview.kind == "contracts":
            session.add(Contract(**f, created_by=by.id if by else None, created_at=now))
        elif preview.kind == "instalments":
            contract = await session.get(Contract, f["contract_id"])
            assert contract is not None
            session.add(
                Instalment(
                    **f,
                    customer_id=contract.customer_id,
                    status="paid" if f["paid"] == f["amount"] else "open",
                )
            )
        else:
            contract = await session.get(Contract, f["contract_id"])
            assert contract is not None
            try:
                await receivables.record_payment(
                    session,
                    contract,
                    amount=f["amount"],
                    paid_on=f["paid_on"],
                    method=f["method"],
                    by=by,
                    now=now,
                )
            except receivables.Overpaid:
                refused += 1
                continue
        created += 1
        await session.flush()
    return created, refused
