"""Care campaigns composed in chat by a manager or an admin (/campaign), and their delivery
figures (/campaigns).

A campaign is a greeting (only to customers who agreed to care messages, with the opt-out button
and within the frequency cap) or an operational notice: policy, price, outage or event (to every
customer on Telegram, consent or not). Its audience is the customers the composer may see,
narrowed by class, stage, tag, owner and area (several values of one criterion: any of them;
several criteria: all of them). The texts are typed per language (Chinese, English; one may be
left out and the other stands in) with the placeholders {name}, {company} and {rep}; anything
else in braces is refused. The number of recipients is shown before anything is saved; the
preview goes to the composer only. Confirmed, the campaign and one delivery per recipient are
saved; the scheduler sends them at the time given (scheduler/care_jobs.py).

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
    text_en --> when: the English text, or skip (when there is a Chinese one)
    when --> confirm: now, or a typed date and time
    confirm --> confirm: preview (to the composer only)
    confirm --> [*]: confirmed: the campaign and its deliveries are saved
    topic --> [*]: cancel
    seg --> [*]: cancel
    text_zh --> [*]: cancel
    text_en --> [*]: cancel
    when --> [*]: cancel
    confirm --> [*]: cancel
```
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from bot.types import TN, Button, Lines, Raw, Reply, T, Text
from bot.views import care as views
from crm.dates import parse_when
from crm.enums import Role
from crm.models import CareCampaign, Staff
from crm.services import care, runtime
from handlers.base import LEADS, Action, Command, Ctx, Flow, Step, flow_button, rows, typed_text
from handlers.common import LANGUAGES
from handlers.labels import STAGE, label

STEPS = 5
DIMENSION = {
    "class": T("🏷 Class"),
    "stage": T("📈 Stage"),
    "tag": T("🔖 Tag"),
    "owner": T("👤 Owner"),
    "area": T("📍 Area"),
}
CHOOSE = T("Please choose one of the buttons.")
CANCELLED = T("Cancelled. Nothing was saved.")
TEXT_LIMIT = 1000
ALLOWED = "{name}, {company}, {rep}"
# Tags and areas offered as buttons (the most a keyboard comfortably holds).
MAX_OPTIONS = 30
# A typed "now" parsed to the start of the minute is not in the past.
SLACK = timedelta(minutes=1)


def _head(n: int) -> T:
    return T("<b>New campaign</b> · step {n}/{total}", n=n, total=STEPS)


def _cancel(state: str) -> Button:
    return flow_button(T("✖ Cancel"), state, "cancel")


def _staff(ctx: Ctx) -> Staff:
    assert ctx.who.staff is not None
    return ctx.who.staff


def _joined(ctx: Ctx, parts: list[Text]) -> Raw:
    return Raw(", ".join(html.unescape(ctx.render(p)) for p in parts))


# ---------------------------------------------------------------- kind


async def start(ctx: Ctx) -> Step:
    ctx.data = {"seg": {}, "texts": {}}
    buttons = [flow_button(views.TOPIC[t], "campaign.topic", t) for t in care.TOPICS]
    return Step.to(
        "campaign.topic",
        Reply(
            Lines(
                _head(1),
                T("What kind of message?"),
                T(
                    "A greeting goes only to customers who agreed to greetings; a notice is "
                    "operational and reaches every customer on Telegram."
                ),
            ),
            buttons=rows(*buttons, _cancel("campaign.topic"), width=1),
        ),
    )


async def topic_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(CANCELLED))
    if ctx.choice not in care.TOPICS:
        return ctx.stay(Reply(CHOOSE))
    ctx.data["topic"] = ctx.choice
    return await _segment_menu(ctx)


# ---------------------------------------------------------------- audience


def _value_label(ctx: Ctx, dim: str, value: Any) -> Text:
    if dim == "stage":
        return label(STAGE, value)
    if dim == "owner":
        if int(value) == care.POOL_OWNER:
            return T("team pool")
        return Raw(ctx.data.get("names", {}).get(str(value), str(value)))
    return Raw(str(value))


def _segment_lines(ctx: Ctx) -> list[Text]:
    seg = ctx.data["seg"]
    lines: list[Text] = []
    for dim in care.DIMENSIONS:
        if seg.get(dim):
            values = _joined(ctx, [_value_label(ctx, dim, v) for v in seg[dim]])
            lines.append(T("{criterion}: {values}", criterion=DIMENSION[dim], values=values))
    return lines or [T("To: all your customers")]


def _reach(found: care.Audience) -> list[Text]:
    lines: list[Text] = [
        TN(
            "Recipients: {n} person on Telegram",
            "Recipients: {n} people on Telegram",
            len(found.receiving),
        )
    ]
    if found.no_consent:
        lines.append(
            TN(
                "Left out: {n} customer without consent to greetings",
                "Left out: {n} customers without consent to greetings",
                found.no_consent,
            )
        )
    if found.not_on_telegram:
        lines.append(
            TN(
                "Not on Telegram: {n} customer",
                "Not on Telegram: {n} customers",
                found.not_on_telegram,
            )
        )
    if found.blocked:
        lines.append(
            TN("{n} chat has blocked the bot", "{n} chats have blocked the bot", found.blocked)
        )
    return lines


async def _audience(ctx: Ctx) -> care.Audience:
    return await care.audience(ctx.session, _staff(ctx), ctx.data["seg"], ctx.data["topic"])


async def _segment_menu(ctx: Ctx, *before: Reply) -> Step:
    found = await _audience(ctx)
    state = "campaign.seg"
    buttons = [flow_button(DIMENSION[d], state, d) for d in care.DIMENSIONS]
    if any(ctx.data["seg"].values()):
        buttons.append(flow_button(T("🧹 Clear"), state, "clear"))
    buttons += [flow_button(T("➡ Next"), state, "next"), _cancel(state)]
    return Step.to(
        state,
        *before,
        Reply(
            Lines(
                _head(2),
                T("Who should receive it? Tap a criterion to narrow it down."),
                *_segment_lines(ctx),
                *_reach(found),
            ),
            buttons=rows(*buttons, width=3),
        ),
    )


async def _options(ctx: Ctx, dim: str) -> list[Any]:
    if dim == "class":
        return ["A", "B", "C"]
    if dim == "stage":
        return list(ctx.rules.stages.order)
    if dim == "owner":
        owners = await care.segment_owners(ctx.session, _staff(ctx))
        ctx.data["names"] = {str(sid): name for sid, name in owners}
        return [care.POOL_OWNER, *(sid for sid, _name in owners)]
    return (await care.segment_values(ctx.session, _staff(ctx), dim))[:MAX_OPTIONS]


async def seg_step(ctx: Ctx) -> Step:
    choice = ctx.choice
    if choice == "cancel":
        return Step.end(Reply(CANCELLED))
    if choice == "clear":
        ctx.data["seg"] = {}
        return await _segment_menu(ctx)
    if choice == "next":
        if not (await _audience(ctx)).receiving:
            return ctx.stay(Reply(T("Nobody would receive it: please widen the selection.")))
        return _text_prompt("zh_CN")
    if choice not in care.DIMENSIONS:
        return ctx.stay(Reply(CHOOSE))
    options = await _options(ctx, choice)
    if not options:
        empty = (
            T("No customer of yours has a tag yet.")
            if choice == "tag"
            else T("No customer of yours has an area yet.")
        )
        return ctx.stay(Reply(empty))
    ctx.data["dim"] = choice
    ctx.data["opts"] = options
    return _pick_menu(ctx)


def _pick_menu(ctx: Ctx, *, edit: bool = False) -> Step:
    dim = ctx.data["dim"]
    chosen = ctx.data["seg"].get(dim, [])
    buttons = []
    for i, value in enumerate(ctx.data["opts"]):
        base = _value_label(ctx, dim, value)
        shown = T("✓ {label}", label=base) if value in chosen else base
        buttons.append(flow_button(shown, "campaign.pick", str(i)))
    buttons.append(flow_button(T("✅ Done"), "campaign.pick", "done"))
    return Step.to(
        "campaign.pick",
        Reply(
            T(
                "{criterion}: tap the values to include, then “Done”.",
                criterion=DIMENSION[dim],
            ),
            buttons=rows(*buttons, width=3),
            edit=edit,
        ),
    )


async def pick_step(ctx: Ctx) -> Step:
    if ctx.choice == "done":
        return await _segment_menu(ctx)
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
    return _pick_menu(ctx, edit=True)


# ---------------------------------------------------------------- texts


def _text_prompt(locale: str) -> Step:
    state = "campaign.text_zh" if locale == "zh_CN" else "campaign.text_en"
    ask = (
        T("Type the message in Chinese (简体中文), or skip it.")
        if locale == "zh_CN"
        else T("Type the message in English, or skip it: English readers then get the Chinese.")
    )
    return Step.to(
        state,
        Reply(
            Lines(
                _head(3 if locale == "zh_CN" else 4),
                ask,
                T(
                    "Placeholders: {name} the reader's name, {company} their company, {rep} "
                    "their account manager.",
                    name="{name}",
                    company="{company}",
                    rep="{rep}",
                ),
            ),
            buttons=((flow_button(T("Skip"), state, "skip"), _cancel(state)),),
        ),
    )


async def _text_step(ctx: Ctx, locale: str) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(CANCELLED))
    texts: dict[str, str] = ctx.data["texts"]
    if ctx.choice == "skip":
        if locale == "en" and not texts.get("zh_CN"):
            return ctx.stay(Reply(T("One of the two texts is needed: please type it in English.")))
        texts.pop(locale, None)
        return _text_prompt("en") if locale == "zh_CN" else _when_prompt()
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
    return _text_prompt("en") if locale == "zh_CN" else _when_prompt()


async def text_zh_step(ctx: Ctx) -> Step:
    return await _text_step(ctx, "zh_CN")


async def text_en_step(ctx: Ctx) -> Step:
    return await _text_step(ctx, "en")


# ---------------------------------------------------------------- when


def _when_prompt() -> Step:
    state = "campaign.when"
    return Step.to(
        state,
        Reply(
            Lines(
                _head(5),
                T(
                    "When should it go out? Tap “Now”, or type a date and time, e.g. “tomorrow "
                    "10:00” or “2026-12-24 09:30”."
                ),
            ),
            buttons=((flow_button(T("Now"), state, "now"), _cancel(state)),),
        ),
    )


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


def _at(ctx: Ctx) -> datetime | None:
    at = ctx.data.get("at")
    return datetime.fromisoformat(at) if at else None


def _confirm_reply(ctx: Ctx, found: care.Audience) -> Reply:
    topic = ctx.data["topic"]
    at = _at(ctx)
    texts = ctx.data["texts"]
    lines: list[Text] = [
        T("<b>Please check the campaign</b>"),
        T("Kind: {topic}", topic=views.TOPIC[topic]),
        *_segment_lines(ctx),
        *_reach(found),
        T("When: {when}", when=at) if at else T("When: now"),
    ]
    held = care.quiet_until(at or ctx.now(), ctx.rules.quiet_hours, ctx.who.tz)
    if held is not None:
        lines.append(T("That is in the quiet hours: it will be held until {when}.", when=held))
    for code in ("zh_CN", "en"):
        if texts.get(code):
            lines.append(T("{language}: “{text}”", language=LANGUAGES[code], text=texts[code]))
    state = "campaign.confirm"
    return Reply(
        Lines(*lines),
        buttons=(
            (flow_button(T("👁 Preview to me"), state, "preview"),),
            (flow_button(T("✅ Confirm"), state, "ok"), _cancel(state)),
        ),
    )


async def _confirm(ctx: Ctx) -> Step:
    return Step.to("campaign.confirm", _confirm_reply(ctx, await _audience(ctx)))


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
    found = await _audience(ctx)
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
        _confirm_reply(ctx, found),
    )


async def _save(ctx: Ctx) -> Step:
    staff = _staff(ctx)
    found = await _audience(ctx)
    if not found.receiving:
        return ctx.stay(Reply(T("Nobody would receive it: please widen the selection.")))
    at = _at(ctx) or ctx.now()
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
        if _at(ctx) is None
        else TN(
            "✅ Campaign #{id} is confirmed: it goes out {when} to {n} recipient.",
            "✅ Campaign #{id} is confirmed: it goes out {when} to {n} recipients.",
            n,
            id=str(campaign.id),
            when=at,
        )
    )
    return Step.end(Reply(Lines(done, T("/campaigns shows how it went."))))


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
    staff = _staff(ctx)
    campaigns = await care.recent_campaigns(ctx.session)
    if not campaigns:
        return Step.end(Reply(T("No campaigns yet. /campaign composes one.")))
    figures = await care.figures(ctx.session, (c.id for c in campaigns))
    authors = {
        s.id: s.name
        for s in [await ctx.session.get(Staff, sid) for sid in {c.created_by for c in campaigns}]
        if s is not None
    }
    lines: list[Text] = [T("<b>Recent campaigns</b>")]
    buttons: list[tuple[Button, ...]] = []
    for c in campaigns:
        text = care.pick_template(c.templates, ctx.who.locale)
        excerpt = text if len(text) <= 60 else text[:59] + "…"
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
        if c.status == care.CAMPAIGN_SCHEDULED and (
            staff.role == Role.ADMIN or c.created_by == staff.id
        ):
            buttons.append((Button(T("✖ Cancel #{id}", id=str(c.id)), f"camp_cancel:{c.id}"),))
    return Step.end(Reply(Lines(*lines), buttons=tuple(buttons)))


async def cancel_campaign(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    if await care.cancel_campaign(ctx.session, ctx.obj_id, ctx.now()):
        staff = _staff(ctx)
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
            )
        )
    )


async def _may_cancel(ctx: Ctx, campaign_id: int) -> bool:
    return await care.may_cancel(ctx.session, _staff(ctx), campaign_id)


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
            "when": when_step,
            "confirm": confirm_step,
        },
    )
]
AUTHORISERS = {"campaign": _may_cancel}
