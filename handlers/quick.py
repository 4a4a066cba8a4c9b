"""What a rep sends outside any flow: one message about a visit, or a location pin to check in.

A message such as “拜访华能电厂，见了张工，谈变压器报价，下周二下午跟进” becomes a visit draft and
the same summary card as the guided flow; nothing is saved until the rep confirms. The draft
lives in the conversation state, so an interrupted rep finds it again, even after a restart.
"""

from __future__ import annotations

from bot.types import Reply, T
from crm.services import access
from crm.services import customers as customer_svc
from crm.services.deals.reading import read_opportunity
from crm.visit_text import parse_visit
from handlers import common, deals, visit
from handlers.base import FIELD, Ctx, Flow, Step, flow_button


async def fallback(ctx: Ctx) -> Step:
    inbound = ctx.inbound
    if inbound.location is not None:
        return await _pin(ctx, inbound.location.lat, inbound.location.lon)
    if inbound.voice_id and not inbound.text:
        return ctx.stay(
            Reply(T("I cannot listen to voice notes yet: please add a caption, or type it."))
        )
    text = (inbound.text or "").strip()
    if not text or len(text) > 2000:
        return await common.show_help(ctx)
    deal = read_opportunity(text, ctx.now(), ctx.who.tz)
    if deal is not None:
        return await deals.start_from_reading(ctx, deal, text)
    draft = parse_visit(text, ctx.now(), ctx.who.tz)
    if draft is None:
        return await common.show_help(ctx)
    ctx.data = {
        "quick": True,
        "kind": draft.kind or "onsite",
        "outcome": draft.outcome or text,
        "contacts": draft.contacts,
        "photos": list(inbound.photo_ids),
        "followup_at": draft.followup_at.isoformat() if draft.followup_at else None,
    }
    if not draft.customer_query:
        return Step.to(
            "visit.customer",
            Reply(T("Which customer was this? Type a name, phone or pinyin initials.")),
        )
    return await visit.pick_customer(ctx, draft.customer_query)


async def _pin(ctx: Ctx, lat: float, lon: float) -> Step:
    assert ctx.who.staff is not None
    radius = ctx.rules.visits.checkin_radius_m
    near = await customer_svc.nearest(ctx.session, ctx.who.staff, lat, lon, radius)
    if not near:
        return ctx.stay(Reply(T("None of your customers is within {m} m of this pin.", m=radius)))
    ctx.data = {"lat": lat, "lon": lon}
    buttons = tuple(
        (flow_button(T("{name} · {m} m", name=c.name, m=round(d)), "checkin.pick", str(c.id)),)
        for c, d in near
    )
    return Step.to("checkin.pick", Reply(T("Check in at which customer?"), buttons=buttons))


async def pick_step(ctx: Ctx) -> Step:
    assert ctx.who.staff is not None
    cid = int(ctx.choice) if ctx.choice and ctx.choice.isdigit() else -1
    customer = await access.editable_customer(ctx.session, ctx.who.staff, cid)
    if customer is None:
        return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
    lat, lon = ctx.data["lat"], ctx.data["lon"]
    step = await visit.start_with(ctx, customer, {}, quick=False)
    await visit.record_pin(ctx, lat, lon)
    return step


FLOWS = [Flow("checkin", FIELD, {"pick": pick_step})]
