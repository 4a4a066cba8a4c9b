"""Registering a visit, guided: customer → kind → outcome → follow-up → summary card.

```mermaid
stateDiagram-v2
    [*] --> customer: /visit
    [*] --> kind: card "Log a visit"
    customer --> kind: picked
    kind --> outcome: kind chosen
    outcome --> followup: text
    followup --> confirm: date or skip
    confirm --> [*]: Save / Cancel
    confirm --> outcome: Edit
    kind --> customer: Back
    outcome --> kind: Back
    followup --> outcome: Back
```
"""

from __future__ import annotations

from datetime import datetime

from bot.types import Button, Lines, Raw, Reply, T, Text
from crm.dates import parse_when
from crm.enums import VisitKind
from crm.models import Customer
from crm.services import access, runtime, sales
from crm.services import customers as customer_svc
from handlers.base import FIELD, Action, Command, Ctx, Flow, Step, flow_button, typed_text
from handlers.labels import VISIT_KIND

ORDER = ["customer", "kind", "outcome", "followup", "confirm"]
MAX_TEXT = 2000


def _header(step: str) -> Text:
    return T("Visit · step {n} of {total}", n=ORDER.index(step) + 1, total=len(ORDER))


def _back(step: str) -> Button:
    return flow_button(T("⬅ Back"), f"visit.{step}", "back")


def _prompt(ctx: Ctx, step: str) -> Reply:
    head = _header(step)
    if step == "customer":
        return Reply(
            Lines(head, T("Which customer? Type a name, phone or pinyin initials.")),
        )
    if step == "kind":
        kinds = [flow_button(VISIT_KIND[k], "visit.kind", k) for k in VisitKind]
        return Reply(
            Lines(head, T("{customer}: how did you meet?", customer=ctx.data["customer_name"])),
            buttons=(tuple(kinds[:2]), tuple(kinds[2:]), (_back("kind"),)),
        )
    if step == "outcome":
        return Reply(
            Lines(head, T("What was discussed and what came of it?")),
            buttons=((_back("outcome"),),),
        )
    if step == "followup":
        return Reply(
            Lines(
                head,
                T(
                    "When will you follow up? E.g. “tomorrow 10:00”, “in 3 days”, “2026-12-05 15:00”."  # noqa: E501
                ),
            ),
            buttons=(
                (flow_button(T("No follow-up"), "visit.followup", "skip"), _back("followup")),
            ),
        )
    return _summary(ctx)


def _summary(ctx: Ctx) -> Reply:
    d = ctx.data
    follow: Text = (
        T("Follow-up: {when}", when=datetime.fromisoformat(d["followup_at"]))
        if d.get("followup_at")
        else T("Follow-up: none")
    )
    return Reply(
        Lines(
            _header("confirm"),
            T("<b>Visit to {customer}</b>", customer=d["customer_name"]),
            T("Visit type: {kind}", kind=VISIT_KIND[d["kind"]]),
            T("Outcome: {outcome}", outcome=d["outcome"]),
            follow,
        ),
        buttons=(
            (
                flow_button(T("✅ Save"), "visit.confirm", "save"),
                flow_button(T("✏️ Edit"), "visit.confirm", "edit"),
                flow_button(T("✖ Cancel"), "visit.confirm", "cancel"),
            ),
        ),
    )


def _go(ctx: Ctx, step: str, *extra: Reply) -> Step:
    return Step.to(f"visit.{step}", *extra, _prompt(ctx, step))


def _previous(step: str) -> str:
    return ORDER[max(ORDER.index(step) - 1, 0)]


async def _editable(ctx: Ctx, customer_id: int) -> Customer | None:
    assert ctx.who.staff is not None
    if not await access.can_edit_customer(ctx.session, ctx.who.staff, customer_id):
        return None
    return await ctx.session.get(Customer, customer_id)


async def start(ctx: Ctx) -> Step:
    ctx.data = {}
    return _go(ctx, "customer")


async def start_for_customer(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    customer = await _editable(ctx, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
    ctx.data = {"customer_id": customer.id, "customer_name": customer.name}
    return _go(ctx, "kind")


async def customer_step(ctx: Ctx) -> Step:
    if ctx.choice is not None:
        if not ctx.choice.isdigit():
            return ctx.stay(Reply(T("This button is no longer valid. Nothing was changed.")))
        customer = await _editable(ctx, int(ctx.choice))
        if customer is None:
            return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
        ctx.data.update(customer_id=customer.id, customer_name=customer.name)
        return _go(ctx, "kind")
    text = (ctx.inbound.text or "").strip()
    if not text or len(text) > 100:
        return ctx.stay(Reply(T("Please type a customer name, phone or pinyin initials.")))
    assert ctx.who.staff is not None
    found = [
        c
        for c in await customer_svc.search(ctx.session, ctx.who.staff, text)
        if await access.can_edit_customer(ctx.session, ctx.who.staff, c.id)
    ]
    if not found:
        return ctx.stay(
            Reply(T("No customer matches “{query}”. Try another spelling.", query=text))
        )
    if len(found) == 1:
        ctx.data.update(customer_id=found[0].id, customer_name=found[0].name)
        return _go(ctx, "kind")
    buttons = tuple(
        (flow_button(Raw(f"{c.name} · {c.customer_class}"), "visit.customer", str(c.id)),)
        for c in found
    )
    return ctx.stay(Reply(T("Several customers match; which one?"), buttons=buttons))


async def kind_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _go(ctx, "customer")
    if ctx.choice not in set(VisitKind):
        return ctx.stay(Reply(T("Please choose one of the buttons.")), _prompt(ctx, "kind"))
    ctx.data["kind"] = ctx.choice
    return _go(ctx, "outcome")


async def outcome_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _go(ctx, "kind")
    text, refused = typed_text(ctx, MAX_TEXT, T("Please describe the outcome in a few words."))
    if refused is not None:
        return refused
    ctx.data["outcome"] = text
    return _go(ctx, "followup")


async def followup_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _go(ctx, "outcome")
    if ctx.choice == "skip":
        ctx.data["followup_at"] = None
        return _go(ctx, "confirm")
    text = (ctx.inbound.text or "").strip()
    when = parse_when(text, ctx.now(), ctx.who.tz) if text else None
    if when is None:
        return ctx.stay(
            Reply(
                T(
                    "I could not read “{text}” as a date. Try “tomorrow 10:00” or “2026-12-05”.",
                    text=text[:100],
                )
            )
        )
    if when <= ctx.now():
        return ctx.stay(Reply(T("That time has already passed; please give a future time.")))
    ctx.data["followup_at"] = when.isoformat()
    return _go(ctx, "confirm")


async def confirm_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    if ctx.choice == "edit":
        return _go(ctx, "outcome")
    if ctx.choice != "save":
        return ctx.stay(Reply(T("Please choose one of the buttons.")), _summary(ctx))
    customer = await _editable(ctx, ctx.data["customer_id"])
    if customer is None:
        return Step.end(Reply(T("This customer is no longer available to you. Nothing was saved.")))
    staff = ctx.who.staff
    assert staff is not None
    followup_at = ctx.data.get("followup_at")
    visit, followup = await sales.log_visit(
        ctx.session,
        staff,
        customer,
        kind=ctx.data["kind"],
        outcome=ctx.data["outcome"],
        purpose=None,
        when=ctx.now(),
        followup_at=datetime.fromisoformat(followup_at) if followup_at else None,
        followup_note=ctx.data["outcome"][:200] if followup_at else None,
        claim_days=ctx.rules.claims.period_days,
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="visit.create",
        entity="customer",
        entity_id=customer.id,
        changes={"visit_id": visit.id, "followup_id": followup.id if followup else None},
        now=ctx.now(),
    )
    done: list[Text] = [T("Saved: visit to {customer}.", customer=customer.name)]
    if followup is not None:
        done.append(T("I will remind you on {when}.", when=followup.due_at))
    return Step.end(Reply(Lines(*done)))


COMMANDS = [Command("visit", FIELD, start, T("register a visit"), menu_label=T("📝 Log a visit"))]
ACTIONS = [Action("visit_for", FIELD, start_for_customer, obj_kind="customer")]
FLOWS = [
    Flow(
        "visit",
        FIELD,
        {
            "customer": customer_step,
            "kind": kind_step,
            "outcome": outcome_step,
            "followup": followup_step,
            "confirm": confirm_step,
        },
    )
]
