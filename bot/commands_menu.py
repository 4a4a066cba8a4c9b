"""Telegram's command menus (the "/" button) per role and language, built from the router's
commands; the adapters turn each `CommandMenu` into setMyCommands with its scope.

Everyone not otherwise set up sees the default scope: the customer menu in the company's locale,
and in each other supported locale for users whose Telegram speaks it. Each staff member gets
their role's menu, in their own locale, on the scope of their own chat. Menus are a convenience:
a server without setMyCommands, or one chat Telegram refuses, costs a warning, never the start.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import CommandMenu, MethodMissing, SendError, TelegramChannel
from bot.i18n import Renderer, default_menu_locales
from crm.enums import Role
from crm.models import Staff
from handlers.base import CommandBook

# What Telegram accepts as a command name and a description.
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
MAX_DESCRIPTION = 256

log = structlog.get_logger("commands_menu")


def commands(book: CommandBook, role: Role, locale: str) -> tuple[tuple[str, str], ...]:
    # Plain text: Telegram shows descriptions as they are, so nothing is HTML-escaped.
    render = Renderer(locale, ZoneInfo("UTC"), html=False)
    return tuple(
        (c.name, render(c.description)[:MAX_DESCRIPTION])
        for c in book.commands_for(role)
        if COMMAND_RE.fullmatch(c.name)
    )


def default_menus(book: CommandBook, default_locale: str) -> list[CommandMenu]:
    """The customer menu for everyone, and for each other language Telegram can tell apart.

    A locale left out (zh_TW beside zh_CN: both "zh") gets its menu per chat instead, at the
    customer's first message (see Engine.on_identity_change)."""
    menus = [CommandMenu(commands(book, Role.CUSTOMER, default_locale))]
    for code, locale in default_menu_locales(default_locale).items():
        if code is not None and locale != default_locale:
            menus.append(CommandMenu(commands(book, Role.CUSTOMER, locale), language_code=code))
    return menus


def user_menu(book: CommandBook, chat_id: int, role: Role, locale: str) -> CommandMenu:
    """One person's menu on their private chat (a Telegram user's id is their chat's id)."""
    return CommandMenu(commands(book, role, locale), chat_id=chat_id)


async def apply(channel: TelegramChannel, menus: Iterable[CommandMenu]) -> bool:
    """Sets each menu; False if the server has no setMyCommands (then nothing more is tried)."""
    for menu in menus:
        try:
            await channel.set_commands(menu)
        except MethodMissing as e:
            log.warning("commands_menu_unsupported", error=str(e))
            return False
        except SendError as e:
            # E.g. "chat not found": a staff member who has not opened the bot yet.
            log.warning("commands_menu_failed", chat_id=menu.chat_id, kind=e.kind, error=e.detail)
    return True


async def publish(
    channel: TelegramChannel,
    book: CommandBook,
    sessions: async_sessionmaker[AsyncSession],
    default_locale: str,
) -> bool:
    """At start: the default menus, then every active staff member's own."""
    async with sessions() as session:
        staff = list(
            await session.scalars(
                select(Staff)
                .where(Staff.active.is_(True), Staff.tg_user_id.is_not(None))
                .order_by(Staff.id)
            )
        )
    menus = default_menus(book, default_locale)
    menus += [user_menu(book, s.tg_user_id, Role(s.role), s.locale) for s in staff if s.tg_user_id]
    done = await apply(channel, menus)
    log.info("commands_menu_set", menus=len(menus), complete=done)
    return done


async def refresh_user(
    channel: TelegramChannel, book: CommandBook, chat_id: int, role: Role, locale: str
) -> bool:
    """After someone's role or language changed (joined as staff, /lang): their own menu."""
    return await apply(channel, [user_menu(book, chat_id, role, locale)])
