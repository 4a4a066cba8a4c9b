"""What a rep sends outside any flow: one message about a visit, a location pin to check in, or
words the bot cannot place, which it keeps and answers honestly.

A message such as “拜访华能电厂，见了张工，谈变压器报价，下周二下午跟进” becomes a visit draft and
the same summary card as the guided flow; nothing is saved until the rep confirms. Text that is
not a visit report is kept as a note draft: the answer says what was recognised (customer, date,
kind) and offers the likeliest next actions, so nothing typed is lost and nothing is glued onto
the next message. Diagrams: docs/flows/checkin.md, docs/flows/note.md.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.types import Raw, Reply, T, Text
from crm.language.dates import find_when
from crm.limits import parse_id
from crm.models import Customer
from crm.services import access
from crm.services import customers as customer_svc
from crm.services.deals.reading import read_opportunity
from handlers import common, deals_reading, followups, visit, visit_reading
from handlers.base import FIELD, STAFF, StaffCtx, Step, excerpt, flow_button
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.labels import VISIT_KIND
from handlers.refusals import DENIED
from handlers.visit_states import VisitDraft, VisitStep

MAX_TEXT = 2000


class CheckinStep(States, flow="checkin"):
    PICK = "pick"


class CheckinDraft(Draft):
    lat: float | None = None
    lon: float | None = None
    # The customers near the pin: (id, name, metres).
    near: list[tuple[int, str, int]] = []


class NoteStep(States, flow="note"):
    CHOOSE = "choose"


class NoteDraft(Draft):
    text: str = ""
    customer_id: int | None = None
    customer_name: str | None = None
    when: str | None = None
    kind: str | None = None
    photos: list[str] = []


async def fallback(ctx: StaffCtx) -> Step:
    inbound = ctx.inbound
    if inbound.location is not None:
        return await _pin(ctx, inbound.location.lat, inbound.location.lon)
    if inbound.voice_id and not inbound.text:
        return ctx.stay(
            Reply(T("I cannot listen to voice notes yet: please add a caption, or type it."))
        )
    text = (inbound.text or "").strip()
    if not text:
        if inbound.photo_ids:
            return await _note(ctx, "")
        return await common.show_help(ctx)
    if len(text) > MAX_TEXT:
        return ctx.stay(
            Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
        )
    deal = read_opportunity(text, ctx.now(), ctx.who.tz)
    if deal is not None:
        return await deals_reading.start_from_reading(ctx, deal, text)
    # A photo's or a voice note's caption arrives as the text: read the same way.
    step = await visit_reading.from_message(ctx, text)
    return step if step is not None else await _note(ctx, text)


async def staff_fallback(ctx: StaffCtx) -> Step:
    """Service staff outside a flow: words are kept as a note, with what was recognised."""
    text = (ctx.inbound.text or "").strip()
    if not text and not ctx.inbound.photo_ids:
        return await common.show_help(ctx)
    if len(text) > MAX_TEXT:
        return ctx.stay(
            Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
        )
    return await _note(ctx, text)


async def _pin(ctx: StaffCtx, lat: float, lon: float) -> Step:
    radius = ctx.rules.visits.checkin_radius_m
    near = await customer_svc.nearest(ctx.session, ctx.me, lat, lon, radius)
    if not near:
        return ctx.stay(Reply(T("None of your customers is within {m} m of this pin.", m=radius)))
    ctx.data = CheckinDraft(lat=lat, lon=lon, near=[(c.id, c.name, round(d)) for c, d in near])
    return Step.go(CheckinStep.PICK)


def _pick_prompt(ctx: StaffCtx) -> Reply:
    buttons = tuple(
        (flow_button(T("{name} · {m} m", name=Raw(name), m=m), CheckinStep.PICK, str(cid)),)
        for cid, name, m in ctx.data.near
    )
    return Reply(T("Check in at which customer?"), buttons=buttons)


async def pick_step(ctx: StaffCtx) -> Step:
    customer = await access.editable_customer(ctx.session, ctx.me, parse_id(ctx.choice) or -1)
    if customer is None:
        return ctx.stay(Reply(DENIED, notice="alert"))
    lat, lon = ctx.data.lat, ctx.data.lon
    step = await visit.start_with(ctx, customer, VisitDraft(), quick=False)
    await visit.record_pin(ctx, lat, lon)
    return step


# Words that name a way of contact, for the honest answer (the visit reader has the full lists).
_KIND_WORDS = (
    ("phone", re.compile(r"电话|電話|打给|致电|call|phone|звон", re.I)),
    ("online", re.compile(r"视频|微信|线上|會議|会议|zoom|online|video|онлайн", re.I)),
    ("onsite", re.compile(r"拜访|拜訪|上门|见面|visit|met|встреч|визит", re.I)),
)


async def _recognised_customer(ctx: StaffCtx, text: str) -> Customer | None:
    """A customer of the rep's named somewhere in the text (one word of it, looked up)."""
    words = [w for w in re.split(r"[\s,，。.;；、!！?？]+", text) if len(w) >= 2][:6]
    for word in words:
        found = await customer_svc.search(ctx.session, ctx.me, word[:100])
        if len(found) == 1:
            return found[0]
    return None


async def _note(ctx: StaffCtx, text: str) -> Step:
    """Text that is not a visit report: kept, with what was recognised and what to do next."""
    customer = await _recognised_customer(ctx, text) if text else None
    found = find_when(text, ctx.now(), ctx.who.tz) if text else None
    kind = next((k for k, pattern in _KIND_WORDS if pattern.search(text)), None)
    ctx.data = NoteDraft(
        text=text,
        customer_id=customer.id if customer else None,
        customer_name=customer.name if customer else None,
        when=found.when.isoformat() if found and found.when > ctx.now() else None,
        kind=kind,
        photos=list(ctx.inbound.photo_ids),
    )
    return Step.go(NoteStep.CHOOSE)


def _note_prompt(ctx: StaffCtx) -> Reply:
    d: NoteDraft = ctx.data
    seen: list[Text] = []
    if d.customer_name:
        seen.append(T("customer {name}", name=d.customer_name))
    if d.when:
        seen.append(T("date {when}", when=datetime.fromisoformat(d.when)))
    if d.kind:
        seen.append(VISIT_KIND[d.kind])
    if seen:
        head: Text = T(
            "I kept your message. I recognised: {parts}. What should I do with it?",
            parts=_joined(ctx, seen),
        )
    else:
        head = T("I kept your message but could not tell what it is about. What should I do?")
    buttons = []
    if ctx.who.role in FIELD:
        buttons += [
            flow_button(T("📝 Log as a visit"), NoteStep.CHOOSE, "visit"),
            flow_button(T("📅 Plan a follow-up"), NoteStep.CHOOSE, "followup"),
        ]
    if d.customer_id:
        buttons.append(flow_button(T("📇 Open card"), NoteStep.CHOOSE, "card"))
    elif d.text:
        buttons.append(flow_button(T("🔎 Search customers"), NoteStep.CHOOSE, "search"))
    buttons.append(flow_button(T("🗑 Discard"), NoteStep.CHOOSE, "cancel"))
    return Reply(head, buttons=tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)))


def _joined(ctx: StaffCtx, parts: list[Text]) -> Raw:
    sep = "，" if ctx.who.locale.startswith("zh") else ", "
    return Raw(sep.join(ctx.render(p) for p in parts))


async def note_step(ctx: StaffCtx) -> Step:
    d: NoteDraft = ctx.data
    customer = (
        await access.editable_customer(ctx.session, ctx.me, d.customer_id)
        if d.customer_id
        else None
    )
    if ctx.choice == "search" and d.text:
        from handlers.customers import result_buttons

        found = await customer_svc.search(ctx.session, ctx.me, d.text[:100])
        if not found:
            return ctx.stay(
                Reply(T("No customer matches “{query}”. Try another spelling.", query=d.text[:100]))
            )
        return ctx.stay(
            Reply(
                T("Customers matching “{query}”:", query=d.text[:100]),
                buttons=result_buttons(found),
            )
        )
    if ctx.who.role not in FIELD and ctx.choice in ("visit", "followup"):
        return ctx.stay(Reply(DENIED, notice="alert"))
    if ctx.choice == "visit":
        draft = VisitDraft(
            quick=True, kind=d.kind or "onsite", outcome=d.text or None, photos=d.photos
        )
        if customer is None:
            ctx.data = draft
            return Step.go(VisitStep.CUSTOMER)
        return await visit.start_with(ctx, customer, draft, quick=True)
    if ctx.choice == "followup":
        return followups.begin(ctx, customer, when=d.when, note=d.text[:500] if d.text else None)
    if ctx.choice == "card" and customer is not None:
        from handlers.customers import card_reply

        return ctx.stay(await card_reply(ctx, customer.id))
    return ctx.stay(Reply(DENIED, notice="toast"))


def _note_title(d: NoteDraft) -> Text:
    short = excerpt(d.text)
    return T("Note “{text}”", text=short) if short else T("Photo without words")


def _checkin_title(d: CheckinDraft) -> Text:
    return T("Check-in by location")


FLOWS = [
    Flow(
        CheckinStep,
        FIELD,
        {CheckinStep.PICK: State(pick_step, _pick_prompt, accepts=BUTTONS)},
        CheckinDraft,
        _checkin_title,
        entries=(("a location pin outside a flow", CheckinStep.PICK),),
    ),
    Flow(
        NoteStep,
        STAFF,
        {NoteStep.CHOOSE: State(note_step, _note_prompt, accepts=BUTTONS)},
        NoteDraft,
        _note_title,
        entries=(("text that is not a visit report", NoteStep.CHOOSE),),
    ),
]
