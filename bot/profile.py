"""What a new user sees before pressing Start: the bot's description and short description in
each language, and the commands menu button. Set at start-up; a convenience, so a server that
lacks the methods costs a warning."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import structlog

from bot.channels.base import MethodMissing, SendError, TelegramChannel
from bot.i18n import Renderer, default_menu_locales
from bot.types import T

log = structlog.get_logger("commands_menu")

DESCRIPTION = T(
    "A CRM in your chat: customers send requests, complaints and fault reports and follow "
    "them here; the company's staff register visits, follow-ups and answer requests. "
    "Press Start to begin."
)
SHORT = T("Requests, service and follow-ups, right in Telegram.")


def texts(locale: str) -> tuple[str, str]:
    render = Renderer(locale, ZoneInfo("UTC"), html=False)
    return render(DESCRIPTION)[:512], render(SHORT)[:120]


async def publish(channel: TelegramChannel, default_locale: str) -> bool:
    """Descriptions for everyone (the company's language) and per language code Telegram can
    tell apart (as the menus: bot.i18n.default_menu_locales), then the menu button."""
    try:
        for code, locale in default_menu_locales(default_locale).items():
            if code is not None and locale == default_locale:
                continue  # the default already says it
            await channel.set_profile(*texts(locale), language_code=code)
        await channel.set_menu_button()
    except MethodMissing as e:
        log.warning("bot_profile_unsupported", error=str(e))
        return False
    except SendError as e:
        log.warning("bot_profile_failed", kind=e.kind, error=e.detail)
        return False
    return True
