"""Per inbound update: dedupe, lock the user, load who and where they are, route, commit, reply."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import flag_modified

from bot.guards import FloodGuard, KeyedLocks
from bot.i18n import Renderer, pick_locale
from bot.notify import OutboxNotifier
from bot.render import render_reply
from bot.types import Inbound, Outgoing, Reply, T
from crm.clock import Clock
from crm.db import unavailable
from crm.enums import Role
from crm.models import CustomerUser, Staff
from crm.rules import Rules
from crm.services import outbox, runtime
from handlers.base import Ctx, Identity
from handlers.router import Router

log = structlog.get_logger("engine")

STATE_TTL = timedelta(days=14)

FLOOD = T("You are sending messages too fast. Please wait a minute and try again.")
DEACTIVATED = T("Your staff account is deactivated. Please contact your manager or an admin.")


@dataclass
class EngineConfig:
    default_locale: str
    default_tz: ZoneInfo
    bot_username: str


class Engine:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        router: Router,
        clock: Clock,
        rules: Rules,
        config: EngineConfig,
    ) -> None:
        self._sessions = sessionmaker
        self._router = router
        self._clock = clock
        self._rules = rules
        self._config = config
        self._locks = KeyedLocks()
        self._flood = FloodGuard(rules.rate_limits.user_messages_per_minute)
        # Set by the runtime when a channel can show per-user command menus.
        self.on_identity_change: Callable[[int, Role, str], Awaitable[object]] | None = None

    async def handle(self, inbound: Inbound) -> list[Outgoing]:
        guess = Renderer(
            pick_locale(inbound.language_code, self._config.default_locale), self._config.default_tz
        )
        verdict = self._flood.check(inbound.user_id, self._clock.now())
        if verdict != "ok":
            return [render_reply(Reply(FLOOD), guess, inbound.chat_id)] if verdict == "warn" else []
        key = (inbound.channel, inbound.chat_id, inbound.user_id)
        async with self._locks.hold(key):
            try:
                outs, changed = await self._handle_locked(inbound)
            except Exception as exc:
                ref = secrets.token_hex(4)
                where = dict(
                    ref=ref, channel=inbound.channel, update_id=inbound.update_id, kind=inbound.kind
                )
                if unavailable(exc):
                    # The database is away (or locked): the transaction is gone with it, nothing
                    # was saved, and the update is not marked processed - the user may resend.
                    # The user's language is Telegram's guess: their row cannot be read now.
                    log.warning("database_unavailable", **where, error=_brief(exc))
                    return [render_reply(Reply(_busy(ref)), guess, inbound.chat_id)]
                log.exception("update_failed", **where)
                return [render_reply(Reply(_error(ref)), guess, inbound.chat_id)]
        if changed is not None and self.on_identity_change is not None:
            # After the commit: the user's command menu follows a new role or language.
            try:
                await self.on_identity_change(inbound.chat_id, *changed)
            except Exception:
                log.warning("menu_refresh_failed", chat_id=inbound.chat_id, exc_info=True)
        return outs

    async def _handle_locked(
        self, inbound: Inbound
    ) -> tuple[list[Outgoing], tuple[Role, str] | None]:
        async with self._sessions() as session, session.begin():
            now = self._clock.now()
            if not await runtime.mark_processed(session, inbound.channel, inbound.update_id, now):
                log.info("update_duplicate", channel=inbound.channel, update_id=inbound.update_id)
                return [], None
            # Writing again means the chat is reachable again, if it had blocked the bot.
            await outbox.clear_unreachable(session, inbound.chat_id)
            if inbound.chat_type != "private" and not await self._is_staff(session, inbound):
                # Customers are served in private chats only; a group is the staff's queue.
                return [], None
            who = await self._identify(session, inbound)
            render = Renderer(who.locale, who.tz)
            if who.staff is not None and not who.staff.active:
                return [render_reply(Reply(DEACTIVATED), render, inbound.chat_id)], None
            before = (who.role, who.locale)
            state = await runtime.lock_state(
                session, inbound.channel, inbound.chat_id, inbound.user_id, now
            )
            if state.expires_at is not None and state.expires_at < now:
                state.flow, state.step, state.data = None, None, {}
            ctx = Ctx(
                session=session,
                who=who,
                inbound=inbound,
                clock=self._clock,
                rules=self._rules,
                notify=OutboxNotifier(session, self._clock, self._config.default_tz),
                render=render,
                book=self._router,
                flow=state.flow,
                step=state.step,
                # A deep copy: flows mutate nested drafts, and the saved row must see the change.
                data=copy.deepcopy(state.data or {}),
                bot_username=self._config.bot_username,
                default_locale=self._config.default_locale,
            )
            step = await self._router.dispatch(ctx)
            if step.state is None:
                state.flow, state.step, state.data, state.expires_at = None, None, {}, None
            else:
                state.flow, state.step = step.state.split(".", 1)
                state.data = copy.deepcopy(ctx.data)
                flag_modified(state, "data")
                state.expires_at = now + STATE_TTL
            state.version += 1
            state.updated_at = now
            # Rendering inside the transaction: a broken template rolls the change back too.
            render = Renderer(ctx.who.locale, ctx.who.tz)
            outs = [
                render_reply(r, render, inbound.chat_id, inbound.callback_message_id)
                for r in step.replies
            ]
            after = (ctx.who.role, ctx.who.locale)
            return outs, (after if after != before else None)

    async def _is_staff(self, session: AsyncSession, inbound: Inbound) -> bool:
        found = await session.scalar(select(Staff.id).where(Staff.tg_user_id == inbound.user_id))
        return found is not None

    async def _identify(self, session: AsyncSession, inbound: Inbound) -> Identity:
        staff = await session.scalar(select(Staff).where(Staff.tg_user_id == inbound.user_id))
        if staff is not None:
            return Identity(
                role=Role(staff.role), locale=staff.locale, tz=ZoneInfo(staff.timezone), staff=staff
            )
        cuser = await session.scalar(
            select(CustomerUser).where(CustomerUser.tg_user_id == inbound.user_id)
        )
        if cuser is None:
            cuser = CustomerUser(
                tg_user_id=inbound.user_id,
                name=inbound.first_name,
                locale=pick_locale(inbound.language_code, self._config.default_locale),
                created_at=self._clock.now(),
            )
            session.add(cuser)
            await session.flush()
        return Identity(
            role=Role.CUSTOMER,
            locale=cuser.locale,
            tz=self._config.default_tz,
            customer_user=cuser,
        )


def _error(ref: str) -> T:
    return T("Something went wrong and nothing was saved. Please try again. (ref {ref})", ref=ref)


def _busy(ref: str) -> T:
    return T(
        "The system is busy right now and nothing was saved. Please try again shortly. (ref {ref})",
        ref=ref,
    )


def _brief(exc: BaseException) -> str:
    """The error's type and first line, for the log: no statement parameters (user text)."""
    first = str(exc).split("\n", 1)[0][:200]
    return f"{type(exc).__name__}: {first}"
