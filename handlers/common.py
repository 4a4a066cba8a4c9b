"""Entry, help, menus, language and /cancel: what every role has."""

from __future__ import annotations

from bot.types import Button, KeyButton, Lines, Raw, Reply, T
from crm.enums import Role
from crm.services import invites, records, runtime
from handlers.base import EVERYONE, Action, Command, Ctx, Identity, Step
from handlers.labels import ROLE
from handlers.refusals import STALE

# Each language named in itself, so that a reader finds their own whatever the current one.
LANGUAGES = {
    "zh_CN": Raw("简体中文"),
    "zh_TW": Raw("繁體中文"),
    "en": Raw("English"),
    "ru": Raw("Русский"),
}


def main_menu(ctx: Ctx) -> tuple[tuple[KeyButton, ...], ...]:
    keys = [KeyButton(lbl) for lbl in ctx.book.menu_for(ctx.who.role)]
    cuser = ctx.who.customer_user
    if ctx.who.staff is None and cuser is not None and cuser.customer_id is None:
        # Sharing one's own number links the chat to the customer record it belongs to.
        keys.append(KeyButton(T("📱 Share my phone number"), request_contact=True))
    return tuple(tuple(keys[i : i + 2]) for i in range(0, len(keys), 2))


def help_text(ctx: Ctx) -> Lines:
    lines = [T("What you can do here:")]
    for c in ctx.book.commands_for(ctx.who.role):
        lines.append(T("/{command} — {description}", command=c.name, description=c.description))
    return Lines(*lines)


INVITE_ANSWERS = {
    "unknown": T("This invitation link is not valid. Please ask for a new one."),
    "used": T("This invitation link has already been used. Please ask for a new one."),
    "expired": T("This invitation link has expired. Please ask for a new one."),
    "already_staff": T("You are already registered as staff; the link was not used."),
}


async def start(ctx: Ctx) -> Step:
    # "menu": the deep link a group's answer points to (bot.groups), not an invitation.
    if ctx.inbound.args and ctx.inbound.args.strip() != "menu":
        return await _redeem(ctx, ctx.inbound.args.strip())
    return _welcome(ctx)


async def _redeem(ctx: Ctx, token: str) -> Step:
    result = await invites.redeem(
        ctx.session,
        token,
        tg_user_id=ctx.inbound.user_id,
        username=ctx.inbound.username,
        locale=ctx.who.locale,
        tz=ctx.who.tz.key,
        now=ctx.now(),
    )
    if result.outcome == "staff" and result.staff is not None:
        staff = result.staff
        ctx.who = Identity(role=Role(staff.role), locale=staff.locale, tz=ctx.who.tz, staff=staff)
        await runtime.audit(
            ctx.session,
            actor_kind="staff",
            actor_id=staff.id,
            action="staff.join",
            entity="staff",
            entity_id=staff.id,
            changes={"role": staff.role},
            now=ctx.now(),
        )
        return _welcome(ctx)
    if result.outcome == "customer" and result.customer_user is not None:
        ctx.who.customer_user = result.customer_user
        customer = await records.customer(ctx.session, result.customer_user.customer_id)
        linked = T(
            "Your account is now linked to {customer}.", customer=customer.name if customer else ""
        )
        return Step.end(Reply(Lines(linked, help_text(ctx)), keyboard=main_menu(ctx)))
    return Step.end(Reply(INVITE_ANSWERS[result.outcome], keyboard=main_menu(ctx)))


def _welcome(ctx: Ctx) -> Step:
    if ctx.who.is_staff:
        greeting = T(
            "Hello, {name}! You are signed in as: {role}.",
            name=ctx.who.name,
            role=ROLE[ctx.who.role],
        )
    else:
        greeting = T(
            "Welcome! Send us an inquiry, a complaint, a suggestion or a fault report, "
            "and follow its progress here."
        )
    return Step.end(Reply(Lines(greeting, help_text(ctx)), keyboard=main_menu(ctx)))


async def show_help(ctx: Ctx) -> Step:
    return ctx.stay(Reply(help_text(ctx), keyboard=main_menu(ctx)))


async def cancel(ctx: Ctx) -> Step:
    """/cancel outside any flow (inside one the router discards the draft and names it)."""
    return Step.end(Reply(T("There is nothing to cancel."), keyboard=main_menu(ctx)))


async def language(ctx: Ctx) -> Step:
    buttons = tuple((Button(label, f"lang::{code}"),) for code, label in LANGUAGES.items())
    return ctx.stay(Reply(T("Choose your language:"), buttons=buttons))


async def set_language(ctx: Ctx) -> Step:
    code = ctx.choice or ""
    if code not in LANGUAGES:
        return ctx.stay(Reply(STALE))
    if ctx.who.staff is not None:
        ctx.who.staff.locale = code
    elif ctx.who.customer_user is not None:
        ctx.who.customer_user.locale = code
    ctx.who.locale = code
    return ctx.stay(Reply(T("Language set to English."), keyboard=main_menu(ctx)))


COMMANDS = [
    Command("start", EVERYONE, start, T("start and show the menu")),
    Command(
        "help", EVERYONE, show_help, T("show this help"), menu_label=T("❓ Help"), interrupts=False
    ),
    Command("cancel", EVERYONE, cancel, T("leave what you are doing")),
    Command(
        "lang",
        EVERYONE,
        language,
        T("change the language"),
        menu_label=T("🌐 Language"),
        interrupts=False,
    ),
]
ACTIONS = [Action("lang", EVERYONE, set_language)]
