"""Live menus: every staff member's command menu and reply keyboard follow their account.

Whoever changes a role, deactivates or reactivates someone, or links or unlinks a Telegram
account (an admin in /staff, an import, the CLI, a migration) need not know about menus: the
bot compares each staff member's account with what their menu was last set for (kept in the
database, `menus.staff`) and, where they differ, sets their role's menu in their language, or
deletes it for a deactivated or unlinked account (Telegram then shows the default, customer
menu), and sends them one short message carrying the new keyboard (or removing it). It runs at
start-up and every few seconds (bot.runtime), and costs one query when nothing changed.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import MethodMissing, SendError, TelegramChannel
from bot.commands_menu import user_menu
from bot.i18n import Renderer
from bot.render import render_reply
from bot.types import KeyButton, Reply, T
from crm.clock import Clock
from crm.enums import Role
from crm.models import Staff
from crm.services import outbox, runtime
from handlers.labels import ROLE

log = structlog.get_logger("commands_menu")

KEY = "menus.staff"
SYNC_SECONDS = 10.0
OFF = "off"

REACTIVATED = T("Your staff account is active again.")
DEACTIVATED = T("Your staff account is deactivated. Please contact your manager or an admin.")


def _state(staff: Staff) -> str:
    return f"{staff.role}:{staff.locale}" if staff.active else OFF


def keyboard(book: Any, role: Role) -> tuple[tuple[KeyButton, ...], ...]:
    keys = [KeyButton(label) for label in book.menu_for(role)]
    return tuple(tuple(keys[i : i + 2]) for i in range(0, len(keys), 2))


def _notice(book: Any, staff: Staff, before: str) -> Reply | None:
    """The message that brings the keyboard along with the change (None: nothing to say)."""
    role = Role(staff.role)
    if not staff.active:
        return Reply(DEACTIVATED, remove_keyboard=True)
    if before == OFF:
        return Reply(REACTIVATED, keyboard=keyboard(book, role))
    if before.split(":", 1)[0] != staff.role:
        return Reply(
            T("Your role is now: {role}. Your menu has been updated.", role=ROLE[staff.role]),
            keyboard=keyboard(book, role),
        )
    return None  # a new language: the menu is enough (the /lang answer brought the keyboard)


async def sync(
    channel: TelegramChannel,
    book: Any,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    *,
    quiet: bool = False,
) -> int:
    """Brings every staff member's menu up to date; how many changed. `quiet` (the first run
    on a database that never had one) sets menus without messages."""
    async with sessions() as session:
        staff = list(await session.scalars(select(Staff).where(Staff.tg_user_id.is_not(None))))
        raw = await runtime.kv_get(session, KEY)
    stored: dict[str, str] = json.loads(raw) if raw else {}
    quiet = quiet or raw is None
    wanted = {str(s.tg_user_id): (s, _state(s)) for s in staff}
    changed: dict[str, str | None] = {}
    messages: list[tuple[int, Reply, Staff]] = []
    for key, (person, state) in wanted.items():
        before = stored.get(key)
        if before == state:
            continue
        chat_id = int(key)
        try:
            if person.active:
                await channel.set_commands(
                    user_menu(book, chat_id, Role(person.role), person.locale)
                )
            else:
                await channel.delete_commands(chat_id)
        except MethodMissing:
            return 0  # a server without menus: nothing to keep up to date
        except SendError as e:
            log.warning("menu_sync_failed", chat_id=chat_id, kind=e.kind)
            if e.kind in ("network", "retry_after"):
                continue  # tried again next time
        changed[key] = state
        if before is not None and not quiet:
            reply = _notice(book, person, before)
            if reply is not None:
                messages.append((chat_id, reply, person))
    for key in set(stored) - set(wanted):
        # Unlinked (or removed): their chat falls back to the default menu.
        try:
            await channel.delete_commands(int(key))
        except (MethodMissing, SendError):
            pass
        changed[key] = None
    if not changed:
        return 0
    async with sessions() as session, session.begin():
        raw = await runtime.kv_get(session, KEY)
        current: dict[str, str] = json.loads(raw) if raw else {}
        for key, state in changed.items():
            if state is None:
                current.pop(key, None)
            else:
                current[key] = state
        await runtime.kv_set(session, KEY, json.dumps(current, sort_keys=True))
        now = clock.now()
        for chat_id, reply, person in messages:
            out = render_reply(reply, Renderer(person.locale, ZoneInfo(person.timezone)), chat_id)
            await outbox.enqueue(
                session,
                chat_id=chat_id,
                payload=out.to_payload(),
                dedupe_key=f"menu:{chat_id}:{changed[str(chat_id)]}:{now.isoformat()}",
                due_at=now,
                priority=outbox.PRIORITY_RELAY,
            )
    log.info("menus_synced", changed=len(changed), messages=len(messages))
    return len(changed)
