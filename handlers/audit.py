"""/audit on a customer card: who changed what and when, for managers and admins, in words.

Each entry is a line (when, who, what was done) followed by one line a change, with the keys and
values named as the card names them: owners by name, stages by label, amounts as money. Ids that
mean nothing to a reader (the visit's, the follow-up's) are left out.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.types import Lines, Money, Raw, Reply, T, Text
from crm.models import AuditLog
from crm.services import colleagues, history, records
from handlers.base import LEADS, Action, StaffCtx, Step
from handlers.labels import AUDIT_ACTION, AUDIT_KEY, CHANGE_HOW, STAGE, label
from handlers.refusals import NO_CUSTOMER

LIMIT = 15
# Internal references recorded for the software, not for a reader.
HIDDEN_KEYS = frozenset(
    {"visit_id", "followup_id", "contact_id", "opportunity_id", "contract_id", "payment_id"}
)
# Free text (a reason, a name) is cut so that fifteen entries stay one message.
VALUE_CHARS = 80


def _value(key: str, value: Any, names: dict[int, str]) -> Text | Money | datetime:
    if value is None or value == "":
        return T("team pool") if key == "owner_id" else T("—")
    if key == "owner_id":
        return Raw(names.get(value, f"#{value}"))
    if key == "stage":
        return label(STAGE, value)
    if key == "care_consent":
        return T("on") if value else T("off")
    if key == "how":
        return label(CHANGE_HOW, value)
    if key == "via" and value == "phone":
        return T("shared phone number")
    if key in ("amount", "value"):
        try:
            return Money(Decimal(str(value)))
        except InvalidOperation:
            pass
    if key == "claim_expires_at":
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            pass
    return Raw(str(value)[:VALUE_CHARS])


def _changes(changes: dict[str, Any], names: dict[int, str]) -> list[Text]:
    lines: list[Text] = []
    for key, value in changes.items():
        if key in HIDDEN_KEYS or value in (None, "", [], {}):
            continue
        name = AUDIT_KEY.get(key, Raw(key))
        if isinstance(value, list) and len(value) == 2:
            old, new = (_value(key, v, names) for v in value)
            lines.append(T("· {field}: {old} → {new}", field=name, old=old, new=new))
        else:
            lines.append(T("· {field}: {value}", field=name, value=_value(key, value, names)))
    return lines


def _owner_ids(entries: list[AuditLog]) -> set[int]:
    ids: set[int] = set()
    for entry in entries:
        owner = (entry.changes or {}).get("owner_id")
        for v in owner if isinstance(owner, list) else [owner]:
            if isinstance(v, int):
                ids.add(v)
    return ids


async def show(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    customer = await records.customer(ctx.session, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(NO_CUSTOMER))
    rows = await history.changes_to(ctx.session, "customer", customer.id, limit=LIMIT)
    if not rows:
        return ctx.stay(Reply(T("No recorded changes for {customer} yet.", customer=customer.name)))
    owners = _owner_ids([entry for entry, _name in rows])
    names = await colleagues.names(ctx.session, owners)
    lines: list[Text] = [T("<b>Changes to {customer}</b>", customer=customer.name)]
    for entry, name in rows:
        who: Text = Raw(name) if name else T("the system")
        action = AUDIT_ACTION.get(entry.action, Raw(entry.action))
        lines.append(T("{when} · {who} · {action}", when=entry.at, who=who, action=action))
        lines.extend(_changes(entry.changes or {}, names))
    return ctx.stay(Reply(Lines(*lines)))


ACTIONS = [Action("audit", LEADS, show, obj_kind="customer")]
