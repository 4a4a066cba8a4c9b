"""A flow's declaration: per state its prompt, the inputs it takes, its handler and its edges."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.types import Inbound, Reply, Text
from crm.enums import Role
from handlers.conversation.drafts import Draft
from handlers.conversation.states import States

if TYPE_CHECKING:
    from handlers.base import Ctx, Step

    Handler = Callable[[Ctx], Awaitable[Step]]
    Prompt = Callable[[Ctx], Reply | Awaitable[Reply]]
    OnReturn = Callable[[Ctx, Any], Awaitable[Step]]


class Input(StrEnum):
    """What a user can send at a step."""

    TEXT = "text"
    BUTTON = "button"
    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"
    LOCATION = "location"
    CONTACT = "contact"


TEXT = frozenset({Input.TEXT, Input.BUTTON})
BUTTONS = frozenset({Input.BUTTON})
FILES = frozenset({Input.PHOTO, Input.DOCUMENT})


def short_answer(ctx: Ctx) -> bool:
    """For a step that asks for a name, a phone or a search: a sentence is not such an answer
    ("visited Acme, met Tom, they want a quote" typed at a search box is a report, not a query),
    so it interrupts and is read as a message of its own instead of being consumed."""
    text = (ctx.inbound.text or "").strip()
    clauses = sum(text.count(c) for c in ",，。;；!！?？\n")
    return len(text) <= 60 and clauses <= 1


def inputs_of(inbound: Inbound) -> frozenset[Input]:
    """The kinds of input in one update (a photo with a caption is a photo and a text)."""
    got: set[Input] = set()
    if inbound.callback is not None:
        return frozenset({Input.BUTTON})
    if inbound.contact_phone is not None:
        got.add(Input.CONTACT)
    if inbound.location is not None:
        got.add(Input.LOCATION)
    if inbound.photo_ids:
        got.add(Input.PHOTO)
    if inbound.document_id:
        got.add(Input.DOCUMENT)
    if inbound.voice_id:
        got.add(Input.VOICE)
    if inbound.text is not None and inbound.text.strip():
        got.add(Input.TEXT)
    return frozenset(got)


@dataclass(frozen=True)
class State:
    """One state of a flow.

    `prompt` is what the user sees on entering it (and on resuming a parked draft there);
    `accepts` the inputs its handler takes (anything else interrupts: the draft is parked and
    the input handled as if the user were idle); `to` the other states it may go to (checked);
    `back` where the built-in Back goes; `calls` the sub-flows it may call; `ends` whether it
    may end the flow.
    """

    handler: Handler
    prompt: Prompt | None = None
    accepts: frozenset[Input] = TEXT
    to: tuple[States, ...] = ()
    back: States | None = None
    calls: tuple[States, ...] = ()
    ends: bool = True
    # For a step that takes text: whether this text answers it. A text that does not (a whole
    # new visit report typed where a customer's name was asked) interrupts instead.
    takes: Callable[[Ctx], bool] | None = None


@dataclass(frozen=True)
class Flow:
    """A conversation flow, declared: its states, who may be in it, its draft and its title."""

    states: type[States]
    roles: frozenset[Role]
    steps: Mapping[States, State]
    draft: type[Draft]
    # One line naming the draft, for "kept as a draft" and the list of parked drafts.
    title: Callable[[Any], Text]
    # Where each sub-flow call comes back to: the calling state → what to do with the result.
    returns: Mapping[States, OnReturn] = field(default_factory=dict)
    # The card the flow's "edit a field" returns to.
    card: States | None = None
    # Entry edges for the diagram: (label, first state).
    entries: tuple[tuple[str, States], ...] = ()

    def __post_init__(self) -> None:
        missing = [s for s in self.states if s not in self.steps]
        if missing:
            raise ValueError(f"flow {self.name}: no declaration for {missing}")
        for s, decl in self.steps.items():
            if not isinstance(s, self.states):
                raise ValueError(f"flow {self.name}: {s!r} is not one of its states")
            for target in (*decl.to, *((decl.back,) if decl.back else ())):
                if not isinstance(target, self.states):
                    raise ValueError(f"flow {self.name}: {s} goes to another flow's {target!r}")

    @property
    def name(self) -> str:
        return self.states._flow_name

    def state(self, step: str | None) -> States | None:
        try:
            return self.states(step) if step is not None else None
        except ValueError:
            return None

    def allows(self, src: States, dst: States) -> bool:
        decl = self.steps[src]
        return dst == src or dst in decl.to or dst == decl.back or dst == self.card


def strict_edges() -> bool:
    """Undeclared edges raise in the test suite and are logged in production (the router)."""
    return "PYTEST_CURRENT_TEST" in os.environ
