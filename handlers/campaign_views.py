"""The campaign composer's states and draft, and its screens (handlers/campaigns.py): the step
headers, the audience as counted, the prompt of each step, and the confirmation."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.types import TN, Button, Lines, Raw, Reply, T, Text
from bot.views import care as views
from crm.models import Staff
from crm.services import care
from handlers.base import Ctx, StaffCtx, flow_button, rows
from handlers.common import LANGUAGES
from handlers.conversation import Draft, States
from handlers.labels import STAGE, label


class CampaignStep(States, flow="campaign"):
    TOPIC = "topic"
    SEG = "seg"
    PICK = "pick"
    TEXT_ZH = "text_zh"
    TEXT_EN = "text_en"
    TEXT_TW = "text_tw"
    TEXT_RU = "text_ru"
    WHEN = "when"
    CONFIRM = "confirm"


class CampaignDraft(Draft):
    # What the lists of values on offer are made of, not what the composer chose.
    SCAFFOLD = frozenset({"dim", "opts", "names"})

    topic: str | None = None
    # Criterion → the values chosen (owners by id, the rest by name).
    seg: dict[str, list[int | str]] = {}
    # Locale → the text typed for it.
    texts: dict[str, str] = {}
    # The criterion whose values are being picked, and the values on offer (by button index).
    dim: str | None = None
    opts: list[int | str] = []
    # Owners' names by id, for the owner criterion's buttons and the summary.
    names: dict[str, str] = {}
    # When to send it (ISO), or None for now.
    at: str | None = None


STEPS = 5
# The order the texts are asked in, and each one's state: the two every campaign has one of
# first, then the languages whose readers can do with one of those.
TEXT_LOCALES = ("zh_CN", "en", "zh_TW", "ru")
TEXT_STATES = {
    "zh_CN": CampaignStep.TEXT_ZH,
    "en": CampaignStep.TEXT_EN,
    "zh_TW": CampaignStep.TEXT_TW,
    "ru": CampaignStep.TEXT_RU,
}
DIMENSION = {
    "class": T("🏷 Class"),
    "stage": T("📈 Stage"),
    "tag": T("🔖 Tag"),
    "owner": T("👤 Owner"),
    "area": T("📍 Area"),
}
# Conditions typed while choosing (handlers/campaign_conditions.py), shown like the others.
TYPED = {
    "vip": T("VIP"),
    "credit": T("Credit rating"),
    "industry": T("Industry"),
    "not_visited_since": T("Last visit"),
}

# Tags and areas offered as buttons (the most a keyboard comfortably holds).
MAX_OPTIONS = 30


def head(n: int) -> T:
    return T("<b>New campaign</b> · step {n}/{total}", n=n, total=STEPS)


def cancel_button(state: CampaignStep) -> Button:
    return flow_button(T("✖ Cancel"), state, "cancel")


def title(d: CampaignDraft) -> Text:
    """The draft named by its first text, else by its kind."""
    text = next((d.texts[code] for code in TEXT_LOCALES if d.texts.get(code)), None)
    if text:
        return T("Campaign “{text}”", text=text if len(text) <= 40 else text[:39] + "…")
    if d.topic in views.TOPIC:
        return T("Campaign: {topic}", topic=views.TOPIC[d.topic])
    return T("New campaign")


def staff_of(ctx: StaffCtx) -> Staff:
    return ctx.me


def joined(ctx: StaffCtx, parts: list[Text]) -> Raw:
    return Raw(", ".join(html.unescape(ctx.render(p)) for p in parts))


def value_label(ctx: StaffCtx, dim: str, value: Any) -> Text:
    if dim == "vip":
        return T("yes")
    if dim == "not_visited_since":
        return T("before {when}", when=datetime.fromisoformat(value))
    if dim == "stage":
        return label(STAGE, value)
    if dim == "owner":
        if int(value) == care.POOL_OWNER:
            return T("team pool")
        return Raw(ctx.data.names.get(str(value), str(value)))
    return Raw(str(value))


def segment_lines(ctx: StaffCtx) -> list[Text]:
    seg = ctx.data.seg
    lines: list[Text] = []
    for dim in (*care.DIMENSIONS, *TYPED):
        if seg.get(dim):
            values = joined(ctx, [value_label(ctx, dim, v) for v in seg[dim]])
            name = DIMENSION.get(dim) or TYPED[dim]
            lines.append(T("{criterion}: {values}", criterion=name, values=values))
    return lines or [T("To: all your customers")]


def reach(found: care.Audience) -> list[Text]:
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


async def audience_of(ctx: StaffCtx) -> care.Audience:
    return await care.audience(ctx.session, staff_of(ctx), ctx.data.seg, ctx.data.topic)


def topic_prompt(ctx: StaffCtx) -> Reply:
    state = CampaignStep.TOPIC
    buttons = [flow_button(views.TOPIC[t], state, t) for t in care.TOPICS]
    return Reply(
        Lines(
            head(1),
            T("What kind of message?"),
            T(
                "A greeting goes only to customers who agreed to greetings; a notice is "
                "operational and reaches every customer on Telegram."
            ),
        ),
        buttons=rows(*buttons, cancel_button(state), width=1),
    )


async def segment_prompt(ctx: StaffCtx) -> Reply:
    found = await audience_of(ctx)
    state = CampaignStep.SEG
    buttons = [flow_button(DIMENSION[d], state, d) for d in care.DIMENSIONS]
    if any(ctx.data.seg.values()):
        buttons.append(flow_button(T("🧹 Clear"), state, "clear"))
    buttons += [flow_button(T("➡ Next"), state, "next"), cancel_button(state)]
    return Reply(
        Lines(
            head(2),
            T("Who should receive it? Tap a criterion to narrow it down."),
            *segment_lines(ctx),
            *reach(found),
        ),
        buttons=rows(*buttons, width=3),
    )


async def segment_options(ctx: StaffCtx, dim: str) -> list[Any]:
    if dim == "class":
        return ["A", "B", "C"]
    if dim == "stage":
        return list(ctx.rules.stages.order)
    if dim == "owner":
        owners = await care.segment_owners(ctx.session, staff_of(ctx))
        ctx.data.names = {str(sid): name for sid, name in owners}
        return [care.POOL_OWNER, *(sid for sid, _name in owners)]
    return (await care.segment_values(ctx.session, staff_of(ctx), dim))[:MAX_OPTIONS]


def pick_prompt(ctx: StaffCtx) -> Reply:
    dim = ctx.data.dim or care.DIMENSIONS[0]
    chosen = ctx.data.seg.get(dim, [])
    buttons = []
    for i, value in enumerate(ctx.data.opts):
        base = value_label(ctx, dim, value)
        shown = T("✓ {label}", label=base) if value in chosen else base
        buttons.append(flow_button(shown, CampaignStep.PICK, str(i)))
    buttons.append(flow_button(T("✅ Done"), CampaignStep.PICK, "done"))
    return Reply(
        T(
            "{criterion}: tap the values to include, then “Done”.",
            criterion=DIMENSION[dim],
        ),
        buttons=rows(*buttons, width=3),
    )


def text_prompt(locale: str) -> Callable[[Ctx], Reply]:
    """The prompt of the state that asks for the text in `locale`."""
    return lambda ctx: _text_prompt(locale)


def _text_prompt(locale: str) -> Reply:
    state = TEXT_STATES[locale]
    if locale == "zh_CN":
        ask: Text = T("Type the message in Chinese (简体中文), or skip it.")
    elif locale == "en":
        ask = T("Type the message in English, or skip it: English readers then get the Chinese.")
    else:
        # The language named in itself heads the prompt; skipped, its readers get the nearest
        # text written (crm.services.care_templates.FALLBACKS).
        ask = Lines(
            Raw(f"🌐 {LANGUAGES[locale].text}"), T("Please type the message, or tap “Skip”.")
        )
    return Reply(
        Lines(
            head(3 if locale == "zh_CN" else 4),
            ask,
            T(
                "Placeholders: {name} the reader's name, {company} their company, {rep} "
                "their account manager.",
                name="{name}",
                company="{company}",
                rep="{rep}",
            ),
        ),
        buttons=((flow_button(T("Skip"), state, "skip"), cancel_button(state)),),
    )


def when_prompt(ctx: StaffCtx) -> Reply:
    state = CampaignStep.WHEN
    return Reply(
        Lines(
            head(5),
            T(
                "When should it go out? Tap “Now”, or type a date and time, e.g. “tomorrow "
                "10:00” or “2026-12-24 09:30”."
            ),
        ),
        buttons=((flow_button(T("Now"), state, "now"), cancel_button(state)),),
    )


def at_of(ctx: StaffCtx) -> datetime | None:
    at = ctx.data.at
    return datetime.fromisoformat(at) if at else None


async def confirm_prompt(ctx: StaffCtx) -> Reply:
    return confirm_reply(ctx, await audience_of(ctx))


def confirm_reply(ctx: StaffCtx, found: care.Audience) -> Reply:
    topic = ctx.data.topic or care.TOPICS[0]
    at = at_of(ctx)
    texts = ctx.data.texts
    lines: list[Text] = [
        T("<b>Please check the campaign</b>"),
        T("Kind: {topic}", topic=views.TOPIC[topic]),
        *segment_lines(ctx),
        *reach(found),
        T("When: {when}", when=at) if at else T("When: now"),
    ]
    held = care.quiet_until(at or ctx.now(), ctx.rules.quiet_hours, ctx.who.tz)
    if held is not None:
        lines.append(T("That is in the quiet hours: it will be held until {when}.", when=held))
    for code in TEXT_LOCALES:
        if texts.get(code):
            lines.append(T("{language}: “{text}”", language=LANGUAGES[code], text=texts[code]))
    state = CampaignStep.CONFIRM
    return Reply(
        Lines(*lines),
        buttons=(
            (flow_button(T("👁 Preview to me"), state, "preview"),),
            (flow_button(T("✅ Confirm"), state, "ok"), cancel_button(state)),
        ),
    )
