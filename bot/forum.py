"""The service team's desk in a forum supergroup (CRM_SERVICE_GROUP_ID): one topic per ticket.

Like the best Telegram support bots, each new ticket opens a topic named with its number,
customer and kind; what the customer sends (text, photos, documents) is copied in, and so are
answers given from the private-chat desk; the title's mark and the topic's icon follow the
ticket's status, and a resolved or closed ticket closes its topic (a reopened one reopens it).
What agents write in a topic is handled by handlers.forum (through the engine).

This side is a reconciliation, run every few seconds by the runtime: the database says what
each topic should show (crm.services.forum_topics), so nothing in the ticket flows has to call
Telegram, a restart loses nothing, and a failed call is simply tried again at the next pass.
"""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import SendError, TelegramChannel
from bot.i18n import Renderer
from bot.types import Lines, Media, Outgoing, T, Text
from crm.clock import Clock
from crm.enums import TicketStatus
from crm.models import Ticket, TicketMessage
from crm.services import forum_topics
from handlers.labels import TICKET_KIND

log = structlog.get_logger("forum")

SYNC_SECONDS = 2.0
# The status's mark in the title, and the topic icon (Telegram's own topic icons) that goes
# with it; a server without those icons still gets the title.
STATUS_MARK = {
    TicketStatus.NEW: "🆕",
    TicketStatus.IN_PROGRESS: "🔥",
    TicketStatus.RESOLVED: "✅",
    TicketStatus.CLOSED: "✅",
}
# createForumTopic's colours (Telegram accepts only these): new tickets blue.
NEW_TOPIC_COLOR = 7322096
TITLE_LIMIT = 128
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def title(ticket: Ticket, customer: str, render: Renderer) -> str:
    mark = STATUS_MARK.get(TicketStatus(ticket.status), "")
    kind = render(TICKET_KIND[ticket.kind]) if ticket.kind in TICKET_KIND else ticket.kind
    return f"{mark} {ticket.number} · {customer} · {kind}"[:TITLE_LIMIT]


class ForumDesk:
    def __init__(
        self,
        channel: TelegramChannel,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        chat_id: int,
        locale: str,
        tz: ZoneInfo,
    ) -> None:
        self.channel = channel
        self.sessions = sessions
        self.clock = clock
        self.chat_id = chat_id
        # The team's language: topics are shared by everyone in the group.
        self.render = Renderer(locale, tz)
        self._icons: dict[str, str] | None = None

    async def _icon(self, status: str) -> str | None:
        if self._icons is None:
            try:
                self._icons = await self.channel.topic_icons()
            except SendError:
                self._icons = {}
        return self._icons.get(STATUS_MARK.get(TicketStatus(status), ""))

    async def _post(self, thread_id: int, text: str) -> None:
        await self.channel.pacer.wait(self.chat_id)  # type: ignore[attr-defined]
        await self.channel.send(Outgoing(self.chat_id, text, thread_id=thread_id))

    async def sync(self) -> int:
        """One pass: topics for new tickets, then what each topic has yet to show. Returns how
        many topics were worked on."""
        worked = 0
        async with self.sessions() as session, session.begin():
            start = await forum_topics.since(session, self.chat_id, self.clock.now())
            for ticket in await forum_topics.without_topic(session, self.chat_id, start):
                if not await self._open(session, ticket):
                    break  # Telegram refused (not a forum, not an admin): try again later
                worked += 1
        async with self.sessions() as session, session.begin():
            for item in await forum_topics.pending(session, self.chat_id):
                try:
                    await self._catch_up(session, item)
                except SendError as e:
                    log.warning("forum_topic_failed", ticket_id=item.ticket.id, kind=e.kind)
                    continue
                worked += 1
        return worked

    async def _open(self, session: AsyncSession, ticket: Ticket) -> bool:
        who = await forum_topics.who(session, ticket)
        name = title(ticket, who.name, self.render)
        try:
            thread_id = await self.channel.create_topic(self.chat_id, name, NEW_TOPIC_COLOR)
        except SendError as e:
            log.warning("forum_topic_not_created", ticket_id=ticket.id, kind=e.kind)
            return False
        await forum_topics.add(session, ticket, self.chat_id, thread_id, self.clock.now())
        lines: list[Text] = [
            T("🆕 {kind} {number}", kind=TICKET_KIND[ticket.kind], number=ticket.number),
            T("Customer: {name}", name=who.name),
        ]
        if who.phone:
            lines.append(T("Phone: {phone}", phone=who.phone))
        lines.append(
            T(
                "Write here to answer the customer. /take, /transfer NAME, /resolve RESULT, "
                "/note TEXT (internal, not sent)."
            )
        )
        try:
            await self._post(thread_id, self.render(Lines(*lines)))
        except SendError as e:
            log.warning("forum_post_failed", ticket_id=ticket.id, kind=e.kind)
        log.info("forum_topic_opened", ticket_id=ticket.id, thread_id=thread_id)
        return True

    async def _catch_up(self, session: AsyncSession, item: forum_topics.Pending) -> None:
        topic, ticket = item.topic, item.ticket
        changed = topic.shown_status != ticket.status
        was_done = topic.shown_status in DONE
        if changed and was_done and ticket.status not in DONE:
            # Reopened: the topic opens again before anything new is posted in it.
            await self.channel.close_topic(self.chat_id, topic.thread_id, closed=False)
        for message in item.messages:
            await self._copy(topic.thread_id, message)
            topic.copied_upto = message.id
        if changed:
            who = await forum_topics.who(session, ticket)
            await self.channel.edit_topic(
                self.chat_id,
                topic.thread_id,
                title(ticket, who.name, self.render),
                await self._icon(ticket.status),
            )
            if ticket.status in DONE and not was_done:
                await self.channel.close_topic(self.chat_id, topic.thread_id)
            topic.shown_status = ticket.status

    async def _copy(self, thread_id: int, message: TicketMessage) -> None:
        """One ticket message into the topic: its words, then its files by their file ids."""
        mark = "👤" if message.author_kind == "customer" else "💬"
        if message.text:
            await self._post(thread_id, f"{mark} {html.escape(message.text, quote=False)}")
        for file_id in message.attachments or []:
            await self.channel.pacer.wait(self.chat_id)  # type: ignore[attr-defined]
            await self.channel.send_file(self.chat_id, file_id, caption=mark, thread_id=thread_id)
        for item in message.media or []:
            pin = Media.from_json(item)
            if pin.kind != "location" or pin.lat is None or pin.lon is None:
                continue
            # A pin has no file id to copy: its coordinates and address, as words.
            line = f"{mark} 📍 {pin.lat:.5f},{pin.lon:.5f}"
            if pin.place is not None:
                line += " — " + self.render.value(pin.place)
            await self._post(thread_id, line)
