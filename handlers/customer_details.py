"""The lines of a customer card that show the record's details and warnings."""

from __future__ import annotations

from bot.types import Money, Raw, T, Text
from crm.models import Customer
from handlers.labels import RELATIONSHIP, SOURCE, label

# One line a detail; the msgids are literals so that the catalogs have them.
LINE = {
    "Industry: {value}": lambda v: T("Industry: {value}", value=v),
    "Area: {value}": lambda v: T("Area: {value}", value=v),
    "Source: {value}": lambda v: T("Source: {value}", value=v),
    "Relationship: {value}": lambda v: T("Relationship: {value}", value=v),
    "Tags: {value}": lambda v: T("Tags: {value}", value=v),
    "Annual value: {value}": lambda v: T("Annual value: {value}", value=v),
    "Power account: {value}": lambda v: T("Power account: {value}", value=v),
    "Tariff: {value}": lambda v: T("Tariff: {value}", value=v),
    "Voltage: {value}": lambda v: T("Voltage: {value}", value=v),
    "Meter-reading segment: {value}": lambda v: T("Meter-reading segment: {value}", value=v),
    "Notes: {value}": lambda v: T("Notes: {value}", value=v),
}


def warnings(c: Customer) -> list[Text]:
    """Shown first: what anyone about to act on this customer must see."""
    lines: list[Text] = []
    if c.blacklisted:
        lines.append(T("⛔ Blacklisted: {reason}", reason=c.blacklist_reason or T("—")))
    if c.approval == "pending":
        lines.append(T("⏳ Possible duplicate: awaiting the manager's approval"))
    return lines


def details(c: Customer) -> list[Text]:
    lines: list[Text] = []
    marks = [T("⭐ VIP")] if c.vip else []
    if c.credit_rating:
        marks.append(T("Credit {rating}", rating=c.credit_rating))
    marks.append(T("Company") if c.is_company else T("Person"))
    lines.append(T("{a} · {b}", a=marks[0], b=_join(marks[1:])) if len(marks) > 1 else marks[0])
    values: list[tuple[str, object]] = [
        ("Industry: {value}", c.industry),
        ("Area: {value}", c.area),
        ("Source: {value}", label(SOURCE, c.source) if c.source else None),
        ("Relationship: {value}", label(RELATIONSHIP, c.relationship)),
        ("Tags: {value}", Raw(", ".join(c.tags)) if c.tags else None),
        ("Annual value: {value}", Money(c.annual_value) if c.annual_value else None),
        ("Power account: {value}", c.power_account),
        ("Tariff: {value}", c.tariff),
        ("Voltage: {value}", c.voltage),
        ("Meter-reading segment: {value}", c.meter_segment),
        ("Notes: {value}", c.notes),
    ]
    lines.extend(LINE[key](value) for key, value in values if value)
    return lines


def _join(parts: list[Text]) -> Text:
    if len(parts) == 1:
        return parts[0]
    return T("{a} · {b}", a=parts[0], b=_join(parts[1:]))
