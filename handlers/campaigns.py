"""Care campaigns composed in chat by a manager or an admin (/campaign), and their delivery
figures (/campaigns).

A campaign is a greeting (only to customers who agreed to care messages, with the opt-out button
and within the frequency cap) or an operational notice: policy, price, outage or event (to every
customer on Telegram, consent or not). Its audience is the customers the composer may see,
narrowed by class, stage, tag, owner and area (several values of one criterion: any of them;
several criteria: all of them). The texts are typed per language: Simplified Chinese and English
(one may be left out and the other stands in), then, if wanted, Traditional Chinese and Russian
(their readers otherwise get the Simplified Chinese and the English), with the placeholders
{name}, {company} and {rep}; anything else in braces is refused. The number of recipients is
shown before anything is saved; the preview goes to the composer only. Confirmed, the campaign
and one delivery per recipient are saved; the scheduler sends them at the time given
(scheduler/care_jobs.py).

Diagram: docs/flows/campaign.md (generated from FLOWS).
"""

from __future__ import annotations

from datetime import timedelta

from bot.types import TN, Lines, Raw, Reply, T
from bot.views import care as views
from crm.language.dates import parse_when
from crm.limits import parse_index
from crm.services import care, records, runtime
from handlers import campaign_conditions
from handlers.base import LEADS, Action, Command, StaffCtx, Step, flow_button, typed_text
from handlers.campaign_list import cancel_campaign, list_campaigns, may_cancel_campaign
from handlers.campaign_views import (
    TEXT_LOCALES,
    TEXT_STATES,
    CampaignDraft,
    CampaignStep,
    at_of,
    audience_of,
    confirm_prompt,
    confirm_reply,
    pick_prompt,
    segment_options,
    segment_prompt,
    staff_of,
    text_prompt,
    title,
    topic_prompt,
    when_prompt,
)
from handlers.common import LANGUAGES
from handlers.conversation import Flow, State
from handlers.conversation.flow import BUTTONS, TEXT
from handlers.refusals import CHOOSE

TEXT_LIMIT = 1000
ALLOWED = "{name}, {company}, {rep}"
# A typed "now" parsed to the start of the minute is not in the past.
SLACK = timedelta(minutes=1)
NOBODY = T("Nobody would receive it: please widen the selection.")
SAMPLE = T("In the customer's message this button turns greetings off. Nothing was changed.")


# ---------------------------------------------------------------- kind


async def start(ctx: StaffCtx) -> Step:
    ctx.data = CampaignDraft()
    return Step.go(CampaignStep.TOPIC)


async def topic_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in care.TOPICS:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.topic = ctx.choice
    return Step.go(CampaignStep.SEG)


# ---------------------------------------------------------------- audience


async def seg_step(ctx: StaffCtx) -> Step:
    choice = ctx.choice
    if choice == "clear":
        ctx.data.seg = {}
        return Step.go(CampaignStep.SEG)
    if choice == "next":
        if not (await audience_of(ctx)).receiving:
            return ctx.stay(Reply(NOBODY, notice="alert"))
        return Step.go(CampaignStep.TEXT_ZH)
    if choice is None and (typed := await campaign_conditions.typed(ctx)) is not None:
        return typed
    if choice not in care.DIMENSIONS:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    options = await segment_options(ctx, choice)
    if not options:
        empty = (
            T("No customer of yours has a tag yet.")
            if choice == "tag"
            else T("No customer of yours has an area yet.")
        )
        return ctx.stay(Reply(empty, notice="alert"))
    ctx.data.dim = choice
    ctx.data.opts = options
    return Step.go(CampaignStep.PICK)


async def pick_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "done":
        return Step.go(CampaignStep.SEG)
    options = ctx.data.opts
    # The buttons' values are the options' indexes, from 0.
    index = parse_index(ctx.choice, len(options))
    dim = ctx.data.dim
    if index is None or dim is None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    value = options[index]
    chosen = list(ctx.data.seg.get(dim, []))
    if value in chosen:
        chosen.remove(value)
    else:
        chosen.append(value)
    ctx.data.seg = {**ctx.data.seg, dim: chosen}
    return Step.go(CampaignStep.PICK)


# ---------------------------------------------------------------- texts


async def _text_step(ctx: StaffCtx, locale: str) -> Step:
    texts: dict[str, str] = ctx.data.texts
    if ctx.choice == "skip":
        if locale == "en" and not texts.get("zh_CN"):
            return ctx.stay(
                Reply(
                    T("One of the two texts is needed: please type it in English."),
                    notice="alert",
                )
            )
        texts.pop(locale, None)
        return _after(locale)
    if ctx.choice is not None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    text, refused = typed_text(ctx, TEXT_LIMIT, T("Please type the message, or tap “Skip”."))
    if refused is not None:
        return refused
    problem = care.template_problem(text)
    if problem is not None and problem.kind == "braces":
        return ctx.stay(
            Reply(
                T(
                    "A brace is not matched: placeholders are written like {example}. Please "
                    "type the message again.",
                    example="{name}",
                )
            )
        )
    if problem is not None:
        return ctx.stay(
            Reply(
                T(
                    "{placeholder} is not a placeholder I can fill: use only {allowed}, or "
                    "none. Please type the message again.",
                    placeholder=problem.placeholder,
                    allowed=ALLOWED,
                )
            )
        )
    ctx.data.texts = {**texts, locale: text}
    return _after(locale)


def _after(locale: str) -> Step:
    """The next language's prompt, or when to send once every language has had its turn."""
    later = TEXT_LOCALES[TEXT_LOCALES.index(locale) + 1 :]
    return Step.go(TEXT_STATES[later[0]] if later else CampaignStep.WHEN)


async def text_zh_step(ctx: StaffCtx) -> Step:
    return await _text_step(ctx, "zh_CN")


async def text_en_step(ctx: StaffCtx) -> Step:
    return await _text_step(ctx, "en")


async def text_tw_step(ctx: StaffCtx) -> Step:
    return await _text_step(ctx, "zh_TW")


async def text_ru_step(ctx: StaffCtx) -> Step:
    return await _text_step(ctx, "ru")


# ---------------------------------------------------------------- when


async def when_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "now":
        ctx.data.at = None
        return Step.go(CampaignStep.CONFIRM)
    if ctx.choice is not None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    when = parse_when(ctx.inbound.text or "", ctx.now(), ctx.who.tz)
    if when is None:
        return ctx.stay(
            Reply(
                T(
                    "I could not read that date and time. Try e.g. “tomorrow 10:00” or "
                    "“2026-12-24 09:30”, or tap “Now”."
                )
            )
        )
    if when < ctx.now() - SLACK:
        return ctx.stay(Reply(T("That time has passed. Please give a later one, or tap “Now”.")))
    ctx.data.at = max(when, ctx.now()).isoformat()
    return Step.go(CampaignStep.CONFIRM)


# ---------------------------------------------------------------- confirm


async def confirm_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "sample":
        return ctx.stay(Reply(SAMPLE, notice="toast"))
    if ctx.choice == "preview":
        return await _preview(ctx)
    if ctx.choice != "ok":
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    return await _save(ctx)


async def _preview(ctx: StaffCtx) -> Step:
    """The message as one sample recipient would read it, sent to the composer only."""
    found = await audience_of(ctx)
    sample = (found.receiving or found.people or [None])[0]
    if sample is None:
        return ctx.stay(Reply(NOBODY, notice="alert"))
    customer, cuser = sample
    owner = await records.staff(ctx.session, customer.owner_id)
    topic = ctx.data.topic or care.TOPICS[0]
    text = care.fill(
        care.pick_template(ctx.data.texts, cuser.locale),
        name=cuser.name or customer.name,
        company=customer.name,
        rep=owner.name if owner else "",
    )
    sample_button = ((flow_button(views.OPT_OUT, CampaignStep.CONFIRM, "sample"),),)
    return Step.to(
        CampaignStep.CONFIRM,
        Reply(
            T(
                "👁 Preview for {customer} ({language}); only you see it:",
                customer=customer.name,
                language=LANGUAGES.get(cuser.locale, Raw(cuser.locale)),
            )
        ),
        views.campaign_message(topic, text, customer.id, buttons=sample_button),
        confirm_reply(ctx, found),
    )


async def _save(ctx: StaffCtx) -> Step:
    staff = staff_of(ctx)
    found = await audience_of(ctx)
    if not found.receiving:
        return ctx.stay(Reply(NOBODY, notice="alert"))
    at = at_of(ctx) or ctx.now()
    topic = ctx.data.topic or care.TOPICS[0]
    campaign, deliveries = await care.create_campaign(
        ctx.session,
        staff,
        topic=topic,
        seg=ctx.data.seg,
        templates=ctx.data.texts,
        scheduled_at=at,
        now=ctx.now(),
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="campaign.create",
        entity="care_campaign",
        entity_id=campaign.id,
        changes={
            "topic": topic,
            "segment": campaign.segment,
            "deliveries": deliveries,
            "scheduled_at": at.isoformat(),
        },
        now=ctx.now(),
    )
    n = len(found.receiving)
    done = (
        TN(
            "✅ Campaign #{id} is confirmed: it goes out now to {n} recipient.",
            "✅ Campaign #{id} is confirmed: it goes out now to {n} recipients.",
            n,
            id=str(campaign.id),
        )
        if at_of(ctx) is None
        else TN(
            "✅ Campaign #{id} is confirmed: it goes out {when} to {n} recipient.",
            "✅ Campaign #{id} is confirmed: it goes out {when} to {n} recipients.",
            n,
            id=str(campaign.id),
            when=at,
        )
    )
    return Step.end(Reply(Lines(done, T("/campaigns shows how it went."))))


COMMANDS = [
    Command("campaign", LEADS, start, T("compose a care campaign: greeting or notice")),
    Command("campaigns", LEADS, list_campaigns, T("recent campaigns and their delivery figures")),
]
ACTIONS = [Action("camp_cancel", LEADS, cancel_campaign, obj_kind="campaign")]
FLOWS = [
    Flow(
        CampaignStep,
        LEADS,
        {
            CampaignStep.TOPIC: State(
                topic_step, topic_prompt, accepts=BUTTONS, to=(CampaignStep.SEG,), ends=False
            ),
            CampaignStep.SEG: State(
                seg_step,
                segment_prompt,
                accepts=TEXT,  # typed conditions (A级 VIP 浦东) as well as the buttons
                to=(CampaignStep.PICK, CampaignStep.TEXT_ZH),
                ends=False,
            ),
            CampaignStep.PICK: State(
                pick_step, pick_prompt, accepts=BUTTONS, to=(CampaignStep.SEG,), ends=False
            ),
            CampaignStep.TEXT_ZH: State(
                text_zh_step, text_prompt("zh_CN"), to=(CampaignStep.TEXT_EN,), ends=False
            ),
            CampaignStep.TEXT_EN: State(
                text_en_step, text_prompt("en"), to=(CampaignStep.TEXT_TW,), ends=False
            ),
            CampaignStep.TEXT_TW: State(
                text_tw_step, text_prompt("zh_TW"), to=(CampaignStep.TEXT_RU,), ends=False
            ),
            CampaignStep.TEXT_RU: State(
                text_ru_step, text_prompt("ru"), to=(CampaignStep.WHEN,), ends=False
            ),
            CampaignStep.WHEN: State(
                when_step, when_prompt, to=(CampaignStep.CONFIRM,), ends=False
            ),
            CampaignStep.CONFIRM: State(confirm_step, confirm_prompt, accepts=BUTTONS),
        },
        CampaignDraft,
        title,
        entries=(("/campaign", CampaignStep.TOPIC),),
    )
]
AUTHORISERS = {"campaign": may_cancel_campaign}
