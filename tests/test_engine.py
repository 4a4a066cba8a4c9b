"""The engine's promises: dedupe, per-user serialisation, rollback on error, /cancel everywhere."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.engine import Engine, EngineConfig
from bot.types import Inbound, Reply, T
from crm.clock import ManualClock
from crm.models import ConversationState, Customer, ProcessedUpdate
from handlers import build_router
from handlers.base import EVERYONE, Command, Ctx, Step
from tests.conftest import Transcript

REP1 = 1003
_ids = itertools.count(1)


def msg(text: str | None = None, user: int = REP1, update_id: int | None = None, **kw) -> Inbound:
    return Inbound(
        channel="test",
        update_id=update_id if update_id is not None else next(_ids),
        chat_id=user,
        user_id=user,
        text=text,
        **kw,
    )


async def count(app: App, model: type, *where) -> int:
    async with app.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def state_of(app: App, user: int) -> ConversationState | None:
    async with app.sessions() as s:
        return await s.scalar(select(ConversationState).where(ConversationState.user_id == user))


async def test_duplicate_update_is_processed_once(app: App, chat: Transcript) -> None:
    first = await app.engine.handle(msg("/visit", update_id=77))
    again = await app.engine.handle(msg("/visit", update_id=77))
    assert len(first) == 1
    assert again == []
    assert await count(app, ProcessedUpdate, ProcessedUpdate.update_id == 77) == 1
    state = await state_of(app, REP1)
    assert state is not None and state.version == 1


async def test_updates_of_one_user_are_serialised(app: App, clock: ManualClock) -> None:
    router = build_router()
    active = 0
    overlaps = 0
    order: list[str] = []

    async def slow(ctx: Ctx) -> Step:
        nonlocal active, overlaps
        active += 1
        overlaps += active > 1
        order.append(f"start {ctx.inbound.args}")
        await asyncio.sleep(0.05)
        order.append(f"end {ctx.inbound.args}")
        active -= 1
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))

    router.add(commands=[Command("slow", EVERYONE, slow, T("show this help"))])
    engine = Engine(app.sessions, router, clock, app.rules, _config(app))
    results = await asyncio.gather(*(engine.handle(msg(f"/slow {i}", user=555)) for i in range(5)))
    assert all(len(r) == 1 for r in results)
    assert overlaps == 0
    assert len(order) == 10
    assert all(order[i].split()[1] == order[i + 1].split()[1] for i in range(0, 10, 2))
    state = await state_of(app, 555)
    assert state is not None and state.version == 5


async def test_error_in_handler_rolls_back_and_tells_the_user(app: App, clock: ManualClock) -> None:
    router = build_router()

    async def broken(ctx: Ctx) -> Step:
        ctx.session.add(Customer(name="half-written", name_search="half-written"))
        await ctx.session.flush()
        raise RuntimeError("boom")

    router.add(commands=[Command("broken", EVERYONE, broken, T("show this help"))])
    engine = Engine(app.sessions, router, clock, app.rules, _config(app))
    before = await count(app, Customer)
    replies = await engine.handle(msg("/broken", user=556, language_code="en"))
    assert len(replies) == 1
    assert "nothing was saved" in replies[0].text and "ref " in replies[0].text
    assert await count(app, Customer) == before
    assert await count(app, Customer, Customer.name == "half-written") == 0
    # The failed update is not marked processed, so a redelivery is tried again.
    assert await count(app, ProcessedUpdate) == 0


def _config(app: App) -> EngineConfig:
    return EngineConfig(
        default_locale=app.settings.locale,
        default_tz=app.settings.tz,
        bot_username=app.settings.bot_username,
    )


FLOW_STEPS = [
    (flow.name, step, next(iter(sorted(flow.roles))))
    for flow in build_router().flows.values()
    for step in flow.steps
]


@pytest.mark.parametrize(("flow", "step", "role"), FLOW_STEPS)
async def test_cancel_leaves_every_flow_step(
    app: App, chat: Transcript, flow: str, step: str, role: str
) -> None:
    user = {"admin": 1001, "manager": 1002, "sales": 1003, "service": 1005, "customer": 2001}[role]
    async with app.sessions() as s, s.begin():
        s.add(
            ConversationState(
                channel="test",
                chat_id=user,
                user_id=user,
                flow=flow,
                step=step,
                data={"customer_id": 1, "customer_name": "x", "kind": "onsite"},
                version=0,
                updated_at=app.clock.now(),
            )
        )
    replies = await app.engine.handle(msg("/cancel", user=user))
    assert len(replies) == 1
    state = await state_of(app, user)
    assert state is not None and state.flow is None and state.step is None and state.data == {}


async def test_flood_limit_answers_once_then_drops(app: App) -> None:
    limit = app.rules.rate_limits.user_messages_per_minute
    send = [msg("/help", user=557, language_code="en") for _ in range(limit + 3)]
    replies = [await app.engine.handle(m) for m in send]
    assert all(len(r) == 1 and "What you can do" in r[0].text for r in replies[:limit])
    assert "too fast" in replies[limit][0].text
    assert replies[limit + 1] == [] and replies[limit + 2] == []
    # A minute later the user is heard again.
    app.clock.advance(timedelta(minutes=1))
    assert len(await app.engine.handle(msg("/help", user=557))) == 1


async def test_customers_are_served_in_private_chats_only(app: App, chat: Transcript) -> None:
    from crm.models import CustomerUser

    group = -100123
    replies = await app.engine.handle(msg("/start", user=777, chat_type="group"))
    assert replies == []
    async with app.sessions() as s:
        assert await s.scalar(select(CustomerUser).where(CustomerUser.tg_user_id == 777)) is None
    # Staff act in the queue group; the answer goes to the group.
    replies = await app.engine.handle(
        Inbound(
            channel="test",
            update_id=88001,
            chat_id=group,
            user_id=1005,
            text="/help",
            chat_type="supergroup",
        )
    )
    assert len(replies) == 1 and replies[0].chat_id == group


async def test_role_or_language_change_refreshes_the_menu(app: App, chat: Transcript) -> None:
    calls: list[tuple] = []

    async def record(chat_id: int, role: object, locale: str) -> None:
        calls.append((chat_id, str(role), locale))

    app.engine.on_identity_change = record
    await app.engine.handle(msg("/help", user=1003))
    assert calls == []
    await app.engine.handle(msg(None, user=1003, callback="lang::en"))
    assert calls == [(1003, "sales", "en")]


async def test_a_chat_that_blocked_the_bot_is_reachable_once_it_writes(app: App) -> None:
    from crm.models import UnreachableChat

    async with app.sessions() as s, s.begin():
        s.add_all([UnreachableChat(chat_id=REP1, reason="blocked"), UnreachableChat(chat_id=42)])
    await app.engine.handle(msg("/help"))
    assert await count(app, UnreachableChat, UnreachableChat.chat_id == REP1) == 0
    assert await count(app, UnreachableChat) == 1  # another chat's mark stays
    # A chat that writes and was never blocked writes nothing of the kind.
    await app.engine.handle(msg("/help"))
    assert await count(app, UnreachableChat) == 1
    # A group the bot ignores (a customer writing there) is reachable again too.
    async with app.sessions() as s, s.begin():
        s.add(UnreachableChat(chat_id=-100777))
    assert (
        await app.engine.handle(
            Inbound(
                channel="test",
                update_id=next(_ids),
                chat_id=-100777,
                user_id=777,
                text="hi",
                chat_type="group",
            )
        )
        == []
    )
    assert await count(app, UnreachableChat, UnreachableChat.chat_id == -100777) == 0
