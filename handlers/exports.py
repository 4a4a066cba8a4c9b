"""/export: an XLSX of customers, contacts, visits, follow-ups, tickets or deals, or all of them
(one sheet per kind), only what the user may see, in the reader's words (bot/views/export.py).

What to export, then (for events) which period. Diagram: docs/flows/exp.md (generated
from FLOWS).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.types import TN, Raw, Reply, T, Text
from bot.views import export as view
from crm.enums import Role
from crm.export import KINDS as TABLES
from crm.export import WHOLE, Filter, Sheet, sheet
from crm.services import customer_filters as filters
from crm.services.access import customer_scope
from handlers.base import STAFF, Command, Ctx, StaffCtx, Step, flow_button, rows
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.labels import EXPORT_KIND, ROLE
from handlers.refusals import CHOOSE


class ExpStep(States, flow="exp"):
    KIND = "kind"
    PERIOD = "period"


class ExpDraft(Draft):
    # Two taps are not worth keeping as a draft: an interrupted export is simply dropped.
    SCAFFOLD = frozenset({"kind"})

    kind: str | None = None


ALL = "all"
KINDS: dict[str, Text] = {**EXPORT_KIND, ALL: T("Everything (a sheet per kind)")}
PERIODS = {
    "month": T("This month"),
    "last_month": T("Last month"),
    "week": T("Last 7 days"),
    "all": T("All time"),
}


def _title(d: ExpDraft) -> Text:
    if d.kind in KINDS:
        return T("Export of {what}", what=KINDS[d.kind])
    return T("Export to Excel")


async def start(ctx: StaffCtx) -> Step:
    ctx.data = ExpDraft()
    if ctx.inbound.args:  # /export A级 VIP 浦东: the customers matching, as /customers reads them
        return await export_filtered(ctx, ctx.inbound.args)
    return Step.go(ExpStep.KIND)


def _kind_prompt(ctx: Ctx) -> Reply:
    buttons = [flow_button(label, ExpStep.KIND, key) for key, label in KINDS.items()]
    return Reply(T("Export what?"), buttons=rows(*buttons))


def _period_prompt(ctx: Ctx) -> Reply:
    buttons = [flow_button(label, ExpStep.PERIOD, key) for key, label in PERIODS.items()]
    buttons.append(flow_button(T("⬅ Back"), ExpStep.PERIOD, "back"))
    return Reply(T("Which period?"), buttons=rows(*buttons))


async def kind_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in KINDS:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.kind = ctx.choice
    if ctx.choice in WHOLE:
        return await _send(ctx, "all")  # the period "all": nothing to ask
    return Step.go(ExpStep.PERIOD)


async def period_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in PERIODS or ctx.data.kind not in KINDS:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    return await _send(ctx, ctx.choice)


def _period(ctx: Ctx, key: str) -> tuple[datetime | None, datetime | None]:
    today = ctx.local_now().date()
    first = today.replace(day=1)

    def at(day):  # type: ignore[no-untyped-def]
        return datetime.combine(day, time(0), tzinfo=ctx.who.tz)

    if key == "month":
        return at(first), None
    if key == "last_month":
        return at((first - timedelta(days=1)).replace(day=1)), at(first)
    if key == "week":
        return at(today - timedelta(days=6)), None
    return None, None


async def _send(ctx: StaffCtx, period: str) -> Step:
    since, until = _period(ctx, period)
    kind = ctx.data.kind
    kinds = TABLES if kind == ALL else (kind,)
    flt = Filter(customer_scope(ctx.me), since, until)
    sheets = [await sheet(ctx.session, k, ctx.who.tz, flt) for k in kinds]
    filters: list[Text] = []
    if period != "all" and any(k not in WHOLE for k in kinds):
        filters.append(T("Period: {period}", period=PERIODS[period]))
    n = sum(len(s.rows) for s in sheets)
    return Step.end(
        Reply(
            TN("{what}: {n} row.", "{what}: {n} rows.", n, what=KINDS[kind]),
            document=_book(ctx, sheets, filters),
            filename=f"{kind}-{period}-{ctx.local_now():%Y%m%d}.xlsx",
        )
    )


def _book(ctx: StaffCtx, sheets: list[Sheet], filters: list[Text]) -> bytes:
    if ctx.me.role != Role.ADMIN:  # an admin's export is everyone's: no filter to name
        filters = [T("Customers you may see as {role}", role=ROLE[ctx.me.role]), *filters]
    return view.book(
        sheets,
        ctx.render,
        by=Raw(ctx.me.name),
        at=ctx.local_now().replace(tzinfo=None),
        filters=filters,
        zone=str(ctx.who.tz),
    )


async def export_filtered(ctx: StaffCtx, text: str) -> Step:
    known = await filters.known(ctx.session, ctx.me, ctx.rules.customers.credit_ratings)
    found, unknown = filters.parse(text, known)
    if unknown or found.empty():
        return Step.end(
            Reply(T("I did not understand “{words}”.", words=" ".join(unknown) or text))
        )
    where = await filters.scope(ctx.session, ctx.me, found, ctx.now())
    found_sheet = await sheet(ctx.session, "customers", ctx.who.tz, Filter(where))
    n = len(found_sheet.rows)
    return Step.end(
        Reply(
            TN("{what}: {n} row.", "{what}: {n} rows.", n, what=KINDS["customers"]),
            document=_book(ctx, [found_sheet], [T("Customers matching: {words}", words=text)]),
            filename=f"customers-filtered-{ctx.local_now():%Y%m%d}.xlsx",
        )
    )


COMMANDS = [Command("export", STAFF, start, T("an Excel file of your customers, visits, …"))]
FLOWS = [
    Flow(
        ExpStep,
        STAFF,
        {
            ExpStep.KIND: State(kind_step, _kind_prompt, accepts=BUTTONS, to=(ExpStep.PERIOD,)),
            ExpStep.PERIOD: State(period_step, _period_prompt, accepts=BUTTONS, back=ExpStep.KIND),
        },
        ExpDraft,
        _title,
        entries=(("/export", ExpStep.KIND),),
    )
]
