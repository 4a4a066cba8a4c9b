"""Tabular exports of customers, contacts, visits, follow-ups, tickets and deals.

Each kind is a list of typed `Column`s and rows of typed values: local (naive) datetimes in the
company's zone, dates, Decimal amounts, counts, codes of a vocabulary. Two readings of them:
`table()` is the raw one for machines (the old snake_case column names, codes, times as text,
amounts as exact text: what the import reads back), and `sheet()` hands the typed rows to the
presentation (bot/views/export.py), which puts headers and codes in the reader's language and
crm/export_book.py writes them as typed, formatted cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from crm.export_rows import READERS as _READERS
from crm.export_rows import Filter
from crm.services.deals import tables as deal_tables

KINDS = ("customers", "contacts", "visits", "followups", "tickets", *deal_tables.KINDS)
# Kinds whose rows are not events of a period: exported whole.
WHOLE = ("customers", "contacts", *deal_tables.KINDS)

# What a column holds (the presentation picks a label and the file writer a number format).
TEXT, ID, COUNT, MONEY, NUMBER, METRES, COORD, DATETIME, DATE, BOOL, CODE = (
    "text",
    "id",
    "count",
    "money",
    "number",
    "metres",
    "coord",
    "datetime",
    "date",
    "bool",
    "code",
)


@dataclass(frozen=True)
class Column:
    key: str  # the raw header, and the key of the header's label
    kind: str = TEXT
    vocab: str | None = None  # for CODE: which vocabulary's labels (bot/views/export.py)
    raw: Callable[[Any], Any] | None = None  # the raw reading when it is not the default


def C(key: str, kind: str = TEXT, vocab: str | None = None, **kw: Any) -> Column:  # noqa: N802
    return Column(key, kind, vocab, **kw)


@dataclass(frozen=True)
class Sheet:
    kind: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]


COLUMNS: dict[str, tuple[Column, ...]] = {
    "customers": (
        C("id", ID),
        C("external_id"),
        C("name"),
        C("class"),
        C("stage", CODE, "stage"),
        C("relationship", CODE, "relationship"),
        C("owner"),
        C("team"),
        C("claim_expires", DATETIME),
        C("phone"),
        C("industry"),
        C("address"),
        C("area"),
        C("source", CODE, "source"),
        C("tags"),
        C("annual_value", MONEY, raw=lambda v: float(v or 0)),
        C("vip", BOOL),
        C("credit_rating"),
        C("blacklisted", BOOL),
        C("blacklist_reason"),
        C("kind", CODE, "customer_kind"),
        C("notes"),
        C("power_account"),
        C("tariff"),
        C("voltage"),
        C("meter_segment"),
        C("lat", COORD),
        C("lon", COORD),
        C("approval", CODE, "approval"),
        C("care_consent", BOOL),
        C("consent_at", DATETIME),
        C("created_at", DATETIME),
        C("updated_at", DATETIME),
    ),
    "contacts": (
        C("id", ID),
        C("customer_id", ID),
        C("customer"),
        C("name"),
        C("title"),
        C("role", CODE, "contact_role"),
        C("phone"),
        C("birthday", DATE),
        C("birthday_lunar", BOOL),
        C("notes"),
        C("created_at", DATETIME),
    ),
    "visits": (
        C("id", ID),
        C("visited_at", DATETIME),
        C("customer_id", ID),
        C("customer"),
        C("rep"),
        C("kind", CODE, "visit_kind"),
        C("purpose", CODE, "purpose"),
        C("outcome"),
        C("contacts_met"),
        C("lat", COORD),
        C("lon", COORD),
        C("distance_m", METRES),
        C("far_from_address", BOOL),
    ),
    "followups": (
        C("id", ID),
        C("due_at", DATETIME),
        C("status", CODE, "followup_status"),
        C("customer_id", ID),
        C("customer"),
        C("rep"),
        C("note"),
        C("reminded_at", DATETIME),
        C("done_at", DATETIME),
        C("visit_id", ID),
        C("created_at", DATETIME),
    ),
    "tickets": (
        C("id", ID),
        C("number"),
        C("kind", CODE, "ticket_kind"),
        C("category", CODE, "ticket_category"),
        C("status", CODE, "ticket_status"),
        C("customer_id", ID),
        C("customer"),
        C("owner"),
        C("created_at", DATETIME),
        C("first_response_due", DATETIME),
        C("first_response_at", DATETIME),
        C("resolution_due", DATETIME),
        C("resolved_at", DATETIME),
        C("rating", COUNT),
        C("text"),
    ),
    "opportunities": (
        C("id", ID),
        C("customer"),
        C("title"),
        C("amount", MONEY),
        C("expected_close", DATE),
        C("stage", CODE, "stage"),
        C("owner"),
        C("won_amount", MONEY),
        C("lost_reason", CODE, "lost_reason"),
        C("created_at", DATE),
    ),
    "contracts": (
        C("number"),
        C("customer"),
        C("amount", MONEY),
        C("signed_on", DATE),
        C("starts_on", DATE),
        C("ends_on", DATE),
        C("terms", CODE, "terms"),
        C("owner"),
        C("opportunity_id", ID),
    ),
    "instalments": (
        C("contract"),
        C("seq", COUNT),
        C("due_on", DATE),
        C("amount", MONEY),
        C("paid", MONEY),
        C("status", CODE, "instalment_status"),
    ),
    "payments": (
        C("contract"),
        C("amount", MONEY),
        C("paid_on", DATE),
        C("method", CODE, "method"),
        C("owner"),
    ),
}


def _raw(col: Column, v: Any) -> Any:
    if col.raw is not None:
        return col.raw(v)
    if v is None:
        return None if col.kind in (ID, COUNT, NUMBER, METRES, COORD) else ""
    if col.kind == DATETIME:
        return v.strftime("%Y-%m-%d %H:%M")
    return v


async def table(
    session: AsyncSession, kind: str, tz: ZoneInfo, flt: Filter | None = None
) -> tuple[list[str], list[Sequence[Any]]]:
    """The raw reading: the old column names, codes, times as text (for machines and imports)."""
    if kind in deal_tables.KINDS:
        # Deals: every row the user may see (a period does not apply: a contract's schedule and
        # payments belong together); the columns are an import's (crm/services/deals/tables.py).
        cols, data = await deal_tables.table(session, kind, (flt or Filter()).scope)
        return cols, [tuple(r) for r in data]
    found = await sheet(session, kind, tz, flt)
    raw = [tuple(_raw(c, v) for c, v in zip(found.columns, row, strict=True)) for row in found.rows]
    return [c.key for c in found.columns], raw


def _typed(col: Column, v: Any) -> Any:
    """A deal table's exact text read back into its type."""
    if v in ("", None):
        return None
    if col.kind == MONEY:
        return Decimal(v)
    if col.kind == DATE:
        return date.fromisoformat(v)
    return v


async def sheet(session: AsyncSession, kind: str, tz: ZoneInfo, flt: Filter | None = None) -> Sheet:
    """The typed reading of one kind."""
    flt = flt or Filter()
    read = _READERS.get(kind)
    if read is not None:
        return Sheet(kind, COLUMNS[kind], await read(session, tz, flt))
    if kind in deal_tables.KINDS:
        _cols, data = await deal_tables.table(session, kind, flt.scope)
        cols = COLUMNS[kind]
        rows = [tuple(_typed(c, v) for c, v in zip(cols, r, strict=True)) for r in data]
        return Sheet(kind, cols, rows)
    raise ValueError(f"unknown export {kind!r}; choose one of {', '.join(KINDS)}")


__all__ = ["KINDS", "WHOLE", "Column", "Filter", "Sheet", "sheet", "table"]
