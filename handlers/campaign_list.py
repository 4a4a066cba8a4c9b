"""/campaigns: the recent campaigns with their delivery figures, and cancelling one that has not
gone out yet."""

from __future__ import annotations

from bot.types import TN, Button, Lines, Raw, Reply, T, Text
from bot.views import care as views
from crm.models import CareCampaign
from crm.services import access, care, colleagues, runtime
from handlers.base import Ctx, Step
from handlers.base import excerpt as cut
from handlers.campaign_views import staff_of

# ---------------------------------------------------------------- /campaigns


def _status(campaign: CareCampaign) -> Text:
    if campaign.status == care.CAMPAIGN_CANCELLED:
        return T("cancelled")
    if campaign.status == care.CAMPAIGN_EXPIRED:
        return T("not sent: the bot was not running at {when}", when=campaign.scheduled_at)
    if campaign.status == care.CAMPAIGN_SCHEDULED:
        return T("scheduled for {when}", when=campaign.scheduled_at)
    return T("sent {when}", when=campaign.scheduled_at)


def _figures(fig: care.Figures) -> list[Text]:
    lines: list[Text] = [
        TN(
            "{n} recipient: sent {sent} · queued {queued} · failed {failed} · unreachable "
            "{unreachable} · opted out {opted_out} · held by cap {held_cap}",
            "{n} recipients: sent {sent} · queued {queued} · failed {failed} · unreachable "
            "{unreachable} · opted out {opted_out} · held by cap {held_cap}",
            fig.total,
            sent=fig[care.SENT],
            queued=fig[care.QUEUED],
            failed=fig[care.FAILED],
            unreachable=fig[care.UNREACHABLE],
            opted_out=fig[care.OPTED_OUT],
            held_cap=fig[care.HELD_CAP],
        )
    ]
    if fig[care.HELD_QUIET]:
        lines.append(T("held for the quiet hours: {n}", n=fig[care.HELD_QUIET]))
    if fig[care.SCHEDULED]:
        lines.append(T("waiting for their time: {n}", n=fig[care.SCHEDULED]))
    if fig[care.CANCELLED]:
        lines.append(T("cancelled: {n}", n=fig[care.CANCELLED]))
    return lines


async def list_campaigns(ctx: Ctx) -> Step:
    staff = staff_of(ctx)
    campaigns = await care.recent_campaigns(ctx.session)
    if not campaigns:
        return Step.end(Reply(T("No campaigns yet. /campaign composes one.")))
    figures = await care.figures(ctx.session, (c.id for c in campaigns))
    authors = await colleagues.names(ctx.session, {c.created_by for c in campaigns if c.created_by})
    lines: list[Text] = [T("<b>Recent campaigns</b>")]
    buttons: list[tuple[Button, ...]] = []
    for c in campaigns:
        text = care.pick_template(c.templates, ctx.who.locale)
        excerpt = cut(text, 60)
        lines += [
            T(
                "<b>#{id}</b> {topic} · {status} · {author}",
                id=str(c.id),
                topic=views.TOPIC.get(c.name, Raw(c.name)),
                status=_status(c),
                author=authors.get(c.created_by or 0, ""),
            ),
            T("“{text}”", text=excerpt),
            *_figures(figures[c.id]),
        ]
        if c.status == care.CAMPAIGN_SCHEDULED and access.may_cancel_campaign(staff, c):
            buttons.append((Button(T("✖ Cancel #{id}", id=str(c.id)), f"camp_cancel:{c.id}"),))
    return Step.end(Reply(Lines(*lines), buttons=tuple(buttons)))


async def cancel_campaign(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    if await care.cancel_campaign(ctx.session, ctx.obj_id, ctx.now()):
        staff = staff_of(ctx)
        await runtime.audit(
            ctx.session,
            actor_kind="staff",
            actor_id=staff.id,
            action="campaign.cancel",
            entity="care_campaign",
            entity_id=ctx.obj_id,
            changes={},
            now=ctx.now(),
        )
        return ctx.stay(
            Reply(T("Campaign #{id} is cancelled: none of it will be sent.", id=str(ctx.obj_id)))
        )
    return ctx.stay(
        Reply(
            T(
                "Campaign #{id} has already gone out or was cancelled. Nothing was changed.",
                id=str(ctx.obj_id),
            ),
            notice="toast",
        )
    )


async def may_cancel_campaign(ctx: Ctx, campaign_id: int) -> bool:
    return await care.may_cancel(ctx.session, staff_of(ctx), campaign_id)
