"""What every channel offers the runtime and the engine offers a channel: the ports between
them (bot.channels.base re-exports them, with the pieces both Telegram adapters share)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.types import MAX_DOWNLOAD_BYTES, Inbound, Outgoing

if TYPE_CHECKING:
    from bot.webhook import WebhookServer


@dataclass(frozen=True)
class CommandMenu:
    """One setMyCommands call: the commands shown to a chat, or to everyone in a language.

    `chat_id` None is Telegram's default scope; `language_code` (ISO 639-1) only applies there.
    """

    commands: tuple[tuple[str, str], ...]  # (command without "/", description)
    chat_id: int | None = None
    language_code: str | None = None


class Handles(Protocol):
    """The engine, as a channel sees it."""

    async def handle(self, inbound: Inbound) -> list[Outgoing]: ...

    async def replied(self, journal_id: int, error: str | None) -> None:
        """A journaled reply (`Outgoing.journal_id`) was sent (`error` None) or refused."""

    # Optional, looked up with getattr (test doubles may lack them):
    # async def defer(self, out: Outgoing, seconds: float) -> None
    #     a reply Telegram asked to hold for `seconds` (a 429): sent later by the outbox.
    # async def chat_member(self, chat_id: int, blocked: bool) -> None
    #     my_chat_member: the chat blocked the bot (or removed it), or allowed it again.


class Channel(Protocol):
    name: str

    async def send(self, out: Outgoing) -> None:
        """Sends one message; raises SendError on failure."""


class TelegramChannel(Channel, Protocol):
    """What `bot.runtime` needs of a Telegram adapter (aiogram or python-telegram-bot)."""

    # Told the bot's username when getMe answers at start-up (bot.identity).
    on_username: Callable[[str], Awaitable[object]] | None

    async def poll(self, engine: Handles, stop: asyncio.Event) -> None:
        """Receives updates by long polling until `stop`; returns once in-flight ones are done."""

    async def webhook(self, engine: Handles, stop: asyncio.Event, server: WebhookServer) -> None:
        """Receives updates through `server` (and sets the webhook) until `stop`."""

    async def set_commands(self, menu: CommandMenu) -> None:
        """setMyCommands; raises MethodMissing on a 404, SendError otherwise."""

    async def delete_commands(self, chat_id: int) -> None:
        """deleteMyCommands for one chat: it sees the default menu again."""

    async def set_profile(self, description: str, short: str, language_code: str | None) -> None:
        """setMyDescription and setMyShortDescription (what a new user sees before Start)."""

    async def set_menu_button(self) -> None:
        """setChatMenuButton: the commands menu button, for every private chat."""

    async def chat_action(self, chat_id: int, action: str) -> None:
        """sendChatAction ("typing", "upload_document"...)."""

    async def create_topic(self, chat_id: int, name: str, icon_color: int | None = None) -> int:
        """createForumTopic; its message_thread_id."""

    async def edit_topic(
        self, chat_id: int, thread_id: int, name: str, icon: str | None = None
    ) -> None:
        """editForumTopic: a new title and (a custom emoji id) icon."""

    async def close_topic(self, chat_id: int, thread_id: int, closed: bool = True) -> None:
        """closeForumTopic (or reopenForumTopic with `closed` False)."""

    async def topic_icons(self) -> dict[str, str]:
        """getForumTopicIconStickers: emoji -> custom emoji id usable as a topic's icon."""

    async def send_file(
        self, chat_id: int, file_id: str, caption: str | None = None, thread_id: int | None = None
    ) -> None:
        """A file a user sent, again by its file id (a photo, else as a document)."""

    async def download(self, file_id: str, limit: int = MAX_DOWNLOAD_BYTES) -> bytes:
        """A file a user sent (bot.types.Files): FileTooLarge over `limit`, else
        FileUnavailable when it cannot be fetched."""

    async def ping(self) -> None:
        """getMe, for the health check; raises if Telegram does not answer or refuses us."""

    async def close(self) -> None: ...
