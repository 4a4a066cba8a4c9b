"""An admin's CSV or XLSX of opportunities, contracts, instalments or payments (the columns of the
deal exports): a preview of what would be created and what is rejected and why, then Confirm.
Reached from the customer import (handlers/import_chat.py), which hands over any file whose
header names a deal table. Like the customer import, the rows wait in a key-value row, and
Confirm checks them again against the database as it is then."""

from __future__ import annotations

import json
import secrets

from bot.types import Lines, Raw, Reply, T, Text
from crm.services import runtime
from crm.services.deals import transfer
from handlers.base import ADMINS, StaffCtx, Step, flow_button, is_admin, rows
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.refusals import EMPTY_FILE, NO_PREVIEW, UNREADABLE_FILE

SHOWN = 20
KIND = {
    "opportunities": T("Opportunities"),
    "contracts": T("Contracts"),
    "instalments": T("Instalments"),
    "payments": T("Payments"),
}
REASONS = {
    "unknown_customer": T("unknown customer"),
    "unknown_owner": T("unknown owner"),
    "unknown_contract": T("unknown contract number"),
    "bad_amount": T("not an amount"),
    "bad_date": T("not a date (use 2026-12-31)"),
    "bad_stage": T("unknown stage"),
    "bad_terms": T("unknown payment terms"),
    "bad_method": T("unknown payment method"),
    "bad_contract_number": T("missing or repeated contract number"),
    "missing_title": T("missing what is sold (title)"),
}
FILE_ERRORS = {
    "unreadable": UNREADABLE_FILE,
    "empty": EMPTY_FILE,
    "too_many_rows": T("That is too many rows for one import; please split the file."),
}
NOT_ADMIN = T("Only an admin can import from a file. Nothing was changed.")


class DimpStep(States, flow="dimp"):
    CONFIRM = "confirm"


class DimpDraft(Draft):
    # The preview's token (the rows wait in a key-value row) and what the preview said.
    token: str | None = None
    file: str | None = None
    summary: str | None = None


def _title(d: DimpDraft) -> Text:
    return T("Import of {file}", file=d.file or "")


def _key(staff_id: int) -> str:
    return f"import.deals.{staff_id}"


def _describe(preview: transfer.DealPreview, name: str) -> Lines:
    lines: list[Text] = [
        T("<b>Import preview: {file}</b>", file=name),
        T("{kind}: {n} to create", kind=KIND[preview.kind], n=len(preview.create)),
        T("Rejected: {n}", n=len(preview.rejected)),
    ]
    for number, reason, value in preview.rejected[:SHOWN]:
        lines.append(
            T(
                "• Row {row}: {reason} ({value})",
                row=number,
                reason=REASONS.get(reason, Raw(reason)),
                value=value,
            )
        )
    if len(preview.rejected) > SHOWN:
        lines.append(T("… and {n} more rejected rows", n=len(preview.rejected) - SHOWN))
    return Lines(*lines)


async def preview(ctx: StaffCtx, data: bytes, name: str) -> Step:
    if not is_admin(ctx):
        return ctx.stay(Reply(NOT_ADMIN))
    try:
        kind, found = transfer.read(data, name)
    except transfer.TransferError as exc:
        return ctx.stay(Reply(FILE_ERRORS.get(exc.code, FILE_ERRORS["unreadable"])))
    planned = await transfer.plan(ctx.session, kind, found, ctx.rules)
    summary = _describe(planned, name)
    if not planned.create:
        return Step.end(Reply(Lines(summary, T("Nothing to import. Nothing was changed."))))
    token = secrets.token_hex(4)
    draft = {"token": token, "file": name, "kind": kind, "rows": found}
    await runtime.kv_set(ctx.session, _key(ctx.me.id), json.dumps(draft))
    ctx.data = DimpDraft(token=token, file=name, summary=ctx.render(summary))
    return Step.go(DimpStep.CONFIRM)


def _confirm_prompt(ctx: StaffCtx) -> Reply:
    token = ctx.data.token
    buttons = rows(
        flow_button(T("✅ Confirm import"), DimpStep.CONFIRM, f"yes.{token}"),
        flow_button(T("✖ Cancel"), DimpStep.CONFIRM, "no"),
    )
    return Reply(Raw(ctx.data.summary or ""), buttons=buttons)


async def confirm_step(ctx: StaffCtx) -> Step:
    if not is_admin(ctx):
        return Step.end(Reply(NOT_ADMIN))
    key = _key(ctx.me.id)
    if ctx.choice == "no":
        await runtime.kv_delete(ctx.session, key)
        return Step.end(Reply(T("Import cancelled. Nothing was changed.")))
    saved = await runtime.kv_get(ctx.session, key)
    draft = json.loads(saved) if saved else None
    token = ctx.data.token
    if draft is None or draft["token"] != token or ctx.choice != f"yes.{token}":
        return Step.end(Reply(NO_PREVIEW))
    found = [(n, v) for n, v in draft["rows"]]
    planned = await transfer.plan(ctx.session, draft["kind"], found, ctx.rules)
    created, refused = await transfer.apply(ctx.session, planned, by=ctx.me, now=ctx.now())
    await runtime.kv_delete(ctx.session, key)
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action="deals.import",
        entity=draft["kind"],
        entity_id=None,
        changes={"created": created, "rejected": len(planned.rejected) + refused},
        now=ctx.now(),
    )
    return Step.end(
        Reply(
            T(
                "Imported {file}: {created} created, {rejected} rejected.",
                file=draft["file"],
                created=created,
                rejected=len(planned.rejected) + refused,
            )
        )
    )


FLOWS = [
    Flow(
        DimpStep,
        ADMINS,
        {DimpStep.CONFIRM: State(confirm_step, _confirm_prompt, accepts=BUTTONS)},
        DimpDraft,
        _title,
        entries=(("a deal table sent to the customer import", DimpStep.CONFIRM),),
    )
]
