"""The lines of a customer card that show the record's details and warnings."""

from __future__ import annotations

from bot.types import Money, Raw, T, Text
from crm.models import Customer
from handlers.labels import RELATIONSHIP, SOURCE, label


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
    pairs: list[tuple[Text, object]] = [
        (T("Industry: {value}"), c.industry),
        (T("Area: {value}"), c.area),
        (T("Source: {value}"), label(SOURCE, c.source) if c.source else None),
        (T("Relationship: {value}"), label(RELATIONSHIP, c.relationship)),
        (T("Tags: {value}"), Raw(", ".join(c.tags)) if c.tags else None),
        (T("Annual value: {value}"), Money(c.annual_value) if c.annual_value else None),
        (T("Power account: {value}"), c.power_account),
        (T("Tariff: {value}"), c.tariff),
        (T("Voltage: {value}"), c.voltage),
        (T("Meter-reading segment: {value}"), c.meter_segment),
        (T("Notes: {value}"), c.notes),
    ]
    for text, value in pairs:
        if value:
            assert isinstance(text, T)
            lines.append(T(text.msgid, value=value))
    return lines


def _join(parts: list[Text]) -> Text:
    if len(parts) == 1:
        return parts[0]
    return T("{a} · {b}", a=parts[0], b=_join(parts[1:]))
