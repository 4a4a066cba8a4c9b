"""What a flow sees and returns. Flows speak neutral types only; the engine does the rest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
from handlers.conversation.drafts import Draft, NoDraft
from handlers.conversation.states import States


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
    # Where the conversation is: a flow's state, or None when idle.
    state: States | None = None
    # The flow's typed draft. A handler that starts a flow may assign a plain dict: the router
    # validates it into the flow's draft class when the step is taken.
    data: Any = field(default_factory=NoDraft)
    # Sub-flows' callers, innermost last: (flow, state to come back to, draft) as JSON.
    stack: list[dict[str, Any]] = field(default_factory=list)
    # The router's notes kept in the state row beside the draft (see Router.load).
    marks: dict[str, Any] = field(default_factory=dict)
    # For a flow button ("~flow.step:value") the value; for an action ("name:id:arg") the arg.
    choice: str | None = None
    obj_id: int | None = None
    bot_username: str = "crm_bot"
    default_locale: str = "zh_CN"

    @property
    def flow(self) -> str | None:
        return self.state.flow if self.state is not None else None

    @property
    def step(self) -> str | None:
        return self.state.value if self.state is not None else None

    def now(self) -> datetime:
        return self.clock.now()

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.who.tz)

    def stay(self, *replies: Reply) -> Step:
        """Replies without leaving the flow the user is in (for buttons outside it)."""
        return Step(list(replies), self.state)


class StaffCtx(Ctx):
    """A context whose user is staff: what staff-only handlers are given. The engine builds
    one for every staff member and the router runs a staff-only command, action or flow only
    with one (`may_run`), so such a handler takes `ctx: StaffCtx` and reads `ctx.me`."""

    @property
    def me(self) -> Staff:
        staff = self.who.staff
        if staff is None:  # pragma: no cover - the router gives staff handlers staff only
            raise PermissionError("not staff")
        return staff


IDLE = None


@dataclass(frozen=True)
class Call:
    """A sub-flow called from a state: where to come back, and the callee's first draft."""

    draft: Draft
    returns_to: States


@dataclass
class Step:
    """A handler's result: the replies and where the conversation goes next.

    `state` is a flow's state, or None to be idle. With `prompt` the state's declared prompt
    follows the replies. `call` enters a sub-flow that comes back with `Step.ret`.
    """

    replies: list[Reply]
    state: States | None = IDLE
    prompt: bool = False
    call: Call | None = None
    returned: bool = False
    result: Any = None

    @classmethod
    def end(cls, *replies: Reply) -> Step:
        return cls(list(replies), None)

    @classmethod
    def to(cls, state: States, *replies: Reply) -> Step:
        """To `state`, with these replies only (the handler wrote the prompt itself)."""
        if not isinstance(state, States):
            raise TypeError(f"Step.to takes a flow's state, not {state!r}")
        return cls(list(replies), state)

    @classmethod
    def go(cls, state: States, *before: Reply) -> Step:
        """To `state`: these replies, then the state's declared prompt."""
        if not isinstance(state, States):
            raise TypeError(f"Step.go takes a flow's state, not {state!r}")
        return cls(list(before), state, prompt=True)

    @classmethod
    def sub(
        cls, state: States, draft: Draft, *, returns_to: States, before: tuple[Reply, ...] = ()
    ) -> Step:
        """Calls another flow at `state`; its `Step.ret` comes back to `returns_to`."""
        return cls(list(before), state, prompt=True, call=Call(draft, returns_to))

    @classmethod
    def ret(cls, result: Any, *replies: Reply) -> Step:
        """Ends a flow with a result: its caller (if it was called) goes on with it."""
        return cls(list(replies), None, returned=True, result=result)


Handler = Callable[[Ctx], Awaitable[Step]]


@dataclass(frozen=True)
class Command:
    name: str
    roles: frozenset[Role]
    handler: Handler
    description: Text
    # Label of the reply-keyboard button that stands for this command, if any.
    menu_label: Text | None = None
    # A command that leaves the user where they were (help, language) does not park a draft.
    interrupts: bool = True


@dataclass(frozen=True)
class Action:
    """An inline-button action outside flows: payload "name:obj_id[:arg]".

    `obj_kind` names what obj_id refers to, so the engine re-authorises before the handler runs.
    """

    name: str
    roles: frozenset[Role]
    handler: Handler
    obj_kind: str | None = None


def flow_button(label: Text, state: States, value: str = "") -> Button:
    return Button(label, f"~{state.key}:{value}")


def excerpt(text: str | None, limit: int = 30) -> str:
    """A user's words cut to `limit` characters for a title or a list line, marked "…"."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def staff_only(roles: frozenset[Role]) -> bool:
    """Whether a command, action or flow open to these roles is for staff only."""
    return roles <= STAFF


def fits(ctx: Ctx, roles: frozenset[Role]) -> bool:
    """Whether this context is the kind a handler open to `roles` is written for: a
    staff-only handler (typed for `StaffCtx`) gets one with a staff member in it, so that it
    never has to assert one."""
    return not staff_only(roles) or (isinstance(ctx, StaffCtx) and ctx.who.staff is not None)


def may_run(ctx: Ctx, roles: frozenset[Role]) -> bool:
    """Whether a handler open to `roles` may run for this context: the role is among them,
    and the context fits it."""
    return ctx.who.role in roles and fits(ctx, roles)


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
