"""/customers with conditions (`/customers A级 VIP 浦东 90天未拜访`): the matching customers a
page at a time. The words are read by crm.services.customer_filters."""

from __future__ import annotations

from bot.types import Button, Raw, Reply, T
from crm.limits import parse_id
from crm.models import Customer
from crm.services import customer_filters as svc
from crm.services import customers as customers_svc
from handlers.base import STAFF, StaffCtx, Step, flow_button
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.refusals import CHOOSE

PER_PAGE = 8


class CfindStep(States, flow="cfind"):
    PAGE = "page"


class CfindDraft(Draft):
    # A list being paged is nothing typed to keep.
    SCAFFOLD = frozenset({"filters", "query", "page"})

    filters: dict = {}
    query: str = ""
    page: int = 0


async def try_filters(ctx: StaffCtx, text: str) -> Step | None:
    """The filtered list when `text` holds conditions; None when it is a name to search for."""
    known = await svc.known(ctx.session, ctx.me, ctx.rules.customers.credit_ratings)
    filters, unknown = svc.parse(text, known)
    if filters.empty():
        return None
    if unknown:
        # "Lost Lake Cafe" has a condition word in it but is a name: a name found wins.
        if await customers_svc.search(ctx.session, ctx.me, text):
            return None
        return Step.end(
            Reply(
                T(
                    "I did not understand “{words}”. Conditions: class (A级), stage, VIP, "
                    "credit (信用A), area, industry, tag, owner (@handle), "
                    "“90天未拜访”.",
                    words=" ".join(unknown),
                )
            )
        )
    ctx.data = CfindDraft(filters=filters.as_dict(), query=text)
    return await _page(ctx, 0)


async def _page(ctx: StaffCtx, page: int) -> Step:
    ctx.data.page = page
    reply = await _page_prompt(ctx)
    if reply is None:
        return Step.end(Reply(T("No customer matches “{query}”.", query=ctx.data.query)))
    return Step.to(CfindStep.PAGE, reply)


async def _page_prompt(ctx: StaffCtx) -> Reply | None:
    page = ctx.data.page
    filters = svc.Filters.from_dict(ctx.data.filters)
    found, total = await svc.find(
        ctx.session, ctx.me, filters, ctx.now(), page=page, per_page=PER_PAGE
    )
    if total == 0:
        return None
    pages = (total + PER_PAGE - 1) // PER_PAGE
    buttons: list[tuple[Button, ...]] = [(Button(Raw(_line(c)), f"card:{c.id}"),) for c in found]
    nav = []
    if page > 0:
        nav.append(flow_button(T("◀ Previous"), CfindStep.PAGE, str(page - 1)))
    if page + 1 < pages:
        nav.append(flow_button(T("Next ▶"), CfindStep.PAGE, str(page + 1)))
    if nav:
        buttons.append(tuple(nav))
    text = T(
        "Customers matching “{query}”: {total} (page {page} of {pages})",
        query=ctx.data.query,
        total=total,
        page=page + 1,
        pages=pages,
    )
    return Reply(text, buttons=tuple(buttons))


def _line(c: Customer) -> str:
    marks = ("⭐" if c.vip else "") + ("⛔" if c.blacklisted else "")
    return f"{marks}{c.name} · {c.customer_class}"


async def page_step(ctx: StaffCtx) -> Step:
    page = parse_id(ctx.choice, 100_000) if ctx.choice != "0" else 0
    if page is None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    return await _page(ctx, page)


async def _prompt(ctx: StaffCtx) -> Reply:
    return await _page_prompt(ctx) or Reply(
        T("No customer matches “{query}”.", query=ctx.data.query)
    )


FLOWS = [
    Flow(
        CfindStep,
        STAFF,
        {CfindStep.PAGE: State(page_step, _prompt, accepts=BUTTONS)},
        CfindDraft,
        lambda d: T("Customers matching “{query}”", query=d.query),
        entries=(("/customers with conditions", CfindStep.PAGE),),
    )
]
