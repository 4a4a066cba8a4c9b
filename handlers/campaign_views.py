"""The texts and keyboards of the campaign composer (handlers/campaigns.py): the step headers,
the audience as counted, the menus and prompts of each step, and the confirmation."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from bot.types import TN, Button, Lines, Raw, Reply, T, Text
from bot.views import care as views
from crm.models import Staff
from crm.services import care
from handlers.base import Ctx, Step, flow_button, rows
from handlers.common import LANGUAGES
from handlers.labels import STAGE, label

STEPS = 5
# The order the texts are asked in, and each one's state: the two every campaign has one of
# first, then the languages whose readers can do with one of those.
TEXT_LOCALES = ("zh_CN", "en", "zh_TW", "ru")
TEXT_STATES = {
    "zh_CN": "campaign.text_zh",
    "en": "campaign.text_en",
    "zh_TW": "campaign.text_tw",
    "ru": "campaign.text_ru",
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


def cancel_button(state: str) -> Button:
    return flow_button(T("✖ Cancel"), state, "cancel")


def staff_of(ctx: Ctx) -> Staff:
    assert ctx.who.staff is not None
    return ctx.who.staff


def joined(ctx: Ctx, parts: list[Text]) -> Raw:
    return Raw(", ".join(html.unescape(ctx.render(p)) for p in parts))


def value_label(ctx: Ctx, dim: str, value: Any) -> Text:
    if dim == "vip":
        return T("yes")
    if dim == "not_visited_since":
        return T("before {when}", when=datetime.fromisoformat(value))
    if dim == "stage":
        return label(STAGE, value)
    if dim == "owner":
        if int(value) == care.POOL_OWNER:
            return T("team pool")
        return Raw(ctx.data.get("names", {}).get(str(value), str(value)))
    return Raw(str(value))


def segment_lines(ctx: Ctx) -> list[Text]:
    seg = ctx.data["seg"]
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


async def audience_of(ctx: Ctx) -> care.Audience:
    return await care.audience(ctx.session, staff_of(ctx), ctx.data["seg"], ctx.data["topic"])


async def segment_menu(ctx: Ctx, *before: Reply) -> Step:
    found = await audience_of(ctx)
    state = "campaign.seg"
    buttons = [flow_button(DIMENSION[d], state, d) for d in care.DIMENSIONS]
    if any(ctx.data["seg"].values()):
        buttons.append(flow_button(T("🧹 Clear"), state, "clear"))
    buttons += [flow_button(T("➡ Next"), state, "next"), cancel_button(state)]
    return Step.to(
        state,
        *before,
        Reply(
            Lines(
                head(2),
                T("Who should receive it? Tap a criterion to narrow it down."),
                *segment_lines(ctx),
                *reach(found),
            ),
            buttons=rows(*buttons, width=3),
        ),
    )


async def segment_options(ctx: Ctx, dim: str) -> list[Any]:
    if dim == "class":
        return ["A", "B", "C"]
    if dim == "stage":
        return list(ctx.rules.stages.order)
    if dim == "owner":
        owners = await care.segment_owners(ctx.session, staff_of(ctx))
        ctx.data["names"] = {str(sid): name for sid, name in owners}
        return [care.POOL_OWNER, *(sid for sid, _name in owners)]
    return (await care.segment_values(ctx.session, staff_of(ctx), dim))[:MAX_OPTIONS]


def pick_menu(ctx: Ctx, *, edit: bool = False) -> Step:
    dim = ctx.data["dim"]
    chosen = ctx.data["seg"].get(dim, [])
    buttons = []
    for i, value in enumerate(ctx.data["opts"]):
        base = value_label(ctx, dim, value)
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


def text_prompt(locale: str) -> Step:
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
    return Step.to(
        state,
        Reply(
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
        ),
    )


def when_prompt() -> Step:
    state = "campaign.when"
    return Step.to(
        state,
        Reply(
            Lines(
                head(5),
                T(
                    "When should it go out? Tap “Now”, or type a date and time, e.g. “tomorrow "
                    "10:00” or “2026-12-24 09:30”."
                ),
            ),
            buttons=((flow_button(T("Now"), state, "now"), cancel_button(state)),),
        ),
    )


def at_of(ctx: Ctx) -> datetime | None:
    at = ctx.data.get("at")
    return datetime.fromisoformat(at) if at else None


def confirm_reply(ctx: Ctx, found: care.Audience) -> Reply:
    topic = ctx.data["topic"]
    at = at_of(ctx)
    texts = ctx.data["texts"]
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
    state = "campaign.confirm"
    return Reply(
        Lines(*lines),
        buttons=(
            (flow_button(T("👁 Preview to me"), state, "preview"),),
            (flow_button(T("✅ Confirm"), state, "ok"), cancel_button(state)),
        ),
    )
