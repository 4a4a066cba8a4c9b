"""Routing of one update: a button, a command, the current flow's step, or what idle input means.

The rules that keep what people type live here, once, for every flow:
- an input the current step does not take, a command or a menu button *interrupts*: the draft is
  parked (kept, with Resume and Discard) before the new thing runs, never dropped;
- Back, Cancel and "edit a field, then back to the card" are built in;
- a sub-flow is called and returns to its caller (the stack in the state row);
- a press on a step's button edits the message it was on; stale and refused presses are answered
  on the button (a toast or an alert), not as new chat messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import structlog
from pydantic import ValidationError

from bot.types import Reply, T, Text
from crm.enums import Role
from crm.limits import parse_id
from handlers.base import Action, Command, Ctx, Handler, Step, fits, may_run
from handlers.conversation import parking
from handlers.conversation.drafts import Draft, NoDraft
from handlers.conversation.flow import Flow, Input, State, inputs_of, strict_edges
from handlers.conversation.prompts import show_prompt, typed_choice
from handlers.conversation.states import States
from handlers.refusals import DENIED, STALE

log = structlog.get_logger("router")

Authoriser = Callable[[Ctx, int], Awaitable[bool]]

SEND_WORDS = T("Please answer with text or one of the buttons.")

# Button values every flow step understands.
BACK, CANCEL = "back", "cancel"


@dataclass
class _Snapshot:
    state: States
    data: Any
    stack: list[dict[str, Any]]


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

    def flow_of(self, state: States) -> Flow:
        return self.flows[state.flow]

    # The state row's JSON: {"d": draft, "s": stack, "m": message a press ended a flow on,
    # "o": drafts parked since the person was last offered them, "t": the draft's title}.

    def load(self, ctx: Ctx, flow: str | None, step: str | None, data: dict[str, Any]) -> None:
        ctx.state, ctx.data, ctx.stack = None, NoDraft(), []
        ctx.marks = {k: data[k] for k in ("m", "o") if k in data}
        f = self.flows.get(flow or "")
        state = f.state(step) if f is not None else None
        if f is None or state is None:
            return
        try:
            ctx.data = f.draft.load(data.get("d"))
        except (ValueError, ValidationError):
            # A draft from an older shape of the flow: kept for a person to see, not misread.
            log.warning("draft_unreadable", flow=flow, step=step)
            ctx.marks["unreadable"] = data
            return
        ctx.state, ctx.stack = state, list(data.get("s") or [])

    def dump(self, ctx: Ctx) -> tuple[str | None, str | None, dict[str, Any]]:
        marks = {k: v for k, v in ctx.marks.items() if k in ("m", "o") and v}
        if ctx.state is None:
            return None, None, marks
        flow = self.flow_of(ctx.state)
        return (
            ctx.state.flow,
            ctx.state.value,
            {
                **marks,
                "d": ctx.data.dump(),
                "s": ctx.stack,
                "t": ctx.render(flow.title(ctx.data))[:300],
            },
        )

    async def dispatch(self, ctx: Ctx, idle_for: timedelta | None = None) -> Step:
        notes: list[Reply] = []
        # Drafts parked by an earlier update are offered back once; this update's are not: its
        # own "kept as a draft" line already says so.
        offer = bool(ctx.marks.get("o"))
        if ctx.marks.get("unreadable") is not None:
            notes += await parking.park_unreadable(ctx, ctx.marks.pop("unreadable"))
        if (
            ctx.state is not None
            and idle_for is not None
            and idle_for > timedelta(hours=ctx.rules.drafts.idle_park_hours)
        ):
            # Yesterday's half-finished step must not swallow today's words: park it first.
            notes += await self._park(ctx, self._snapshot(ctx))
            self._go_idle(ctx)
        step = await self._route(ctx)
        step = await self._settle(ctx, step)
        step.replies[:0] = notes
        if offer and ctx.state is None and ctx.inbound.callback is None:
            step.replies += await parking.offer(ctx)
        return step

    async def _route(self, ctx: Ctx) -> Step:
        inbound = ctx.inbound
        if inbound.callback is not None:
            return await self._callback(ctx, inbound.callback)
        if inbound.command is not None:
            return await self._command(ctx, inbound.command)
        if inbound.text is not None:
            command = self._menu_command(ctx, inbound.text.strip())
            if command is not None:
                return await self._run_command(ctx, command)
        if ctx.state is not None:
            flow = self.flow_of(ctx.state)
            if may_run(ctx, flow.roles):
                got = inputs_of(inbound)
                decl = flow.steps[ctx.state]
                if not got:
                    return ctx.stay(Reply(SEND_WORDS))
                if got <= decl.accepts and (
                    decl.takes is None or Input.TEXT not in got or decl.takes(ctx)
                ):
                    return await self._step(ctx, decl)
                if got == {Input.TEXT} and Input.BUTTON in decl.accepts:
                    choice = await typed_choice(ctx, flow)
                    if choice is not None:
                        ctx.choice = choice
                        return await self._step(ctx, decl)
        # Outside a flow, or an input this step does not take: what it means to an idle user,
        # with the draft (if any) parked first.
        return await self._interrupt(ctx, self._fallback(ctx), keep=False)

    def _fallback(self, ctx: Ctx) -> Handler:
        if not may_run(ctx, frozenset({ctx.who.role})):
            return _refuse  # a staff role's fallback is a staff handler: no staff, no handler
        handler = self.fallback.get(ctx.who.role) or self.help
        assert handler is not None
        return handler

    def _menu_command(self, ctx: Ctx, text: str) -> Command | None:
        for c in self.commands_for(ctx.who.role):
            if c.menu_label is not None and ctx.render(c.menu_label) == text:
                return c
        return None

    async def _command(self, ctx: Ctx, name: str) -> Step:
        command = self.commands.get(name)
        if command is None or ctx.who.role not in command.roles:
            assert self.help is not None
            return await self._interrupt(ctx, self.help, keep=True)
        return await self._run_command(ctx, command)

    async def _run_command(self, ctx: Ctx, command: Command) -> Step:
        if not may_run(ctx, command.roles):
            return ctx.stay(Reply(DENIED))
        if command.name == "cancel":
            return await self._cancel(ctx, command)
        return await self._interrupt(ctx, command.handler, keep=not command.interrupts)

    async def _cancel(self, ctx: Ctx, command: Command) -> Step:
        """/cancel discards the flow the person is in, saying what it was; parked drafts stay."""
        if ctx.state is None:
            return await command.handler(ctx)
        gone = self._titles(ctx)
        self._go_idle(ctx)
        return Step.end(parking.discarded(gone, menu=True, ctx=ctx))

    def _titles(self, ctx: Ctx) -> list[Text]:
        """The current draft's title and those of the flows it was called from."""
        assert ctx.state is not None
        titles = [self.flow_of(ctx.state).title(ctx.data)]
        for frame in reversed(ctx.stack):
            flow = self.flows.get(frame["flow"])
            if flow is not None:
                try:
                    titles.append(flow.title(flow.draft.load(frame["d"])))
                except (ValueError, ValidationError):
                    continue
        return titles

    def _snapshot(self, ctx: Ctx) -> _Snapshot | None:
        if ctx.state is None:
            return None
        return _Snapshot(ctx.state, ctx.data, list(ctx.stack))

    def _go_idle(self, ctx: Ctx) -> None:
        ctx.state, ctx.data, ctx.stack = None, NoDraft(), []

    async def _interrupt(self, ctx: Ctx, handler: Handler, *, keep: bool) -> Step:
        """Runs something other than the current step. With `keep` the person stays where they
        were unless the handler moves them; either way a draft left behind is parked."""
        before = self._snapshot(ctx)
        if not keep:
            # The person leaves the flow whatever comes next: the draft is kept first, so what
            # runs now (/today) already lists it.
            parked = await self._park(ctx, before)
            self._go_idle(ctx)
            step = await handler(ctx)
            step.replies[:0] = parked
            return step
        step = await handler(ctx)
        if before is not None and (
            step.state is None
            or step.state.flow != before.state.flow
            or ctx.data is not before.data
            or step.returned
        ):
            step.replies[:0] = await self._park(ctx, before)
        return step

    async def _park(self, ctx: Ctx, snap: _Snapshot | None) -> list[Reply]:
        if snap is None:
            return []
        flow = self.flow_of(snap.state)
        data = snap.data if isinstance(snap.data, Draft) else flow.draft.model_validate(snap.data)
        if data.is_empty() and not snap.stack:
            return []
        return await parking.park(ctx, flow, snap.state, data, snap.stack)

    async def _callback(self, ctx: Ctx, payload: str) -> Step:
        if payload.startswith("~"):
            return await self._flow_press(ctx, payload[1:])
        name, _, rest = payload.partition(":")
        obj, _, arg = rest.partition(":")
        action = self.actions.get(name)
        if action is None:
            return ctx.stay(Reply(STALE, notice="toast"))
        if not may_run(ctx, action.roles):
            return ctx.stay(Reply(DENIED, notice="alert"))
        if action.obj_kind is not None:
            obj_id = parse_id(obj)
            if obj_id is None:
                return ctx.stay(Reply(STALE, notice="toast"))
            ctx.obj_id = obj_id
            if not await self.authorisers[action.obj_kind](ctx, obj_id):
                return ctx.stay(Reply(DENIED, notice="alert"))
        ctx.choice = arg or None
        return await self._interrupt(ctx, action.handler, keep=True)

    async def _flow_press(self, ctx: Ctx, pressed: str) -> Step:
        key, _, value = pressed.partition(":")
        state = ctx.state
        if state is None or key != state.key or not may_run(ctx, self.flow_of(state).roles):
            if ctx.inbound.callback_message_id is not None and ctx.marks.get("m") == (
                ctx.inbound.callback_message_id
            ):
                return ctx.stay()  # a second tap on the button that just finished: silence
            return ctx.stay(Reply(STALE, notice="toast"))
        flow = self.flow_of(state)
        decl = flow.steps[state]
        if value == BACK and ctx.data.returning and flow.card is not None:
            ctx.data.returning = False  # editing one field from the card: Back is the card
            return Step.go(flow.card)
        if value == BACK and decl.back is not None:
            return Step.go(decl.back)
        if value == CANCEL:
            if ctx.stack:
                return Step.ret(None, parking.discarded([flow.title(ctx.data)]))
            return Step.end(parking.discarded([flow.title(ctx.data)], menu=True, ctx=ctx))
        ctx.choice = value
        return await self._step(ctx, decl)

    async def _step(self, ctx: Ctx, decl: State) -> Step:
        """The current state's own handler: where it goes is an edge of the flow (checked)."""
        ctx.marks["from"] = ctx.state
        return await decl.handler(ctx)

    async def _settle(self, ctx: Ctx, step: Step) -> Step:
        """Carries out what a step asks of the flow machinery: return to a caller, call a
        sub-flow, type the draft, check the edge, show the prompt, edit the pressed message."""
        origin = ctx.marks.pop("from", None) if step.state is not None else None
        for _ in range(8):  # a return may end the caller too; never more than the stack
            if (step.returned or step.state is None) and ctx.stack and step.call is None:
                step = await self._return(ctx, step)
                continue
            break
        if step.state is not None and not fits(ctx, self.flow_of(step.state).roles):
            return ctx.stay(Reply(DENIED, notice="alert"))  # where it was: nothing is dropped
        if step.call is not None:
            assert step.state is not None
            if ctx.state is not None:
                ctx.stack.append(
                    {
                        "flow": ctx.state.flow,
                        "step": step.call.returns_to.value,
                        "d": ctx.data.dump()
                        if isinstance(ctx.data, Draft)
                        else self.flow_of(ctx.state).draft.model_validate(ctx.data).dump(),
                    }
                )
            ctx.data = step.call.draft
            origin = None
        if step.state is None:
            self._go_idle(ctx)
            if ctx.inbound.callback_message_id is not None:
                ctx.marks["m"] = ctx.inbound.callback_message_id
            return self._edit_pressed(ctx, step)
        flow = self.flow_of(step.state)
        if isinstance(ctx.data, dict):
            ctx.data = flow.draft.model_validate(ctx.data)
        elif not isinstance(ctx.data, flow.draft):
            ctx.data = flow.draft()
        if (
            origin is not None
            and origin.flow == step.state.flow
            and not flow.allows(origin, step.state)
        ):
            log.warning("flow_edge_undeclared", src=origin.key, dst=step.state.key)
            if strict_edges():
                raise AssertionError(f"undeclared edge {origin.key} -> {step.state.key}")
        ctx.state = step.state
        if step.prompt:
            prompt = flow.steps[step.state].prompt
            if prompt is not None:
                step.replies.append(await show_prompt(prompt, ctx))
        return self._edit_pressed(ctx, step)

    def _edit_pressed(self, ctx: Ctx, step: Step) -> Step:
        """A press on a flow's own button edits its message (the card becomes the next prompt,
        or what was saved); an action's button (on a card, a list, a reminder) leaves its
        message where it is. A reply keyboard or a file needs a new message."""
        if (ctx.inbound.callback or "").startswith("~") and step.replies:
            first = step.replies[0]
            if (
                first.notice is None
                and first.photo is None
                and first.document is None
                and first.keyboard is None
            ):
                step.replies[0] = replace(first, edit=True)
        return step

    async def _return(self, ctx: Ctx, step: Step) -> Step:
        frame = ctx.stack.pop()
        flow = self.flows[frame["flow"]]
        state = flow.state(frame["step"])
        assert state is not None
        if not fits(ctx, flow.roles):
            ctx.stack.clear()
            return Step.end(*step.replies, Reply(DENIED))
        ctx.state, ctx.data = state, flow.draft.load(frame["d"])
        on_return = flow.returns.get(state)
        result = step.result if step.returned else None
        if on_return is None:
            nxt = Step.go(state)
        else:
            nxt = await on_return(ctx, result)
        nxt.replies[:0] = step.replies
        return nxt


async def _refuse(ctx: Ctx) -> Step:
    return ctx.stay(Reply(DENIED))
