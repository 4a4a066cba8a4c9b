"""Where an erased customer's data was copied, and scrubbing it there.

The customer's own rows are erased by `crm.services.privacy.erase`; their words and numbers also
travel: into outbox payloads (notifications to staff, replies to the customer), the audit log
(old values of an edit), staff members' drafts (a visit being registered), import drafts (a
file's rows waiting for Confirm). These are searched for the customer's terms - names, phone
numbers in every format, the texts of their requests and visits, file ids - and every string
holding one is replaced whole (a notification that quotes a ticket's first line holds it cut
short, so a text's opening words count as a term too).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import OutboxStatus
from crm.models import (
    AuditLog,
    ConversationState,
    KeyValue,
    OutboxMessage,
    ReportComment,
    RepReport,
    UnreachableChat,
)

ERASED = "[erased]"
# A text's opening this long is a term of its own (notifications quote requests cut short).
OPENING = 12
# Shorter terms would match other people's words ("张工" is many people).
MIN_TERM = 3
IMPORT_DRAFTS = "import.draft."
_NON_DIGITS = re.compile(r"\D")
_CHUNK = 500


@dataclass
class Terms:
    """What identifies the customer, to be found in copies."""

    texts: set[str] = field(default_factory=set)
    # National numbers as digits only ("13912345678"): matched in a string's digits, whatever
    # the spaces, dashes or country code around them.
    phone_digits: set[str] = field(default_factory=set)

    def add(self, *values: str | None) -> None:
        for value in values:
            value = (value or "").strip()
            if len(value) < MIN_TERM or value.startswith(ERASED):
                continue
            self.texts.update({value, html.escape(value, quote=False)})
            if len(value) > OPENING * 2:
                self.texts.add(value[:OPENING])
                self.texts.add(html.escape(value, quote=False)[:OPENING])

    def add_phone(self, phone: str | None) -> None:
        if not phone:
            return
        self.add(phone)
        try:
            parsed = phonenumbers.parse(phone, "CN")
        except phonenumbers.NumberParseException:
            digits = _NON_DIGITS.sub("", phone)
            if len(digits) >= 7:
                self.phone_digits.add(digits)
            return
        self.phone_digits.add(str(parsed.national_number))

    def found_in(self, text: str) -> bool:
        if any(t in text for t in self.texts):
            return True
        if self.phone_digits:
            digits = _NON_DIGITS.sub("", text)
            return any(p in digits for p in self.phone_digits)
        return False


def scrub(value: Any, terms: Terms) -> tuple[Any, bool]:
    """`value` (JSON: dicts, lists, strings) with every string holding a term replaced."""
    if isinstance(value, str):
        return (ERASED, True) if terms.found_in(value) else (value, False)
    if isinstance(value, list):
        out, changed = [], False
        for item in value:
            new, hit = scrub(item, terms)
            out.append(new)
            changed |= hit
        return out, changed
    if isinstance(value, dict):
        result: dict[Any, Any] = {}
        changed = False
        for key, item in value.items():
            new, hit = scrub(item, terms)
            result[key] = new
            changed |= hit
        return result, changed
    return value, False


def _blank(value: Any) -> Any:
    """Every string in `value` erased, the shape kept (an audit entry's old and new values)."""
    if isinstance(value, str):
        return ERASED
    if isinstance(value, list):
        return [_blank(v) for v in value]
    if isinstance(value, dict):
        return {k: _blank(v) for k, v in value.items()}
    return value


async def _rows(session: AsyncSession, model: type, *where: Any) -> list[Any]:
    """All rows of `model`, in chunks by id (the outbox and audit grow large)."""
    out: list[Any] = []
    last = 0
    while True:
        chunk = list(
            await session.scalars(
                select(model).where(model.id > last, *where).order_by(model.id).limit(_CHUNK)
            )
        )
        out.extend(chunk)
        if len(chunk) < _CHUNK:
            return out
        last = chunk[-1].id


async def scrub_outbox(session: AsyncSession, terms: Terms, chat_ids: Iterable[int]) -> int:
    """Messages to the customer's chats: never sent any more, their text and chat forgotten.
    Other messages (to staff) that quote the customer: those strings erased."""
    chats = list(chat_ids)
    changed = 0
    if chats:
        await session.execute(delete(UnreachableChat).where(UnreachableChat.chat_id.in_(chats)))
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id.in_(chats))
            .values(
                payload={"text": ERASED, "buttons": [], "keyboard": None},
                chat_id=0,
                last_error=None,
            )
        )
        changed += result.rowcount or 0  # type: ignore[attr-defined]
        # What was still to go is not sent (a dead row, so care figures still add up).
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.chat_id == 0,
                OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
            )
            .values(status=OutboxStatus.DEAD, lease_until=None, last_error=ERASED)
        )
    for row in await _rows(session, OutboxMessage):
        payload, hit = scrub(row.payload, terms)
        if hit:
            row.payload = payload
            changed += 1
    return changed


async def scrub_audit(
    session: AsyncSession, terms: Terms, entities: dict[str, Iterable[int]]
) -> int:
    """The customer's own audit entries (and their requests'): every value erased, the kinds
    of change kept. Any other entry quoting them: those strings erased."""
    changed = 0
    for row in await _rows(session, AuditLog):
        if row.entity_id is not None and row.entity_id in set(entities.get(row.entity, ())):
            blanked = _blank(row.changes or {})
            if blanked != row.changes:
                row.changes = blanked
                changed += 1
            continue
        changes, hit = scrub(row.changes or {}, terms)
        if hit:
            row.changes = changes
            changed += 1
    return changed


async def scrub_drafts(session: AsyncSession, terms: Terms) -> int:
    """Staff members' conversation drafts quoting the customer: those strings erased."""
    changed = 0
    for row in await _rows(session, ConversationState):
        data, hit = scrub(row.data or {}, terms)
        if hit:
            row.data = data
            changed += 1
    return changed


async def scrub_import_drafts(session: AsyncSession, terms: Terms) -> int:
    """Import previews waiting for Confirm: the rows naming the customer leave the draft (a
    draft left without rows is dropped)."""
    changed = 0
    for kv in await session.scalars(
        select(KeyValue).where(KeyValue.key.startswith(IMPORT_DRAFTS, autoescape=True))
    ):
        try:
            draft = json.loads(kv.value)
            rows = draft["rows"]
        except (ValueError, KeyError, TypeError):
            draft, rows = {"rows": []}, None
        # Compared as decoded text: the stored JSON escapes every Chinese character.
        kept = [r for r in rows or [] if not terms.found_in(json.dumps(r, ensure_ascii=False))]
        if rows is not None and len(kept) == len(rows):
            continue
        changed += 1
        draft["rows"] = kept
        if kept:
            kv.value = json.dumps(draft, ensure_ascii=False)
        else:
            await session.delete(kv)
    return changed


async def scrub_reports(session: AsyncSession, terms: Terms) -> int:
    """Reps' report lines and plans and managers' comments naming the customer: those lines
    erased, the others and the figures kept."""
    changed = 0
    for report in await _rows(
        session, RepReport, (RepReport.lines.is_not(None)) | (RepReport.plan.is_not(None))
    ):
        for attr in ("lines", "plan"):
            text = getattr(report, attr)
            if text is None:
                continue
            lines, hit = scrub(text.split("\n"), terms)
            if hit:
                setattr(report, attr, "\n".join(lines))
                changed += 1
    for row in await _rows(session, ReportComment):
        if terms.found_in(row.text):
            row.text = ERASED
            changed += 1
    return changed
