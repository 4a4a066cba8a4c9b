"""A state's prompt as a Reply, and typed words that name one of its buttons."""

from __future__ import annotations

import inspect
from typing import Any

from bot.types import Reply
from handlers.base import Ctx
from handlers.conversation.flow import Flow


async def show_prompt(prompt: Any, ctx: Ctx) -> Reply:
    reply = prompt(ctx)
    return await reply if inspect.isawaitable(reply) else reply


def _norm(text: str) -> str:
    """Lower case, without spaces, punctuation or emoji: how a typed word meets a label."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


async def typed_choice(ctx: Ctx, flow: Flow) -> str | None:
    """Typed words that name one of the step's buttons count as pressing it."""
    assert ctx.state is not None
    decl = flow.steps[ctx.state]
    if decl.prompt is None:
        return None
    typed = _norm(ctx.inbound.text or "")
    if not typed:
        return None
    prefix = f"~{ctx.state.key}:"
    found: list[str] = []
    for row in (await show_prompt(decl.prompt, ctx)).buttons:
        for b in row:
            if not b.payload.startswith(prefix):
                continue
            label = _norm(ctx.render(b.label))
            if label == typed:
                return b.payload[len(prefix) :]
            if len(typed) >= 2 and typed in label:
                found.append(b.payload[len(prefix) :])
    return found[0] if len(found) == 1 else None
