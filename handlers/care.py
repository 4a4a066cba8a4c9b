"""A customer's consent to care messages: /stop_care, /start_care and the buttons under them.

No flow: each is one step. The opt-out button of every care message (`care_off:<customer>`) and
the opt-in button (`care_on:<customer>`) are re-authorised: the customer must be the one this
chat receives care messages for (its linked customer record, or a contact's Telegram account).
Consent is recorded with its time and source on the customer; an opt-out is in the audit log.
Operational notices (planned outages...) are not care messages: they still arrive.
"""

from __future__ import annotations

from bot.types import Lines, Reply, T
from bot.views import care as views
from crm.models import Customer
from crm.services import care, records
from handlers.base import CUSTOMER, Action, Command, Ctx, Step
from handlers.refusals import STALE

NOT_LINKED = T(
    "This chat is not linked to a customer account yet, so we send you no greetings or care "
    "messages."
)


async def _authorise(ctx: Ctx, customer_id: int) -> bool:
    cuser = ctx.who.customer_user
    return cuser is not None and await care.may_set_consent(ctx.session, cuser, customer_id)


async def _set(ctx: Ctx, customer: Customer, on: bool, source: str) -> Step:
    cuser = ctx.who.customer_user
    assert cuser is not None
    changed = await care.set_consent(
        ctx.session,
        customer,
        on,
        now=ctx.now(),
        source=source,
        actor_kind="customer",
        actor_id=cuser.id,
    )
    if on:
        text = (
            T(
                "🔔 Thank you! You will receive our greetings and care messages again. "
                "/stop_care turns them off at any time."
            )
            if changed
            else T("Greetings and care messages are already on. /stop_care turns them off.")
        )
        return Step.end(Reply(text, buttons=views.opt_out_buttons(customer.id)))
    if not changed:
        return Step.end(
            Reply(
                T("Greetings and care messages are already off. /start_care turns them back on."),
                buttons=views.opt_in_buttons(customer.id),
            )
        )
    return Step.end(
        Reply(
            Lines(
                T("🔕 Done: you will get no more greetings or care messages from us."),
                T("Service notices, such as planned outages, still reach you."),
                T("Changed your mind? /start_care turns them back on."),
            ),
            buttons=views.opt_in_buttons(customer.id),
        )
    )


async def _own_customer(ctx: Ctx) -> Customer | None:
    cuser = ctx.who.customer_user
    return None if cuser is None else await care.customer_for_user(ctx.session, cuser)


async def stop_care(ctx: Ctx) -> Step:
    customer = await _own_customer(ctx)
    if customer is None:
        return Step.end(Reply(NOT_LINKED))
    return await _set(ctx, customer, False, "bot:/stop_care")


async def start_care(ctx: Ctx) -> Step:
    customer = await _own_customer(ctx)
    if customer is None:
        return Step.end(Reply(NOT_LINKED))
    return await _set(ctx, customer, True, "bot:/start_care")


async def _button(ctx: Ctx, on: bool) -> Step:
    assert ctx.obj_id is not None  # re-authorised by the router
    customer = await records.customer(ctx.session, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(STALE))
    step = await _set(ctx, customer, on, "bot:button")
    # A button leaves whatever flow the customer is in as it was.
    return ctx.stay(*step.replies)


async def care_off(ctx: Ctx) -> Step:
    return await _button(ctx, False)


async def care_on(ctx: Ctx) -> Step:
    return await _button(ctx, True)


COMMANDS = [
    Command("stop_care", CUSTOMER, stop_care, T("stop greetings and care messages")),
    Command("start_care", CUSTOMER, start_care, T("receive greetings and care messages again")),
]
ACTIONS = [
    Action("care_off", CUSTOMER, care_off, obj_kind="care_customer"),
    Action("care_on", CUSTOMER, care_on, obj_kind="care_customer"),
]
AUTHORISERS = {"care_customer": _authorise}
