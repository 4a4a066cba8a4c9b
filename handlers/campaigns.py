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

```mermaid
stateDiagram-v2
    [*] --> topic: /campaign
    topic --> seg: greeting, or a notice (policy, price, outage, event)
    seg --> pick: class, stage, tag, owner or area
    pick --> pick: a value toggled
    pick --> seg: done
    seg --> seg: clear
    seg --> text_zh: next (someone would receive it)
    text_zh --> text_en: the Chinese text (placeholders checked), or skip
    text_en --> text_tw: the English text, or skip (when there is a Chinese one)
    text_tw --> text_ru: the Traditional Chinese text, or skip
    text_ru --> when: the Russian text, or skip
    when --> confirm: now, or a typed date and time
    confirm --> confirm: preview (to the composer only)
    confirm --> [*]: confirmed: the campaign and its deliveries are saved
    topic --> [*]: cancel
    seg --> [*]: cancel
    text_zh --> [*]: cancel
    text_en --> [*]: cancel
    text_tw --> [*]: cancel
    text_ru --> [*]: cancel
    when --> [*]: cancel
    confirm --> [*]: cancel
```
"""

from __future__ import annotations

from datetime import timedelta

from bot.types import TN, Lines, Raw, Reply, T
from bot.views import care as views
from crm.language.dates import parse_when
from crm.models import Staff
from crm.services import care, runtime
from handlers.base import LEADS, Action, Command, Ctx, Flow, Step, flow_button, rows, typed_text
from handlers.campaign_list import cancel_campaign, list_campaigns, may_cancel_campaign
from handlers.campaign_views import (
    TEXT_LOCALES,
    at_of,
    audience_of,
    cancel_button,
    confirm_reply,
    head,
    pick_menu,
    segment_menu,
    segment_options,
    staff_of,
    text_prompt,
    when_prompt,
)
from handlers.common import LANGUAGES

CHOOSE = T("Please choose one of the buttons.")
CANCELLED = T("Cancelled. Nothing was saved.")
TEXT_LIMIT = 1000
ALLOWED = "{name}, {company}, {rep}"
# A typed "now" parsed to the start of the minute is not in the past.
SLACK = timedelta(minutes=1)


# ---------------------------------------------------------------- kind


async def start(ctx: Ctx) -> Step:
    ctx.data = {"seg": {}, "texts": {}}
    buttons = [flow_button(views.TOPIC[t], "campaign.topic", t) for t in care.TOPICS]
    return Step.to(
        "campaign.topic",
        Reply(
            Lines(
                head(1),
                T("What kind of message?"),
                T(
                    "A greeting goes only to customers who agreed to greetings; a notice is "
                    "operational and reaches every customer on Telegram."
                ),
            ),
            buttons=rows(*buttons, cancel_button("campaign.topic"), width=1),
        ),
    )


async def topic_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(CANCELLED))
    if ctx.choice not in care.TOPICS:
        return ctx.stay(Reply(CHOOSE))
    ctx.data["topic"] = ctx.choice
    return await segment_menu(ctx)


# ---------------------------------------------------------------- audience


async def seg_step(ctx: Ctx) -> Step:
    choice = ctx.choice
    if choice == "cancel":
        return Step.end(Reply(CANCELLED))
    if choice == "clear":
        ctx.data["seg"] = {}
        return await segment_menu(ctx)
    if choice == "next":
        if not (await audience_of(ctx)).receiving:
            return ctx.stay(Reply(T("Nobody would receive it: please widen the selection.")))
        return text_prompt("zh_CN")
    if choice not in care.DIMENSIONS:
        return ctx.stay(Reply(CHOOSE))
    options = await segment_options(ctx, choice)
    if not options:
        empty = (
            T("No customer of yours has a tag yet.")
            if choice == "tag"
            else T("No customer of yours has an area yet.")
        )
        return ctx.stay(Reply(empty))
    ctx.data["dim"] = choice
    ctx.data["opts"] = options
    return pick_menu(ctx)


async def pick_step(ctx: Ctx) -> Step:
    if ctx.choice == "done":
        return await segment_menu(ctx)
    options = ctx.data.get("opts") or []
    if not (ctx.choice or "").isdigit() or int(ctx.choice or 0) >= len(options):
        return ctx.stay(Reply(CHOOSE))
    value = options[int(ctx.choice or 0)]
    chosen = list(ctx.data["seg"].get(ctx.data["dim"], []))
    if value in chosen:
        chosen.remove(value)
    else:
        chosen.append(value)
    ctx.data["seg"][ctx.data["dim"]] = chosen
    return pick_menu(ctx, edit=True)


# ---------------------------------------------------------------- texts


async def _text_step(ctx: Ctx, locale: str) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(CANCELLED))
    texts: dict[str, str] = ctx.data["texts"]
    if ctx.choice == "skip":
        if locale == "en" and not texts.get("zh_CN"):
            return ctx.stay(Reply(T("One of the two texts is needed: please type it in English.")))
        texts.pop(locale, None)
        return _after(locale)
    if ctx.choice is not None:
        return ctx.stay(Reply(CHOOSE))
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
    texts[locale] = text
    return _after(locale)


def _after(locale: str) -> Step:
    """The next language's prompt, or when to send once every language has had its turn."""
    later = TEXT_LOCALES[TEXT_LOCALES.index(locale) + 1 :]
    return text_prompt(later[0]) if later else when_prompt()


async def text_zh_step(ctx: Ctx) -> Step:
    return await _text_step(ctx, "zh_CN")


async def text_en_step(ctx: Ctx) -> Step:
    return await _text_step(ctx, "en")


async def text_tw_step(ctx: Ctx) -> Step:
    return await _text_step(ctx, "zh_TW")


async def text_ru_step(ctx: Ctx) -> Step:
    return await _text_step(ctx, "ru")


# ---------------------------------------------------------------- when


async def when_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(CANCELLED))
    if ctx.choice == "now":
        ctx.data["at"] = None
        return await _confirm(ctx)
    if ctx.choice is not None:
        return ctx.stay(Reply(CHOOSE))
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
    ctx.data["at"] = max(when, ctx.now()).isoformat()
    return await _confirm(ctx)


# ---------------------------------------------------------------- confirm


async def _confirm(ctx: Ctx) -> Step:
    return Step.to("campaign.confirm", confirm_reply(ctx, await audience_of(ctx)))


async def confirm_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(CANCELLED))
    if ctx.choice == "sample":
        return ctx.stay(
            Reply(
                T("In the customer's message this button turns greetings off. Nothing was changed.")
            )
        )
    if ctx.choice == "preview":
        return await _preview(ctx)
    if ctx.choice != "ok":
        return ctx.stay(Reply(CHOOSE))
    return await _save(ctx)


async def _preview(ctx: Ctx) -> Step:
    """The message as one sample recipient would read it, sent to the composer only."""
    found = await audience_of(ctx)
    sample = (found.receiving or found.people or [None])[0]
    if sample is None:
        return ctx.stay(Reply(T("Nobody would receive it: please widen the selection.")))
    customer, cuser = sample
    owner = await ctx.session.get(Staff, customer.owner_id) if customer.owner_id else None
    text = care.fill(
        care.pick_template(ctx.data["texts"], cuser.locale),
        name=cuser.name or customer.name,
        company=customer.name,
        rep=owner.name if owner else "",
    )
    sample_button = ((flow_button(views.OPT_OUT, "campaign.confirm", "sample"),),)
    return Step.to(
        "campaign.confirm",
        Reply(
            T(
                "👁 Preview for {customer} ({language}); only you see it:",
                customer=customer.name,
                language=LANGUAGES.get(cuser.locale, Raw(cuser.locale)),
            )
        ),
        views.campaign_message(ctx.data["topic"], text, customer.id, buttons=sample_button),
        confirm_reply(ctx, found),
    )


async def _save(ctx: Ctx) -> Step:
    staff = staff_of(ctx)
    found = await audience_of(ctx)
    if not found.receiving:
        return ctx.stay(Reply(T("Nobody would receive it: please widen the selection.")))
    at = at_of(ctx) or ctx.now()
    campaign, deliveries = await care.create_campaign(
        ctx.session,
        staff,
        topic=ctx.data["topic"],
        seg=ctx.data["seg"],
        templates=ctx.data["texts"],
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
            "topic": ctx.data["topic"],
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
        "campaign",
        LEADS,
        {
            "topic": topic_step,
            "seg": seg_step,
            "pick": pick_step,
            "text_zh": text_zh_step,
            "text_en": text_en_step,
            "text_tw": text_tw_step,
            "text_ru": text_ru_step,
            "when": when_step,
            "confirm": confirm_step,
        },
    )
]
AUTHORISERS = {"campaign": may_cancel_campaign}
