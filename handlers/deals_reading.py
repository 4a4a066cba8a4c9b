"""One message read as an opportunity (handlers/quick.py): the customer it names, picked when
several match, then the opportunity flow's stage (handlers.deals)."""

from __future__ import annotations

from bot.types import Raw, Reply, T
from crm.limits import parse_id
from crm.services import access
from crm.services import customers as customer_svc
from crm.services.deals.reading import OpportunityReading
from handlers.base import FIELD, StaffCtx, Step, flow_button, rows
from handlers.conversation import Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.deals import OppDraft, OppStep, _editable_customer, _opp_title
from handlers.refusals import CHOOSE, DENIED


class OppqStep(States, flow="oppq"):
    PICK = "pick"


class OppqDraft(OppDraft):
    # The customers that matched the name typed: (id, name).
    matches: list[tuple[int, str]] = []


async def start_from_reading(
    ctx: StaffCtx, reading: OpportunityReading, text: str | None = None
) -> Step:
    """One message read as an opportunity (handlers/quick.py): the customer, then the stage.
    `text`, the message, is kept in the draft: the rep may say it was a visit after all."""
    draft = OppDraft(
        text=text,
        query=reading.customer_query,
        title=reading.title,
        amount=reading.amount,
        close=reading.expected_close.isoformat() if reading.expected_close else None,
    )
    found = await customer_svc.search(ctx.session, ctx.me, reading.customer_query)
    exact = [c for c in found if c.name == reading.customer_query]
    found = [
        c for c in (exact or found) if await access.can_edit_customer(ctx.session, ctx.me, c.id)
    ]
    if not found and not text:
        return Step.end(
            Reply(
                T(
                    "No customer of yours matches “{query}”. Nothing was saved.",
                    query=reading.customer_query,
                )
            )
        )
    if len(found) > 1:
        ctx.data = OppqDraft(**draft.model_dump(), matches=[(c.id, c.name) for c in found[:8]])
        return Step.go(OppqStep.PICK)
    if found:
        draft.customer_id, draft.customer_name = found[0].id, found[0].name
    # No customer: the message stays in the draft, as a visit report it may still name someone.
    ctx.data = draft
    return Step.go(OppStep.STAGE)


def _pick_prompt(ctx: StaffCtx) -> Reply:
    buttons = [flow_button(Raw(name), OppqStep.PICK, str(cid)) for cid, name in ctx.data.matches]
    return Reply(T("Which customer is this opportunity for?"), buttons=rows(*buttons, width=1))


async def pick_step(ctx: StaffCtx) -> Step:
    if ctx.choice is None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    customer = await _editable_customer(ctx, parse_id(ctx.choice))
    if customer is None:
        return ctx.stay(Reply(DENIED, notice="alert"))
    ctx.data = OppDraft(
        **ctx.data.model_dump(exclude={"matches"}),
    )
    ctx.data.customer_id, ctx.data.customer_name = customer.id, customer.name
    return Step.go(OppStep.STAGE)


FLOWS = [
    Flow(
        OppqStep,
        FIELD,
        {OppqStep.PICK: State(pick_step, _pick_prompt, accepts=BUTTONS, ends=False)},
        OppqDraft,
        _opp_title,
        entries=(("one message, several customers match", OppqStep.PICK),),
    ),
]
