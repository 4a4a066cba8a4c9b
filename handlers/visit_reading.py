"""One message read (crm.language.read_visit) → a visit draft, or, for a message that only
announces a contact, a follow-up on its own card; and the questions asked when the reading is
unsure: which customer, which date, a visit dated long ago.

The visit's own time is a field of the draft (`visited_at`), shown on the summary card and
changed with Edit; a time ahead is refused, one more than 30 days back is confirmed first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.types import Lines, Raw, Reply, T, Text
from crm.enums import VisitKind
from crm.language import Reading, read_visit, read_when_happened
from crm.limits import parse_index
from crm.services import access, runtime, sales
from crm.services import customers as customer_svc
from handlers import visit_cards as cards
from handlers.base import StaffCtx, Step, flow_button
from handlers.common import main_menu
from handlers.labels import VISIT_KIND
from handlers.refusals import CHOOSE, GONE_CUSTOMER
from handlers.visit_states import VisitDraft, VisitStep

OLD_DAYS = 30
NOTE_MAX = 500


def _draft(reading: Reading, photos: list[str]) -> VisitDraft:
    guessed = [n for n, p in (("kind", reading.kind), ("when", reading.happened_at)) if p.guessed]
    if reading.customer.value is not None and reading.customer.guessed:
        guessed.append("customer")
    return VisitDraft(
        **{
            "quick": True,
            "plan": reading.plan.value,
            "text": reading.text[:NOTE_MAX],
            "kind": reading.kind.value,
            "outcome": reading.outcome or reading.text,
            "contacts": reading.contact_names,
            "photos": photos,
            "visited_at": reading.happened_at.value.isoformat(),
            "followup_at": reading.followup_at.value.isoformat()
            if reading.followup_at.value
            else None,
            "guessed": guessed,
            "candidates": [list(c) for c in reading.candidates],
            "ambiguous": reading.ambiguous_customer,
            "query": reading.customer_typed,
            "pick": reading.customer.value,
            "date_choices": [d.isoformat() for d in reading.date_choices],
            # Which of the draft's times the choices are for: the one read from that date.
            "date_key": "visited_at"
            if reading.date_choices and reading.happened_at.value == reading.date_choices[0]
            else "followup_at",
        }
    )


async def from_message(ctx: StaffCtx, text: str) -> Step | None:
    """The step a rep's message leads to, or None if it tells of no contact (the help)."""
    listed = await customer_svc.names_in_scope(ctx.session, ctx.me)
    reading = read_visit(text, listed, ctx.now(), ctx.who.tz, ctx.who.locale)
    if not reading.names_something:
        return None
    ctx.data = _draft(reading, list(ctx.inbound.photo_ids))
    if len(reading.date_choices) > 1:
        return Step.go(VisitStep.DATE)
    return await proceed(ctx)


def date_prompt(ctx: StaffCtx) -> Reply:
    buttons = tuple(
        (flow_button(T("{when}", when=datetime.fromisoformat(d)), VisitStep.DATE, str(i)),)
        for i, d in enumerate(ctx.data.date_choices)
    )
    return Reply(T("Which date did you mean?"), buttons=buttons)


async def date_step(ctx: StaffCtx) -> Step:
    choices = ctx.data.date_choices
    index = parse_index(ctx.choice, len(choices))
    if index is None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    chosen = choices[index]
    ctx.data[ctx.data.get("date_key") or "followup_at"] = chosen
    ctx.data["date_choices"] = []
    return await proceed(ctx)


async def proceed(ctx: StaffCtx) -> Step:
    """On from the reading: the customer settled (or asked about), then the card."""
    d = ctx.data
    if d.get("pick") is not None:
        customer = await access.editable_customer(ctx.session, ctx.me, d["pick"])
        if customer is not None:
            from handlers import visit

            return await visit.start_with(ctx, customer, d, quick=True)
    candidates = [(int(cid), str(name)) for cid, name in d.get("candidates", [])]
    choices = tuple(
        (cards.button(Raw(name), "customer", str(cid)),) for cid, name in candidates[:3]
    )
    if d.get("ambiguous"):
        question: Text = T("Which customer do you mean?")
        new = ((cards.button(T("➕ New customer"), "customer", "new"),),)
    else:
        typed = d.get("query")
        question = (
            T("No customer of yours matches “{query}”. Is it one of these?", query=typed[:40])
            if typed
            else T("Which customer was this? Tap one, or type a name, phone or pinyin initials.")
        )
        value = "register" if typed else "new"
        new = ((cards.button(T("➕ New customer"), "customer", value),),)
    cancel = ((cards.button(T("✖ Cancel"), "customer", "cancel"),),)
    return Step.to(VisitStep.CUSTOMER, Reply(question, buttons=choices + new + cancel))


def card(ctx: StaffCtx) -> Step:
    """The card the draft ends on: a planned contact's, or the visit's summary (after asking
    about a visit dated long ago)."""
    ctx.data.returning = False
    if ctx.data.plan:
        return Step.go(VisitStep.PLAN)
    if _too_old(ctx) and not ctx.data.old_ok:
        return Step.go(VisitStep.OLD)
    return Step.go(VisitStep.CONFIRM)


# --- the planned contact ------------------------------------------------------------------------


def plan_card(ctx: StaffCtx) -> Reply:
    d = ctx.data
    when = datetime.fromisoformat(d["followup_at"]) if d.get("followup_at") else None
    lines: list[Text] = [
        T("<b>Planned contact: {customer}</b>", customer=d["customer_name"]),
        T("How: {kind}", kind=VISIT_KIND[d.get("kind") or VisitKind.ONSITE]),
        T("Planned for: {when}", when=when) if when else T("Planned for: not said"),
        T("Note: {text}", text=d.get("outcome") or d.get("text") or ""),
        T("This saves a follow-up to remind you; no visit is recorded."),
    ]
    return Reply(
        Lines(*lines),
        buttons=(
            (
                flow_button(T("✅ Save"), VisitStep.PLAN, "save"),
                flow_button(T("📝 It happened: log a visit"), VisitStep.PLAN, "visit"),
                flow_button(T("✖ Cancel"), VisitStep.PLAN, "cancel"),
            ),
        ),
    )


async def plan_step(ctx: StaffCtx) -> Step:
    d = ctx.data
    if ctx.choice == "visit":  # read wrong: the rep says it did happen
        d.plan = False
        return card(ctx)
    if ctx.choice != "save":
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    staff = ctx.me
    customer = await access.editable_customer(ctx.session, staff, d["customer_id"])
    if customer is None:
        return Step.end(Reply(GONE_CUSTOMER))
    due = datetime.fromisoformat(d["followup_at"]) if d.get("followup_at") else None
    if due is None or due <= ctx.now():
        return Step.end(
            Reply(
                T("That time has already passed; please give a future time."),
                keyboard=main_menu(ctx),
            )
        )
    followup = await sales.add_followup(
        ctx.session,
        staff,
        customer,
        due_at=due,
        # What the plan is for (问回款); the customer, time and kind are the follow-up's own.
        note=d.get("outcome") or d.get("text"),
        now=ctx.now(),
        claim_days=ctx.rules.claims.period_days,
        kind=d.get("kind"),
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="followup.create",
        entity="customer",
        entity_id=customer.id,
        changes={"followup_id": followup.id},
        now=ctx.now(),
    )
    return Step.end(
        Reply(
            Lines(
                T("Saved: follow-up with {customer}.", customer=customer.name),
                T("I will remind you on {when}.", when=followup.due_at),
            ),
            keyboard=main_menu(ctx),
        )
    )


# --- the visit's own time ------------------------------------------------------------------------


def visited_at(ctx: StaffCtx) -> datetime:
    at = ctx.data.get("visited_at")
    return datetime.fromisoformat(at) if at else ctx.now()


def _too_old(ctx: StaffCtx) -> bool:
    return visited_at(ctx) < ctx.now() - timedelta(days=OLD_DAYS)


def summary_lines(ctx: StaffCtx) -> list[Text]:
    """The card's line for the visit's time, marked when it was guessed, and the legend."""
    line: Text = T("Visit time: {when}", when=visited_at(ctx))
    guessed = ctx.data.get("guessed", [])
    if "when" in guessed:
        line = T("{line} ❔", line=line)
    extra: list[Text] = [line]
    if guessed:
        extra.append(T("❔ marks what I guessed; tap ✏️ Edit to change it."))
    return extra


def mark(ctx: StaffCtx, part: str, line: Text) -> Text:
    return T("{line} ❔", line=line) if part in ctx.data.get("guessed", []) else line


def when_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("When was the visit? E.g. “昨天下午3点”, “last Friday”, “2026-12-05 15:00”."),
        buttons=((flow_button(T("⬅ Back"), VisitStep.WHEN, "back"),),),
    )


async def when_step(ctx: StaffCtx) -> Step:
    text = (ctx.inbound.text or "").strip()
    at = read_when_happened(text, ctx.now(), ctx.who.tz) if text and len(text) <= 100 else None
    if at is None:
        return ctx.stay(Reply(cards.unreadable_date(text)))
    if at > ctx.now():
        return ctx.stay(Reply(future_refusal()))
    ctx.data.visited_at = at.isoformat()
    ctx.data.guessed = [g for g in ctx.data.guessed if g != "when"]
    ctx.data.old_ok = False
    return card(ctx)


def future_refusal() -> T:
    return T(
        "A visit cannot be in the future. For a contact still to come, send it as a plan "
        "(e.g. “明天给华能电厂打电话”) or use /followup."
    )


def old_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T(
            "This visit is dated {when}, more than {days} days ago. Keep that date?",
            when=visited_at(ctx),
            days=OLD_DAYS,
        ),
        buttons=(
            (
                flow_button(T("Yes, keep it"), VisitStep.OLD, "yes"),
                flow_button(T("Change the time"), VisitStep.OLD, "change"),
            ),
        ),
    )


async def old_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "yes":
        ctx.data.old_ok = True
        return card(ctx)
    if ctx.choice == "change":
        return Step.go(VisitStep.WHEN)
    return ctx.stay(Reply(CHOOSE, notice="toast"))
