"""/customers with conditions (`/customers A级 VIP 浦东 90天未拜访`): the matching customers a
page at a time. The words are read by crm.services.customer_filters."""

from __future__ import annotations

from bot.types import Button, Raw, Reply, T
from crm.models import Customer
from crm.services import customer_filters as svc
from crm.services import customers as customers_svc
from handlers.base import STAFF, Ctx, Flow, Step, flow_button

PER_PAGE = 8


async def try_filters(ctx: Ctx, text: str) -> Step | None:
    """The filtered list when `text` holds conditions; None when it is a name to search for."""
    assert ctx.who.staff is not None
    known = await svc.known(ctx.session, ctx.who.staff, ctx.rules.customers.credit_ratings)
    filters, unknown = svc.parse(text, known)
    if filters.empty():
        return None
    if unknown:
        # "Lost Lake Cafe" has a condition word in it but is a name: a name found wins.
        if await customers_svc.search(ctx.session, ctx.who.staff, text):
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
    ctx.data = {"filters": filters.as_dict(), "query": text}
    return await _page(ctx, 0)


async def _page(ctx: Ctx, page: int) -> Step:
    assert ctx.who.staff is not None
    filters = svc.Filters.from_dict(ctx.data["filters"])
    found, total = await svc.find(
        ctx.session, ctx.who.staff, filters, ctx.now(), page=page, per_page=PER_PAGE
    )
    if total == 0:
        return Step.end(Reply(T("No customer matches “{query}”.", query=ctx.data["query"])))
    pages = (total + PER_PAGE - 1) // PER_PAGE
    buttons: list[tuple[Button, ...]] = [(Button(Raw(_line(c)), f"card:{c.id}"),) for c in found]
    nav = []
    if page > 0:
        nav.append(flow_button(T("◀ Previous"), "cfind.page", str(page - 1)))
    if page + 1 < pages:
        nav.append(flow_button(T("Next ▶"), "cfind.page", str(page + 1)))
    if nav:
        buttons.append(tuple(nav))
    text = T(
        "Customers matching “{query}”: {total} (page {page} of {pages})",
        query=ctx.data["query"],
        total=total,
        page=page + 1,
        pages=pages,
    )
    return Step.to("cfind.page", Reply(text, buttons=tuple(buttons)))


def _line(c: Customer) -> str:
    marks = ("⭐" if c.vip else "") + ("⛔" if c.blacklisted else "")
    return f"{marks}{c.name} · {c.customer_class}"


async def page_step(ctx: Ctx) -> Step:
    if not (ctx.choice or "").isdigit():
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    return await _page(ctx, int(ctx.choice or 0))


FLOWS = [Flow("cfind", STAFF, {"page": page_step})]
