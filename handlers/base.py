"""What a flow sees and returns. Flows speak neutral types only; the engine does the rest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.types import Button, Files, Inbound, KeyButton, Reply, T, Text
from crm.clock import Clock
from crm.enums import Role
from crm.models import CustomerUser, Staff
from crm.rules import Rules
from crm.services.rule_overrides import RuleBook


@dataclass
class Identity:
    role: Role
    locale: str
    tz: ZoneInfo
    staff: Staff | None = None
    customer_user: CustomerUser | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff is not None

    @property
    def name(self) -> str:
        if self.staff is not None:
            return self.staff.name
        if self.customer_user is not None:
            return self.customer_user.name or ""
        return ""


class Notifier(Protocol):
    """Queues a proactive message to someone else, rendered in their locale (the outbox)."""

    async def to_staff(
        self, staff: Staff, reply: Reply, *, dedupe_key: str, priority: int = 5
    ) -> None: ...

    async def to_customer(
        self, cuser: CustomerUser, reply: Reply, *, dedupe_key: str, priority: int = 5
    ) -> None: ...

    async def to_chat(
        self, chat_id: int, reply: Reply, *, locale: str, dedupe_key: str, priority: int = 5
    ) -> None: ...


class CommandBook(Protocol):
    """The assembled commands, for help texts and menus."""

    def commands_for(self, role: Role) -> list[Command]: ...

    def menu_for(self, role: Role) -> list[Text]: ...


@dataclass
class Ctx:
    session: AsyncSession
    who: Identity
    inbound: Inbound
    clock: Clock
    rules: Rules
    notify: Notifier
    render: Callable[[Text], str]
    book: CommandBook
    # The channel's file download (None where the channel has none: then no file can be read).
    files: Files | None = None
    # Where `rules` comes from, for the flow that changes them (/rules).
    rulebook: RuleBook | None = None
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # For a flow button ("~flow.step:value") the value; for an action ("name:id:arg") the arg.
    choice: str | None = None
    obj_id: int | None = None
    bot_username: str = "crm_bot"
    default_locale: str = "zh_CN"

    def now(self) -> datetime:
        return self.clock.now()

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.who.tz)

    def stay(self, *replies: Reply) -> Step:
        """Replies without leaving the flow the user is in (for buttons outside it)."""
        return Step(list(replies), f"{self.flow}.{self.step}" if self.flow else None)


IDLE = None


@dataclass
class Step:
    """A handler's result: the replies and where the conversation goes next.

    `state` is "flow.step" to be in a flow, or None to be idle.
    """

    replies: list[Reply]
    state: str | None = IDLE

    @classmethod
    def end(cls, *replies: Reply) -> Step:
        return cls(list(replies), None)

    @classmethod
    def to(cls, state: str, *replies: Reply) -> Step:
        return cls(list(replies), state)


Handler = Callable[[Ctx], Awaitable[Step]]


@dataclass(frozen=True)
class Flow:
    """A conversation flow: its transition table maps each step to the handler of input there."""

    name: str
    roles: frozenset[Role]
    steps: Mapping[str, Handler]


@dataclass(frozen=True)
class Command:
    name: str
    roles: frozenset[Role]
    handler: Handler
    description: Text
    # Label of the reply-keyboard button that stands for this command, if any.
    menu_label: Text | None = None


@dataclass(frozen=True)
class Action:
    """An inline-button action outside flows: payload "name:obj_id[:arg]".

    `obj_kind` names what obj_id refers to, so the engine re-authorises before the handler runs.
    """

    name: str
    roles: frozenset[Role]
    handler: Handler
    obj_kind: str | None = None


def flow_button(label: Text, state: str, value: str = "") -> Button:
    return Button(label, f"~{state}:{value}")


def rows(*buttons: Button, width: int = 2) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def keyboard(*labels: Text, width: int = 2) -> tuple[tuple[KeyButton, ...], ...]:
    keys = [KeyButton(label) for label in labels]
    return tuple(tuple(keys[i : i + width]) for i in range(0, len(keys), width))


STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.SERVICE})
FIELD = frozenset({Role.ADMIN, Role.MANAGER, Role.SALES})
LEADS = frozenset({Role.ADMIN, Role.MANAGER})
ADMINS = frozenset({Role.ADMIN})
CUSTOMER = frozenset({Role.CUSTOMER})
EVERYONE = frozenset(Role)


def is_admin(ctx: Ctx) -> bool:
    """Re-checked by admin-only steps: the role may have changed since the flow began."""
    staff = ctx.who.staff
    return staff is not None and staff.active and staff.role == Role.ADMIN


def typed_text(ctx: Ctx, limit: int, when_empty: Text) -> tuple[str, Step | None]:
    """The user's text, or the step that refuses it (no text, e.g. a photo; or too long)."""
    text = (ctx.inbound.text or "").strip()
    if not text:
        return "", ctx.stay(Reply(when_empty))
    if len(text) > limit:
        refusal = T("That is longer than {max} characters; please shorten it.", max=limit)
        return "", ctx.stay(Reply(refusal))
    return text, None
