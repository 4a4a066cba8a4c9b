"""Entry, help, menus, language and /cancel: what every role has."""

from __future__ import annotations

from bot.types import Button, KeyButton, Lines, Raw, Reply, T
from handlers.base import EVERYONE, Action, Command, Ctx, Step
from handlers.labels import ROLE

LANGUAGES = {"zh_CN": Raw("简体中文"), "en": Raw("English")}


def main_menu(ctx: Ctx) -> tuple[tuple[KeyButton, ...], ...]:
    keys = [KeyButton(lbl) for lbl in ctx.book.menu_for(ctx.who.role)]
    return tuple(tuple(keys[i : i + 2]) for i in range(0, len(keys), 2))


def help_text(ctx: Ctx) -> Lines:
    lines = [T("What you can do here:")]
    for c in ctx.book.commands_for(ctx.who.role):
        lines.append(T("/{command} — {description}", command=c.name, description=c.description))
    return Lines(*lines)


async def start(ctx: Ctx) -> Step:
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
    return Step.end(Reply(T("Cancelled. Nothing was saved."), keyboard=main_menu(ctx)))


async def language(ctx: Ctx) -> Step:
    buttons = tuple((Button(label, f"lang::{code}"),) for code, label in LANGUAGES.items())
    return Step.end(Reply(T("Choose your language:"), buttons=buttons))


async def set_language(ctx: Ctx) -> Step:
    code = ctx.choice or ""
    if code not in LANGUAGES:
        return ctx.stay(Reply(T("This button is no longer valid. Nothing was changed.")))
    if ctx.who.staff is not None:
        ctx.who.staff.locale = code
    elif ctx.who.customer_user is not None:
        ctx.who.customer_user.locale = code
    ctx.who.locale = code
    return ctx.stay(Reply(T("Language set to English."), keyboard=main_menu(ctx)))


COMMANDS = [
    Command("start", EVERYONE, start, T("start and show the menu")),
    Command("help", EVERYONE, show_help, T("show this help"), menu_label=T("❓ Help")),
    Command("cancel", EVERYONE, cancel, T("leave what you are doing")),
    Command("lang", EVERYONE, language, T("change the language"), menu_label=T("🌐 Language")),
]
ACTIONS = [Action("lang", EVERYONE, set_language)]
