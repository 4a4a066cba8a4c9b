"""The bot's own Telegram username, for the deep links in invites.

Telegram knows it (getMe); an operator should not have to repeat it. The channel reports it at
each start-up, it is kept in the database (`telegram.bot_username`), and whoever makes a link
without reaching Telegram (`crm-bot invite`) uses the last one seen. `CRM_BOT_USERNAME` still
overrides it, e.g. to make links for a bot that never ran against this database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from crm.services import runtime

KEY = "telegram.bot_username"
log = structlog.get_logger("telegram")
# Where nothing is known yet (the console demo, a database no bot has run against).
PLACEHOLDER = "crm_bot"


@dataclass(frozen=True)
class Seen:
    username: str
    at: datetime


async def remember(session: AsyncSession, username: str, now: datetime) -> None:
    await runtime.kv_set(session, KEY, json.dumps({"username": username, "at": now.isoformat()}))


async def last_seen(session: AsyncSession) -> Seen | None:
    raw = await runtime.kv_get(session, KEY)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return Seen(str(data["username"]), datetime.fromisoformat(data["at"]))
    except (ValueError, KeyError, TypeError):
        return None


def link(username: str, token: str) -> str:
    return f"https://t.me/{username}?start={token}"


class Tracker:
    """Keeps the engine's username (for links flows make) on what Telegram says, and stores it;
    an override (CRM_BOT_USERNAME) stays, with a warning when Telegram names another bot."""

    def __init__(self, sessions: Any, engine: Any, clock: Any, override: str | None) -> None:
        self._sessions = sessions
        self._engine = engine
        self._clock = clock
        self._override = override

    async def load(self) -> None:
        """At start-up, before Telegram answers: the last name seen."""
        if self._override:
            return
        async with self._sessions() as session:
            seen = await last_seen(session)
        if seen is not None:
            self._engine.bot_username = seen.username

    async def seen(self, username: str) -> None:
        if self._override and self._override.lower() != username.lower():
            log.warning("bot_username_override_differs", override=self._override, telegram=username)
        if not self._override:
            self._engine.bot_username = username
        async with self._sessions() as session, session.begin():
            await remember(session, username, self._clock.now())
