"""Exports in the reader's words: headers and codes as labels, a summary sheet first.

crm/export.py reads typed rows with codes; this module renders headers and vocabularies with the
reader's renderer (their locale) and crm/export_book.py writes the formatted file. The labels are
the ones the chat shows (handlers/labels.py and the flows' tables), so a stage reads 方案/报价 in
the file as on the card.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.types import Raw, T, Text
from bot.views.deals import METHODS, TERMS
from crm.export import BOOL, CODE, Sheet
from crm.export_book import Page, csv_page, workbook
from handlers import labels as L
from handlers.tickets import CATEGORY

Render = Callable[[Text], str]

TITLES = L.EXPORT_KIND

VOCABULARIES: dict[str, dict[str, T]] = {
    "stage": L.STAGE,
    "relationship": L.RELATIONSHIP,
    "source": L.SOURCE,
    "customer_kind": {"company": L.FIELD_CHOICE["company"], "person": L.FIELD_CHOICE["person"]},
    "approval": L.APPROVAL,
    "contact_role": L.CONTACT_ROLE,
    "visit_kind": L.VISIT_KIND,
    "purpose": L.PURPOSE,
    "followup_status": L.FOLLOWUP_STATUS,
    "ticket_kind": L.TICKET_KIND,
    "ticket_category": CATEGORY,
    "ticket_status": L.TICKET_STATUS,
    "lost_reason": L.LOST_REASON,
    "terms": TERMS,
    "method": METHODS,
    "instalment_status": L.INSTALMENT_STATUS,
}

# Headers by column key; (kind, key) where one key means different things in different sheets.
HEADERS: dict[str | tuple[str, str], T] = {
    "id": T("ID"),
    "external_id": T("External ID"),
    "name": T("Name"),
    "class": T("Class"),
    "stage": T("Stage"),
    "relationship": L.CUSTOMER_FIELD["relationship"],
    "owner": T("Owner"),
    "team": T("Team"),
    "claim_expires": T("Claim expires"),
    "phone": L.CUSTOMER_FIELD["phone"],
    "industry": L.CUSTOMER_FIELD["industry"],
    "address": L.CUSTOMER_FIELD["address"],
    "area": L.CUSTOMER_FIELD["area"],
    "source": L.CUSTOMER_FIELD["source"],
    "tags": L.CUSTOMER_FIELD["tags"],
    "annual_value": L.CUSTOMER_FIELD["value"],
    "vip": L.CUSTOMER_FIELD["vip"],
    "credit_rating": L.CUSTOMER_FIELD["credit"],
    "blacklisted": L.CUSTOMER_FIELD["blacklist"],
    "blacklist_reason": T("Blacklist reason"),
    ("customers", "kind"): L.CUSTOMER_FIELD["kind"],
    "notes": L.CUSTOMER_FIELD["notes"],
    "power_account": L.CUSTOMER_FIELD["power_account"],
    "tariff": L.CUSTOMER_FIELD["tariff"],
    "voltage": L.CUSTOMER_FIELD["voltage"],
    "meter_segment": L.CUSTOMER_FIELD["meter_segment"],
    "lat": T("Latitude"),
    "lon": T("Longitude"),
    "approval": T("Approval"),
    "care_consent": T("Consent to care messages"),
    "consent_at": T("Consent given at"),
    "created_at": T("Created at"),
    ("opportunities", "created_at"): T("Created on"),
    "updated_at": T("Updated at"),
    "customer_id": T("Customer ID"),
    "customer": T("Customer"),
    "title": T("Job title"),
    ("opportunities", "title"): T("Opportunity"),
    "role": T("Contact role"),
    "birthday": T("Birthday"),
    "birthday_lunar": T("Lunar birthday"),
    "visited_at": T("Visited at"),
    "rep": T("Sales rep"),
    ("visits", "kind"): T("Visit type"),
    "purpose": T("Purpose"),
    "outcome": T("Outcome"),
    "contacts_met": T("Contacts met"),
    "distance_m": T("Distance from the address (m)"),
    "far_from_address": T("Far from the address"),
    "due_at": T("Due at"),
    "status": T("Status"),
    "note": T("Note"),
    "reminded_at": T("Reminded at"),
    "done_at": T("Done at"),
    "visit_id": T("Visit ID"),
    "number": T("Number"),
    ("contracts", "number"): T("Contract number"),
    ("tickets", "number"): T("Request number"),
    ("contacts", "name"): T("Contact name"),
    ("tickets", "kind"): T("Request kind"),
    "category": T("Category"),
    ("tickets", "owner"): T("Handled by"),
    "first_response_due": T("First response due"),
    "first_response_at": T("First response at"),
    "resolution_due": T("Resolution due"),
    "resolved_at": T("Resolved at"),
    "rating": T("Rating"),
    "text": T("Text"),
    "amount": T("Amount"),
    "expected_close": T("Expected close"),
    "won_amount": T("Amount won"),
    "lost_reason": T("Reason lost"),
    "signed_on": T("Signed on"),
    "starts_on": T("Starts on"),
    "ends_on": T("Ends on"),
    "terms": T("Payment terms"),
    "opportunity_id": T("Opportunity ID"),
    "contract": T("Contract number"),
    "seq": T("Instalment no."),
    "due_on": T("Due on"),
    "paid": T("Paid"),
    "paid_on": T("Paid on"),
    "method": T("Payment method"),
}
YES, NO = L.FIELD_CHOICE["yes"], L.FIELD_CHOICE["no"]


def header(kind: str, key: str) -> Text:
    return HEADERS.get((kind, key)) or HEADERS.get(key) or Raw(key)


def page(sheet: Sheet, render: Render) -> Page:
    """One kind's rows with headers and codes in the reader's words."""

    def plain(text: Text) -> str:
        return html.unescape(render(text))

    # Each vocabulary's labels rendered once, not once per cell.
    rendered: dict[str, dict[str, str]] = {}
    for col in sheet.columns:
        if col.kind == CODE and col.vocab and col.vocab not in rendered:
            rendered[col.vocab] = {k: plain(v) for k, v in VOCABULARIES[col.vocab].items()}
    yes, no = plain(YES), plain(NO)

    def cell(kind: str, vocab: str | None, v: Any) -> Any:
        if v is None or v == "":
            return None
        if kind == CODE and vocab:
            return rendered[vocab].get(v, v)  # an unknown code as stored, not dropped
        if kind == BOOL:
            return yes if v else no
        return v

    specs = [(c.kind, c.vocab) for c in sheet.columns]
    rows = [
        [cell(kind, vocab, v) for (kind, vocab), v in zip(specs, row, strict=True)]
        for row in sheet.rows
    ]
    return Page(
        plain(TITLES[sheet.kind]),
        [plain(header(sheet.kind, c.key)) for c in sheet.columns],
        [c.kind for c in sheet.columns],
        rows,
    )


def book(
    sheets: Sequence[Sheet],
    render: Render,
    *,
    by: Text,
    at: datetime,
    filters: Sequence[Text],
    zone: str,
) -> bytes:
    """The XLSX: a summary sheet (what, when, by whom, filters, rows per kind), then a sheet
    per kind. `at` is the export's local wall-clock time."""

    def plain(text: Text) -> str:
        return html.unescape(render(text))

    what = [TITLES[s.kind] for s in sheets]
    lines: list[tuple[str, Any]] = [
        (plain(T("Contents")), " · ".join(plain(w) for w in what)),
        (plain(T("Exported at")), at),
        (plain(T("Time zone")), zone),
        (plain(T("Exported by")), plain(by)),
        (plain(T("Filters")), "; ".join(plain(f) for f in filters) or plain(T("none"))),
    ]
    lines += [(plain(TITLES[s.kind]), len(s.rows)) for s in sheets]
    return workbook(
        plain(T("CRM export")),
        lines,
        # One page at a time: each labelled copy is written and let go before the next.
        (page(s, render) for s in sheets),
        plain(T("Summary")),
    )


def csv(sheet: Sheet, render: Render) -> bytes:
    """One kind as CSV with the same headers and labels (UTF-8 with a BOM)."""
    return csv_page(page(sheet, render))
