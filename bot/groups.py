"""Groups get only what is meant for groups: no private menus or keyboards, no flows.

In the service team's forum group a ticket's topic is a desk (handlers.forum). Anywhere else a
staff member's command is answered with a deep link to the bot's private chat, where it works;
everything else in a group (chatter, customers) is left alone.
"""

from __future__ import annotations

from bot.types import Raw, Reply, T
from handlers.base import Ctx, Step
from handlers.forum import in_topic

# Deep links to a private chat (/start with this payload shows the menu).
START_PAYLOAD = "menu"


def private_link(bot_username: str) -> str:
    return f"https://t.me/{bot_username}?start={START_PAYLOAD}"


async def dispatch(ctx: Ctx, forum_chat_id: int | None) -> Step:
    inbound = ctx.inbound
    staff = ctx.who.staff
    if staff is None or not staff.active:
        return Step.end()
    if forum_chat_id is not None and inbound.chat_id == forum_chat_id and inbound.thread_id:
        return await in_topic(ctx)
    if inbound.command is None or inbound.callback is not None:
        return Step.end()
    link = Raw(private_link(ctx.bot_username))
    if inbound.command in ("start", "help"):
        return Step.end(Reply(T("I work in a private chat: {link}", link=link)))
    return Step.end(
        Reply(
            T(
                "/{command} works in a private chat with me: {link}",
                command=inbound.command,
                link=link,
            )
        )
    )
