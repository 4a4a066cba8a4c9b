"""Routing of one update to a command, a button action, the current flow step, or help."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bot.types import Reply, T, Text
from crm.enums import Role
from crm.limits import parse_id
from handlers.base import Action, Command, Ctx, Flow, Handler, Step

Authoriser = Callable[[Ctx, int], Awaitable[bool]]

STALE = T("This button is no longer valid. Nothing was changed.")
DENIED = T("That is not available to you. Nothing was changed.")


@dataclass
class Router:
    commands: dict[str, Command] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    authorisers: dict[str, Authoriser] = field(default_factory=dict)
    # What a role's input outside any flow means (free text, a location, a photo...).
    fallback: Mapping[Role, Handler] = field(default_factory=dict)
    help: Handler | None = None

    def add(
        self,
        *,
        commands: Iterable[Command] = (),
        actions: Iterable[Action] = (),
        flows: Iterable[Flow] = (),
    ) -> None:
        for c in commands:
            if c.name in self.commands:
                raise ValueError(f"command registered twice: {c.name}")
            self.commands[c.name] = c
        for a in actions:
            if a.name in self.actions:
                raise ValueError(f"action registered twice: {a.name}")
            self.actions[a.name] = a
        for f in flows:
            if f.name in self.flows:
                raise ValueError(f"flow registered twice: {f.name}")
            self.flows[f.name] = f

    def commands_for(self, role: Role) -> list[Command]:
        return [c for c in self.commands.values() if role in c.roles]

    def menu_for(self, role: Role) -> list[Text]:
        return [c.menu_label for c in self.commands_for(role) if c.menu_label is not None]

    async def dispatch(self, ctx: Ctx) -> Step:
        inbound = ctx.inbound
        if inbound.callback is not None:
            return await self._callback(ctx, inbound.callback)
        if inbound.command is not None:
            return await self._command(ctx, inbound.command)
        if inbound.text is not None:
            command = self._menu_command(ctx, inbound.text.strip())
            if command is not None:
                return await self._run_command(ctx, command)
        if ctx.flow is not None:
            handler = self._step_handler(ctx.flow, ctx.step)
            if handler is not None and ctx.who.role in self.flows[ctx.flow].roles:
                return await handler(ctx)
            ctx.flow = ctx.step = None
        fallback = self.fallback.get(ctx.who.role) or self.help
        assert fallback is not None
        return await fallback(ctx)

    def _step_handler(self, flow: str | None, step: str | None) -> Handler | None:
        f = self.flows.get(flow or "")
        return f.steps.get(step or "") if f else None

    def _menu_command(self, ctx: Ctx, text: str) -> Command | None:
        for c in self.commands_for(ctx.who.role):
            if c.menu_label is not None and ctx.render(c.menu_label) == text:
                return c
        return None

    async def _command(self, ctx: Ctx, name: str) -> Step:
        command = self.commands.get(name)
        if command is None or ctx.who.role not in command.roles:
            assert self.help is not None
            return await self.help(ctx)
        return await self._run_command(ctx, command)

    async def _run_command(self, ctx: Ctx, command: Command) -> Step:
        # A command leaves whatever flow the user was in.
        ctx.flow = ctx.step = None
        ctx.data = {}
        return await command.handler(ctx)

    async def _callback(self, ctx: Ctx, payload: str) -> Step:
        stay = ctx.stay()
        if payload.startswith("~"):
            state, _, value = payload[1:].partition(":")
            if state != f"{ctx.flow}.{ctx.step}":
                stay.replies.append(Reply(STALE))
                return stay
            handler = self._step_handler(ctx.flow, ctx.step)
            if handler is None or ctx.who.role not in self.flows[ctx.flow or ""].roles:
                stay.replies.append(Reply(STALE))
                return stay
            ctx.choice = value
            return await handler(ctx)
        name, _, rest = payload.partition(":")
        obj, _, arg = rest.partition(":")
        action = self.actions.get(name)
        if action is None:
            stay.replies.append(Reply(STALE))
            return stay
        if ctx.who.role not in action.roles:
            stay.replies.append(Reply(DENIED))
            return stay
        if action.obj_kind is not None:
            obj_id = parse_id(obj)
            if obj_id is None:
                stay.replies.append(Reply(STALE))
                return stay
            ctx.obj_id = obj_id
            if not await self.authorisers[action.obj_kind](ctx, ctx.obj_id):
                stay.replies.append(Reply(DENIED))
                return stay
        ctx.choice = arg or None
        return await action.handler(ctx)
