"""Return visits of closed complaints: the owner records the call's result (satisfied or not)
and a note; /returnvisits lists the ones still to make.

```mermaid
stateDiagram-v2
    [*] --> note: 😊 Satisfied / 😞 Not satisfied
    note --> [*]: a note, or Skip
```
"""

from __future__ import annotations

from bot.types import Button, Lines, Reply, T, Text
from crm.services import access, records, return_visits, runtime
from handlers.base import STAFF, Action, Command, StaffCtx, Step, flow_button, typed_text
from handlers.conversation import Draft, Flow, State, States
from handlers.refusals import DENIED, STALE


async def authorise(ctx: StaffCtx, rv_id: int) -> bool:
    return await access.can_act_on_return_visit(ctx.session, ctx.me, rv_id)


async def result(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    rv = await records.return_visit(ctx.session, ctx.obj_id)
    assert rv is not None
    ticket = await records.ticket(ctx.session, rv.ticket_id)
    assert ticket is not None
    if ctx.choice not in ("yes", "no"):
        return ctx.stay(Reply(STALE, notice="toast"))
    if rv.done_at is not None:
        return ctx.stay(
            Reply(T("The return visit for {number} is already recorded.", number=ticket.number))
        )
    return_visits.record(rv, ctx.choice == "yes", ctx.now())
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action="return_visit.record",
        entity="ticket",
        entity_id=ticket.id,
        changes={"satisfied": rv.satisfied},
        now=ctx.now(),
    )
    ctx.data = RvDraft(rv=rv.id, number=ticket.number, satisfied=bool(rv.satisfied))
    return Step.go(RvStep.NOTE)


class RvStep(States, flow="rv"):
    NOTE = "note"


class RvDraft(Draft):
    # The result is recorded already; the draft is the note that may follow it.
    SCAFFOLD = frozenset({"rv", "number", "satisfied"})

    rv: int = 0
    number: str = ""
    satisfied: bool = False


def _note_prompt(ctx: StaffCtx) -> Reply:
    d: RvDraft = ctx.data
    return Reply(
        T(
            "Recorded for {number}: {result}. What did the customer say? (a note, or Skip)",
            number=d.number,
            result=T("satisfied") if d.satisfied else T("not satisfied"),
        ),
        buttons=((flow_button(T("Skip"), RvStep.NOTE, "skip"),),),
    )


async def note_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "skip":
        return Step.end(Reply(T("Thank you. The return visit is recorded.")))
    text, refused = typed_text(ctx, 1000, T("Please type the note, or tap Skip."))
    if refused is not None:
        return refused
    rv = await records.return_visit(ctx.session, ctx.data.rv)
    if rv is None or not await authorise(ctx, rv.id):
        return Step.end(Reply(DENIED))
    rv.note = text
    return Step.end(Reply(T("Thank you. The return visit is recorded.")))


async def list_command(ctx: StaffCtx) -> Step:
    staff = ctx.me
    found = await return_visits.pending_for(ctx.session, staff.id)
    if not found:
        return ctx.stay(Reply(T("No return visits to make.")))
    lines: list[Text] = [T("<b>Return visits to make</b>")]
    buttons: list[tuple[Button, ...]] = []
    for rv, ticket in found:
        lines.append(T("• {number}: by {when}", number=ticket.number, when=rv.due_at))
        buttons.append(
            (
                Button(T("😊 {number}", number=ticket.number), f"rv:{rv.id}:yes"),
                Button(T("😞 {number}", number=ticket.number), f"rv:{rv.id}:no"),
            )
        )
    return ctx.stay(Reply(Lines(*lines), buttons=tuple(buttons)))


COMMANDS = [Command("returnvisits", STAFF, list_command, T("return visits of closed complaints"))]
ACTIONS = [Action("rv", STAFF, result, obj_kind="return_visit")]
FLOWS = [
    Flow(
        RvStep,
        STAFF,
        {RvStep.NOTE: State(note_step, _note_prompt)},
        RvDraft,
        lambda d: T("Return visit note for {number}", number=d.number),
        entries=(("a return visit's 😊 / 😞", RvStep.NOTE),),
    )
]
AUTHORISERS = {"return_visit": authorise}
