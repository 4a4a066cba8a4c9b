"""A customer's editable fields, as one table: adding a field is a line here (and its label).

Each field says which column it writes, how typed text becomes its value, and who may change it
(VIP, credit rating and the blacklist are for managers). The chat's edit flow, the card and the
import read this table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

import cn2an

from crm.enums import Relationship, Source
from crm.limits import amount_ok, text_limit
from crm.models import Customer
from crm.phones import normalise
from crm.rules import Rules

KINDS = ("company", "person")


@dataclass(frozen=True)
class Field:
    key: str  # the key audited and labelled
    column: str
    kind: str  # text, phone, money, choice, flag, tags, rating, place, blacklist
    max_len: int = 300
    lead_only: bool = False  # managers and admins only
    power: bool = False  # shown where rules.customers.power_supply
    choices: tuple[str, ...] = ()


FIELDS: tuple[Field, ...] = (
    Field("name", "name", "text", max_len=200),
    Field("kind", "is_company", "choice", choices=KINDS),
    Field("phone", "phone", "phone"),
    Field("industry", "industry", "text", max_len=80),
    Field("area", "area", "text", max_len=80),
    Field("address", "address", "place"),
    Field("source", "source", "choice", choices=tuple(s.value for s in Source)),
    Field("tags", "tags", "tags", max_len=200),
    Field("value", "annual_value", "money"),
    Field("relationship", "relationship", "choice", choices=tuple(r.value for r in Relationship)),
    Field("notes", "notes", "text", max_len=1000),
    Field("vip", "vip", "flag", lead_only=True),
    Field("credit", "credit_rating", "rating", lead_only=True),
    Field("blacklist", "blacklisted", "blacklist", max_len=200, lead_only=True),
    Field("power_account", "power_account", "text", max_len=40, power=True),
    Field("tariff", "tariff", "text", max_len=40, power=True),
    Field("voltage", "voltage", "text", max_len=20, power=True),
    Field("meter_segment", "meter_segment", "text", max_len=40, power=True),
)


def _fitted(field: Field) -> Field:
    """A text field takes at most what its column holds (the model is the one source)."""
    column = getattr(Customer, field.column, None)
    length = getattr(getattr(column, "type", None), "length", None)
    if field.kind in ("text", "place") and length:
        return replace(field, max_len=min(field.max_len, text_limit(column)))
    return field


FIELDS = tuple(_fitted(f) for f in FIELDS)
BY_KEY = {f.key: f for f in FIELDS}


def shown(rules: Rules, *, lead: bool) -> list[Field]:
    """The fields a person may edit: managers' fields for leads, power fields where enabled."""
    return [
        f
        for f in FIELDS
        if (lead or not f.lead_only) and (rules.customers.power_supply or not f.power)
    ]


def choices(field: Field, rules: Rules) -> tuple[str, ...]:
    if field.kind == "rating":
        return tuple(rules.customers.credit_ratings)
    if field.kind == "flag":
        return ("yes", "no")
    return field.choices


class BadValue(ValueError):
    """Typed text that is not a value of the field; `code` says why, for a translated answer."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse(field: Field, text: str, rules: Rules) -> Any:
    """The value typed (or the button's value) for `field`; raises BadValue."""
    text = text.strip()
    if not text or len(text) > field.max_len:
        raise BadValue("length")
    if field.kind == "phone":
        phone = normalise(text) if len(text) <= 30 else None
        if phone is None:
            raise BadValue("phone")
        return phone
    if field.kind == "money":
        return parse_money(text)
    if field.kind in ("choice", "rating", "flag"):
        options = choices(field, rules)
        found = next((o for o in options if o.lower() == text.lower()), None)
        if found is None:
            raise BadValue("choice")
        if field.key == "kind":
            return found == "company"
        if field.kind == "flag":
            return found == "yes"
        return found
    if field.kind == "tags":
        tags = [t.strip() for t in text.replace("，", ",").replace("、", ",").split(",")]
        return list(dict.fromkeys(t for t in tags if t))[:20]
    return text


def parse_money(text: str) -> Decimal:
    """An amount as people type it: 120000, 120,000, 12万, 1.5亿."""
    raw = text.replace(",", "").replace("，", "").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        try:
            value = Decimal(str(cn2an.cn2an(raw, "smart")))
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise BadValue("money") from None
    if not amount_ok(value):
        raise BadValue("money")
    return value.quantize(Decimal("0.01"))


def shown_value(value: Any) -> str | None:
    """A value as the audit records it."""
    if value is None:
        return None
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
