"""An admin sends the bot a CSV or XLSX of customers: a preview, then Confirm imports it.

The same parsing and upsert as `crm-bot import customers FILE` (crm.importer, crm.services.imports).
The file's rows wait in a key-value row (not in memory, not in the message), so a restart between
the preview and Confirm loses nothing; Confirm plans again against the database as it is then, so
pressing it twice, or after the same file went in another way, creates nothing twice.

A preview waits in the `confirm` state; another file sent there replaces it. Cancel (or
/cancel) forgets the rows too. Diagram: docs/flows/imp.md (generated from FLOWS).
"""

from __future__ import annotations

import asyncio
import json
import secrets

from bot.types import MAX_DOWNLOAD_BYTES, FileTooLarge, FileUnavailable, Lines, Raw, Reply, T, Text
from crm.enums import Role
from crm.importer import ImportFileError, Preview, Rejected, Row, is_supported, read_rows
from crm.services import imports, runtime
from crm.services.deals import transfer as deal_transfer
from handlers import deals_import
from handlers.base import ADMINS, Command, Handler, StaffCtx, Step, flow_button, is_admin, rows
from handlers.conversation import Draft, Flow, Input, State, States
from handlers.conversation.parking import discarded
from handlers.refusals import CHOOSE, EMPTY_FILE, NO_PREVIEW, UNREADABLE_FILE

SHOWN_REJECTED = 20  # rejected rows listed in the preview; the rest are counted
DETAIL_CHARS = 40

REASONS = {
    "missing_name": T("missing name"),
    "bad_phone": T("bad phone number"),
    "unknown_owner": T("unknown owner"),
    "bad_class": T("unknown class (use A, B or C)"),
    "bad_stage": T("unknown stage"),
    "bad_number": T("not a number"),
    "bad_flag": T("not yes or no"),
    "bad_contact_role": T("unknown contact role"),
}
FILE_ERRORS = {
    "file_type": T("Please send a .csv or .xlsx file. Nothing was changed."),
    "unreadable": UNREADABLE_FILE,
    "empty": EMPTY_FILE,
    "too_many_rows": T("That is too many rows for one import; please split the file."),
    "too_large": T("That file holds too much for one import; please split it."),
    "no_name_column": T(
        "The file has no customer name column (name / 客户名称). Nothing was changed."
    ),
}
NOT_ADMIN = T("Only an admin can import customers from a file. Nothing was changed.")
COLUMNS = T(
    "Send me a CSV or Excel (.xlsx) file with one customer per row. Columns (English or "
    "Chinese headers): name / 客户名称 (required), external_id / 客户编号, phone / 电话, "
    "class / 客户等级, stage / 阶段, owner / 负责人, industry / 行业, address / 地址, "
    "area / 区域, annual value / 年业务量, tags / 标签, source / 来源, contact / 联系人, "
    "contact phone / 联系人电话, contact role / 联系人角色. "
    "You will see a preview before anything is changed."
)


# The preview's own Cancel: unlike the router's, it also forgets the rows kept for Confirm.
FORGET = "no"


class ImpStep(States, flow="imp"):
    FILE = "file"
    CONFIRM = "confirm"


class ImpDraft(Draft):
    # The preview on offer: its token (also in the kept rows and the Confirm button) and file.
    token: str | None = None
    file: str | None = None


def draft_key(staff_id: int) -> str:
    return f"import.draft.{staff_id}"


def _title(d: ImpDraft) -> Text:
    if d.file:
        return T("Import of {file}", file=d.file)
    return T("Import of customers")


async def start(ctx: StaffCtx) -> Step:
    ctx.data = ImpDraft()
    return Step.go(ImpStep.FILE)


def _file_prompt(ctx: StaffCtx) -> Reply:
    return Reply(COLUMNS)


async def _kept(ctx: StaffCtx) -> dict | None:
    """The rows kept for this preview's Confirm, if they are still there."""
    saved = await runtime.kv_get(ctx.session, draft_key(ctx.me.id))
    draft = json.loads(saved) if saved else None
    if draft is None or draft.get("token") != ctx.data.token:
        return None
    return draft


def _preview_reply(summary: Lines, token: str) -> Reply:
    buttons = rows(
        flow_button(T("✅ Confirm import"), ImpStep.CONFIRM, f"yes.{token}"),
        flow_button(T("✖ Cancel"), ImpStep.CONFIRM, FORGET),
    )
    return Reply(summary, buttons=buttons)


async def _confirm_prompt(ctx: StaffCtx) -> Reply:
    """The preview again (a resumed draft): planned against the database as it is now."""
    draft = await _kept(ctx)
    if draft is None:
        return Reply(
            NO_PREVIEW,
            buttons=rows(flow_button(T("✖ Cancel"), ImpStep.CONFIRM, FORGET)),
        )
    found = [Row(number, values) for number, values in draft["rows"]]
    preview = await imports.plan(ctx.session, found, draft["unknown"])
    return _preview_reply(describe(preview, draft["file"]), draft["token"])


async def file_step(ctx: StaffCtx) -> Step:
    if ctx.inbound.document_id:
        return await receive(ctx)
    if ctx.inbound.photo_ids:
        return ctx.stay(
            Reply(T("That is a photo. Please send the CSV or Excel file as a file (document)."))
        )
    return ctx.stay(Reply(T("Please send the CSV or Excel file, or /cancel.")))


async def receive(ctx: StaffCtx) -> Step:
    """A document: checked, read and planned; a preview with Confirm if anything would change."""
    if not is_admin(ctx):
        return ctx.stay(Reply(NOT_ADMIN))
    name = ctx.inbound.document_name or ""
    file_id = ctx.inbound.document_id
    if not is_supported(name) or file_id is None:
        return ctx.stay(Reply(FILE_ERRORS["file_type"]))
    if ctx.files is None:
        return ctx.stay(Reply(T("I could not fetch that file. Please send it again.")))
    try:
        data = await ctx.files.download(file_id)
    except FileTooLarge:
        mb = MAX_DOWNLOAD_BYTES // (1024 * 1024)
        return ctx.stay(Reply(T("The file is larger than {mb} MB; please split it.", mb=mb)))
    except FileUnavailable:
        return ctx.stay(Reply(T("I could not fetch that file. Please send it again.")))
    if deal_transfer.kind_of(data, name) is not None:
        # A table of opportunities, contracts, instalments or payments: its own preview.
        return await deals_import.preview(ctx, data, name)
    try:
        # Off the event loop: a big sheet takes seconds, and other users' updates go on.
        found, unknown = await asyncio.to_thread(read_rows, data, name)
    except ImportFileError as exc:
        return ctx.stay(Reply(FILE_ERRORS.get(exc.code, FILE_ERRORS["unreadable"])))
    if not found:
        return ctx.stay(Reply(T("The file has no customer rows. Nothing was changed.")))
    preview = await imports.plan(ctx.session, found, unknown)
    summary = describe(preview, name)
    if not preview.create and not preview.update:
        await runtime.kv_delete(ctx.session, draft_key(ctx.me.id))
        return Step.end(
            Reply(
                Lines(
                    summary,
                    T("Nothing to change: the CRM already has every valid row as it is."),
                )
            )
        )
    token = secrets.token_hex(4)
    draft = {
        "token": token,
        "file": name,
        "rows": [[r.number, r.values] for r in found],
        "unknown": unknown,
    }
    await runtime.kv_set(ctx.session, draft_key(ctx.me.id), json.dumps(draft))
    ctx.data = ImpDraft(token=token, file=name)
    # The preview just planned is the state's prompt: not planned a second time.
    return Step.to(ImpStep.CONFIRM, _preview_reply(summary, token))


async def confirm_step(ctx: StaffCtx) -> Step:
    if ctx.inbound.document_id:
        return await receive(ctx)  # a corrected file replaces the preview
    if ctx.choice is None:
        return ctx.stay(
            Reply(T("Tap Confirm to import, or Cancel. You may also send another file."))
        )
    if not is_admin(ctx):
        return Step.end(Reply(NOT_ADMIN, notice="alert"))
    key = draft_key(ctx.me.id)
    if ctx.choice == FORGET:
        draft = await _kept(ctx)
        if draft is not None:
            await runtime.kv_delete(ctx.session, key)
        return Step.end(discarded([_title(ctx.data)], menu=True, ctx=ctx))
    token = ctx.data.token
    if not (ctx.choice or "").startswith("yes."):
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    draft = await _kept(ctx)
    if draft is None or ctx.choice != f"yes.{token}":
        return Step.end(Reply(NO_PREVIEW, notice="toast"))
    found = [Row(number, values) for number, values in draft["rows"]]
    # Planned again: what the database holds now decides, not what it held at the preview.
    preview = await imports.plan(ctx.session, found, draft["unknown"])
    created, updated = await imports.apply(
        ctx.session, preview, actor_id=ctx.me.id, now=ctx.now(), source=draft["file"]
    )
    await runtime.kv_delete(ctx.session, key)
    return Step.end(
        Reply(
            T(
                "Imported {file}: {created} created, {updated} updated, {rejected} rejected.",
                file=draft["file"],
                created=created,
                updated=updated,
                rejected=len(preview.rejected),
            )
        )
    )


def describe(preview: Preview, name: str) -> Lines:
    lines: list[Text] = [
        T("<b>Import preview: {file}</b>", file=name),
        T("To create: {n}", n=len(preview.create)),
        T("To update: {n}", n=len(preview.update)),
        T("Unchanged: {n}", n=preview.unchanged),
        T("Rejected: {n}", n=len(preview.rejected)),
    ]
    lines += [_rejected(r) for r in preview.rejected[:SHOWN_REJECTED]]
    more = len(preview.rejected) - SHOWN_REJECTED
    if more > 0:
        lines.append(T("… and {n} more rejected rows", n=more))
    if preview.unknown_columns:
        ignored = ", ".join(c[:DETAIL_CHARS] for c in preview.unknown_columns[:20])
        lines.append(T("Ignored columns: {columns}", columns=ignored))
    return Lines(*lines)


def _rejected(r: Rejected) -> Text:
    if r.reason == "duplicate_in_file":
        return T("• Row {row}: the same customer as row {other}", row=r.number, other=r.other_row)
    reason = REASONS.get(r.reason, Raw(r.reason))
    if r.detail:
        detail = r.detail if len(r.detail) <= DETAIL_CHARS else r.detail[:DETAIL_CHARS] + "…"
        return T("• Row {row}: {reason} ({value})", row=r.number, reason=reason, value=detail)
    return T("• Row {row}: {reason}", row=r.number, reason=reason)


def with_files(inner: Handler) -> Handler:
    """A staff role's fallback, with a document outside any flow read as an import: an admin's
    any document (a wrong type gets told so), anyone else's CSV or XLSX (refused)."""

    async def fallback(ctx: StaffCtx) -> Step:
        inbound = ctx.inbound
        if inbound.document_id and (
            ctx.who.role == Role.ADMIN or is_supported(inbound.document_name or "")
        ):
            return await receive(ctx)
        return await inner(ctx)

    return fallback


COMMANDS = [Command("import", ADMINS, start, T("import customers from a CSV or Excel file"))]
FLOWS = [
    Flow(
        ImpStep,
        ADMINS,
        {
            # Text and photos get told what is wanted; a document is read.
            ImpStep.FILE: State(
                file_step,
                _file_prompt,
                accepts=frozenset({Input.TEXT, Input.BUTTON, Input.DOCUMENT, Input.PHOTO}),
                to=(ImpStep.CONFIRM,),
            ),
            ImpStep.CONFIRM: State(
                confirm_step,
                _confirm_prompt,
                accepts=frozenset({Input.BUTTON, Input.DOCUMENT}),
            ),
        },
        ImpDraft,
        _title,
        entries=(("/import", ImpStep.FILE), ("a document outside a flow", ImpStep.CONFIRM)),
    )
]
