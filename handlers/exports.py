"""/export: an XLSX of customers, visits, follow-ups or tickets, only what the user may see."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.types import TN, Reply, T
from crm.export import Filter, table
from crm.export_files import to_xlsx
from crm.services.access import customer_scope
from handlers.base import STAFF, Command, Ctx, Flow, Step, flow_button, rows

KINDS = {
    "customers": T("Customers"),
    "visits": T("Visits"),
    "followups": T("Follow-ups"),
    "tickets": T("Requests"),
    "opportunities": T("Opportunities"),
    "contracts": T("Contracts"),
    "instalments": T("Instalments"),
    "payments": T("Payments"),
}
# Exported whole, without asking for a period (crm/services/deals/transfer.py).
WHOLE = ("customers", "opportunities", "contracts", "instalments", "payments")
PERIODS = {
    "month": T("This month"),
    "last_month": T("Last month"),
    "week": T("Last 7 days"),
    "all": T("All time"),
}


async def start(ctx: Ctx) -> Step:
    ctx.data = {}
    buttons = [flow_button(label, "exp.kind", key) for key, label in KINDS.items()]
    return Step.to("exp.kind", Reply(T("Export what?"), buttons=rows(*buttons)))


async def kind_step(ctx: Ctx) -> Step:
    if ctx.choice not in KINDS:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["kind"] = ctx.choice
    if ctx.choice in WHOLE:
        return await _send(ctx, "all")
    buttons = [flow_button(label, "exp.period", key) for key, label in PERIODS.items()]
    return Step.to("exp.period", Reply(T("Which period?"), buttons=rows(*buttons)))


async def period_step(ctx: Ctx) -> Step:
    if ctx.choice not in PERIODS:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
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


async def _send(ctx: Ctx, period: str) -> Step:
    assert ctx.who.staff is not None
    since, until = _period(ctx, period)
    kind = ctx.data["kind"]
    columns, data = await table(
        ctx.session, kind, ctx.who.tz, Filter(customer_scope(ctx.who.staff), since, until)
    )
    stamp = ctx.local_now().strftime("%Y%m%d")
    return Step.end(
        Reply(
            TN("{what}: {n} row.", "{what}: {n} rows.", len(data), what=KINDS[kind]),
            document=to_xlsx(columns, data, kind),
            filename=f"{kind}-{period}-{stamp}.xlsx",
        )
    )


COMMANDS = [Command("export", STAFF, start, T("an Excel file of your customers, visits, …"))]
FLOWS = [Flow("exp", STAFF, {"kind": kind_step, "period": period_step})]
