"""The guided visit's declaration: its states, what each accepts and where it may go (the
handlers are in handlers.visit, the reading questions in handlers.visit_reading)."""

from __future__ import annotations

from collections.abc import Callable

from bot.types import Reply, T, Text
from crm.language.visit_text import parse_visit
from handlers import customer_new, visit_reading
from handlers import visit_cards as cards
from handlers.base import FIELD, Ctx, StaffCtx, excerpt
from handlers.conversation import Flow, Input, State
from handlers.conversation.flow import short_answer
from handlers.visit import (
    EDIT_FIELDS,
    checkin_step,
    confirm_step,
    contacts_step,
    customer_step,
    edit_prompt,
    edit_step,
    followup_step,
    kind_step,
    new_customer_returned,
    outcome_step,
    purpose_step,
)
from handlers.visit_states import VisitDraft, VisitStep


def _names_a_customer(ctx: StaffCtx) -> bool:
    """A whole visit report typed where a customer's name was asked is a new message, not a
    name: glued onto this draft it would lose its own words (the draft is parked instead)."""
    text = (ctx.inbound.text or "").strip()
    return short_answer(ctx) and parse_visit(text, ctx.now(), ctx.who.tz) is None


def _title(d: VisitDraft) -> Text:
    if d.customer_name:
        return T("Visit to {customer}", customer=d.customer_name)
    if d.outcome:
        return T("Visit “{outcome}”", outcome=excerpt(d.outcome))
    return T("New visit")


def _screen(step: VisitStep) -> Callable[[Ctx], Reply]:
    return lambda ctx: cards.prompt(ctx, step)


_BTN = frozenset({Input.BUTTON})
FLOWS = [
    Flow(
        VisitStep,
        FIELD,
        {
            VisitStep.CUSTOMER: State(
                customer_step,
                _screen(VisitStep.CUSTOMER),
                takes=_names_a_customer,
                to=(VisitStep.KIND, VisitStep.CONFIRM, VisitStep.PLAN, VisitStep.OLD),
                calls=(customer_new.NewcStep.NAME, customer_new.NewcStep.PHONE),
            ),
            VisitStep.KIND: State(
                kind_step,
                _screen(VisitStep.KIND),
                accepts=_BTN,
                to=(VisitStep.PURPOSE,),
                back=VisitStep.CUSTOMER,
                ends=False,
            ),
            VisitStep.PURPOSE: State(
                purpose_step,
                _screen(VisitStep.PURPOSE),
                to=(VisitStep.OUTCOME,),
                back=VisitStep.KIND,
                ends=False,
            ),
            VisitStep.OUTCOME: State(
                outcome_step,
                _screen(VisitStep.OUTCOME),
                accepts=frozenset({Input.TEXT, Input.BUTTON, Input.PHOTO}),
                to=(VisitStep.CONTACTS,),
                back=VisitStep.PURPOSE,
                ends=False,
            ),
            VisitStep.CONTACTS: State(
                contacts_step,
                _screen(VisitStep.CONTACTS),
                to=(VisitStep.CHECKIN,),
                back=VisitStep.OUTCOME,
                ends=False,
            ),
            VisitStep.CHECKIN: State(
                checkin_step,
                _screen(VisitStep.CHECKIN),
                accepts=frozenset({Input.BUTTON, Input.LOCATION, Input.PHOTO}),
                to=(VisitStep.FOLLOWUP,),
                back=VisitStep.CONTACTS,
                ends=False,
            ),
            VisitStep.FOLLOWUP: State(
                followup_step,
                _screen(VisitStep.FOLLOWUP),
                to=(VisitStep.CONFIRM,),
                back=VisitStep.CHECKIN,
                ends=False,
            ),
            VisitStep.CONFIRM: State(
                confirm_step, cards.summary, accepts=_BTN, to=(VisitStep.EDIT,)
            ),
            VisitStep.EDIT: State(
                edit_step, edit_prompt, accepts=_BTN, to=tuple(EDIT_FIELDS), ends=False
            ),
            VisitStep.DATE: State(
                visit_reading.date_step,
                visit_reading.date_prompt,
                accepts=_BTN,
                to=(VisitStep.CUSTOMER, VisitStep.CONFIRM, VisitStep.PLAN, VisitStep.OLD),
                ends=False,
            ),
            VisitStep.PLAN: State(
                visit_reading.plan_step,
                visit_reading.plan_card,
                accepts=_BTN,
                to=(VisitStep.CONFIRM, VisitStep.OLD),
            ),
            VisitStep.WHEN: State(
                visit_reading.when_step,
                visit_reading.when_prompt,
                to=(VisitStep.CONFIRM, VisitStep.PLAN, VisitStep.OLD),
                back=VisitStep.CONFIRM,
                ends=False,
            ),
            VisitStep.OLD: State(
                visit_reading.old_step,
                visit_reading.old_prompt,
                accepts=_BTN,
                to=(VisitStep.CONFIRM, VisitStep.PLAN, VisitStep.WHEN),
                ends=False,
            ),
        },
        VisitDraft,
        _title,
        returns={VisitStep.CUSTOMER: new_customer_returned},
        card=VisitStep.CONFIRM,
        entries=(
            ("/visit", VisitStep.CUSTOMER),
            ("card Log a visit, or a check-in pin", VisitStep.KIND),
            ("one message read (crm.language)", VisitStep.CONFIRM),
            ("one message: which date?", VisitStep.DATE),
            ("one message announcing a contact", VisitStep.PLAN),
        ),
    )
]
