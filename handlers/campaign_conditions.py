"""Conditions typed while choosing a campaign's audience, read as /customers reads them
(`A级 VIP 浦东`, `class B credit A`): the same filters for campaigns as for the customer list."""

from __future__ import annotations

from datetime import timedelta

from bot.types import Reply, T
from crm.services import customer_filters as filters
from handlers.base import Ctx, Step
from handlers.campaign_views import CampaignStep, staff_of

# Filters → the segment's keys (crm.services.care_segments).
KEYS = {
    "classes": "class",
    "stages": "stage",
    "areas": "area",
    "tags": "tag",
    "owners": "owner",
    "credit": "credit",
    "industries": "industry",
}


async def typed(ctx: Ctx) -> Step | None:
    """The segment narrowed by typed conditions; None when nothing was typed."""
    text = (ctx.inbound.text or "").strip()
    if not text:
        return None
    staff = staff_of(ctx)
    known = await filters.known(ctx.session, staff, ctx.rules.customers.credit_ratings)
    found, unknown = filters.parse(text[:200], known)
    if unknown or found.empty():
        return ctx.stay(
            Reply(T("I did not understand “{words}”.", words=" ".join(unknown) or text))
        )
    seg = ctx.data.seg
    if found.not_visited_days is not None:
        # A date, not a count of days: the campaign reaches the same customers when it goes out.
        since = ctx.now() - timedelta(days=found.not_visited_days)
        seg["not_visited_since"] = [since.isoformat()]
    for attr, key in KEYS.items():
        for value in getattr(found, attr):
            if value not in seg.setdefault(key, []):
                seg[key].append(value)
    if found.vip:
        seg["vip"] = [True]
    return Step.go(CampaignStep.SEG)
