"""Per inbound update: lock the user, dedupe, load who and where they are, route, commit, reply.

The user is locked twice: an asyncio lock per (channel, chat, user) inside this process, so its
updates queue here rather than each holding a database connection while waiting, and the
database's lock (`runtime.lock_user`, an advisory lock on PostgreSQL) across the replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import chat_state, groups
from bot.guards import FloodGuard, KeyedLocks
from bot.i18n import Renderer, menu_locale_for, pick_locale
from bot.metrics import Metrics
from bot.notify import MAX_QUEUED_PHOTO, OutboxNotifier
from bot.render import render_reply
from bot.reply_marks import SentMarks
from bot.types import Files, Inbound, Outgoing, Reply, T
from crm.clock import Clock
from crm.db import hold_loaded, unavailable
from crm.enums import OutboxStatus, Role
from crm.geocode import Geocoder
from crm.limits import text_limit
from crm.models import CustomerUser, Staff
from crm.rules import Rules
from crm.services import outbox, runtime
from crm.services.rule_overrides import RuleBook
from handlers.base import Ctx, Identity, StaffCtx
from handlers.router import Router

log = structlog.get_logger("engine")

# The state row with what every update needs besides: the rules' version, and whether the chat
# had blocked the bot (then writing again makes it reachable).
STATE_QUERY = runtime.StateQuery(
    also=(RuleBook.version_column(), outbox.unreachable_flag(bindparam("chat_id")))
)
_STAFF_BY_USER = select(Staff).where(Staff.tg_user_id == bindparam("user_id"))

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
        rules: Rules | RuleBook,
        config: EngineConfig,
        metrics: Metrics | None = None,
    ) -> None:
        self._sessions = sessionmaker
        self._metrics = metrics
        self._router = router
        self._clock = clock
        # The rules changed in chat are read from the database per update (cheaply: a version).
        self._book = rules if isinstance(rules, RuleBook) else RuleBook(rules)
        self._config = config
        self._locks = KeyedLocks()
        # SQLite takes one writer at a time, and a writer that finds the database locked waits
        # and retries (crm.sqlite_async), not served first when it gets in. SQLite serves one
        # process, so its updates take turns here instead, first come first served, without
        # waiting on the lock. PostgreSQL's row locks order a user's updates (and leave
        # different users' updates in parallel).
        bind = sessionmaker.kw.get("bind")
        assert bind is not None, "the engine's sessions need an engine to be bound to"
        self._db = bind
        sqlite = bind.dialect.name == "sqlite"
        self._turns: asyncio.Lock | None = asyncio.Lock() if sqlite else None
        self._flood = FloodGuard(self._book.base.rate_limits.user_messages_per_minute)
        # Pins get their address from it (crm.geocode; bot.app sets the configured one).
        self.geocoder: Geocoder | None = None
        # Set by the runtime when a channel can show per-user command menus.
        self.on_identity_change: Callable[[int, Role, str], Awaitable[object]] | None = None
        # Set by whoever runs a channel: how flows read the files users send (its download).
        self.files: Files | None = None
        # Set by the runtime (Telegram): replies are journaled as outbox rows leased this long,
        # in the update's transaction. A replica that dies after the commit but before sending
        # them would otherwise lose them for good: Telegram's resend of the update is a
        # duplicate, and answered with nothing. With the journal another replica's sender sends
        # them when the lease ends. Off for the console demo and most tests, whose channel
        # sends at once in the same process.
        self.reply_lease: timedelta | None = None
        self._sent = SentMarks(bind, clock)
        # The service team's forum group (CRM_SERVICE_GROUP_ID; bot.forum), set by the runtime.
        self.forum_chat_id: int | None = None

    @property
    def bot_username(self) -> str:
        """For deep links; the runtime sets what getMe said (bot.identity)."""
        return self._config.bot_username

    @bot_username.setter
    def bot_username(self, username: str) -> None:
        self._config.bot_username = username

    async def handle(self, inbound: Inbound) -> list[Outgoing]:
        # Wall time, not the injectable clock: latency is measured, not simulated.
        started = time.perf_counter()
        if inbound.location is not None and self.geocoder is not None:
            inbound = await self._place(inbound)
        outs, outcome = await self._handle(inbound)
        if self._metrics is not None:
            self._metrics.update_handled(outcome, time.perf_counter() - started)
        return outs

    async def _place(self, inbound: Inbound) -> Inbound:
        """The pin's address (crm.geocode), before any lock is taken: the first pin loads the
        offline data in a thread (a second or two), which no other chat should wait for."""
        loc = inbound.location
        assert loc is not None and self.geocoder is not None
        try:
            place = await self.geocoder.reverse(loc.lat, loc.lon)
        except Exception:
            log.warning("geocode_failed", exc_info=True)
            return inbound
        return replace(inbound, location=replace(loc, place=place))

    async def _handle(self, inbound: Inbound) -> tuple[list[Outgoing], str]:
        guess = Renderer(
            pick_locale(inbound.language_code, self._config.default_locale), self._config.default_tz
        )
        verdict = self._flood.check(inbound.user_id, self._clock.now())
        if verdict != "ok":
            warn = [render_reply(Reply(FLOOD), guess, inbound.chat_id)] if verdict == "warn" else []
            return warn, "throttled"
        key = (inbound.channel, inbound.chat_id, inbound.user_id)
        turn = self._turns if self._turns is not None else contextlib.nullcontext()
        async with self._locks.hold(key), turn:
            try:
                outs, changed, outcome = await self._handle_locked(inbound)
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
                    return [render_reply(Reply(_busy(ref)), guess, inbound.chat_id)], "unavailable"
                log.exception("update_failed", **where)
                return [render_reply(Reply(_error(ref)), guess, inbound.chat_id)], "error"
        if changed is not None and self.on_identity_change is not None:
            # After the commit: the user's command menu follows a new role or language.
            try:
                await self.on_identity_change(inbound.chat_id, *changed)
            except Exception:
                log.warning("menu_refresh_failed", chat_id=inbound.chat_id, exc_info=True)
        return outs, outcome

    async def _handle_locked(
        self, inbound: Inbound
    ) -> tuple[list[Outgoing], tuple[Role, str] | None, str]:
        async with self._sessions() as session, session.begin():
            hold_loaded(session)
            # Across processes (webhook replicas on PostgreSQL) first, before anything is read:
            # see crm.services.runtime for why an advisory lock and not only the state row.
            await runtime.lock_user(session, inbound.channel, inbound.chat_id, inbound.user_id)
            now = self._clock.now()
            if not await runtime.mark_processed(session, inbound.channel, inbound.update_id, now):
                log.info("update_duplicate", channel=inbound.channel, update_id=inbound.update_id)
                return [], None, "duplicate"
            if inbound.chat_type != "private" and not await self._is_staff(session, inbound):
                # Customers are served in private chats only; a group is the staff's queue.
                await outbox.clear_unreachable(session, inbound.chat_id)
                return [], None, "ignored"
            who, new = await self._identify(session, inbound)
            render = Renderer(who.locale, who.tz)
            if who.staff is not None and not who.staff.active:
                if inbound.chat_type != "private":
                    return [], None, "ignored"  # said in their private chat, not to a group
                return [render_reply(Reply(DEACTIVATED), render, inbound.chat_id)], None, "ok"
            before = (who.role, who.locale)
            if new and who.locale != menu_locale_for(
                inbound.language_code, self._config.default_locale
            ):
                # Telegram's default menus cannot tell this language apart (zh_TW from zh_CN,
                # English for a German): a newcomer speaking it gets the menu on their own chat.
                before = (who.role, "")
            state, (rules_version, unreachable) = await runtime.lock_state(
                session, inbound.channel, inbound.chat_id, inbound.user_id, now, STATE_QUERY
            )
            if unreachable:
                # Writing again means the chat is reachable again: it had blocked the bot.
                await outbox.clear_unreachable(session, inbound.chat_id)
            ctx = (StaffCtx if who.staff is not None else Ctx)(
                session=session,
                who=who,
                inbound=inbound,
                clock=self._clock,
                rules=await self._book.at_version(session, rules_version),
                rulebook=self._book,
                notify=OutboxNotifier(session, self._clock, self._config.default_tz),
                render=render,
                book=self._router,
                files=self.files,
                bot_username=self._config.bot_username,
                default_locale=self._config.default_locale,
            )
            # The row's own copy, read for this update: flows may change it as they like.
            self._router.load(ctx, state.flow, state.step, state.data or {})
            if inbound.chat_type == "private":
                step = await self._router.dispatch(ctx, idle_for=now - state.updated_at)
            else:
                # Groups get only what is meant for groups (bot.groups).
                step = await groups.dispatch(ctx, self.forum_chat_id)
            ctx.render = Renderer(ctx.who.locale, ctx.who.tz)
            state.flow, state.step, state.data = self._router.dump(ctx)
            await runtime.save_state(session, state, now)
            # Rendering inside the transaction: a broken template rolls the change back too.
            render = Renderer(ctx.who.locale, ctx.who.tz)
            outs = [
                render_reply(r, render, inbound.chat_id, inbound.callback_message_id)
                for r in step.replies
            ]
            if inbound.thread_id is not None:
                # An answer in a forum topic stays in that topic.
                outs = [replace(o, thread_id=inbound.thread_id) for o in outs]
            if self.reply_lease is not None:
                outs = await self._journal(session, inbound, outs, now)
            after = (ctx.who.role, ctx.who.locale)
            return outs, (after if after != before else None), "ok"

    async def _journal(
        self, session: AsyncSession, inbound: Inbound, outs: list[Outgoing], now: datetime
    ) -> list[Outgoing]:
        assert self.reply_lease is not None
        journaled = []
        for i, out in enumerate(outs):
            if out.document is not None or (
                out.photo is not None and len(out.photo) > MAX_QUEUED_PHOTO
            ):
                journaled.append(out)  # too big for a row: sent at once, not journaled
                continue
            row_id = await outbox.add_leased(
                session,
                chat_id=out.chat_id,
                payload=out.to_payload(),
                dedupe_key=f"reply:{inbound.channel}:{inbound.update_id}:{i}",
                now=now,
                lease=self.reply_lease,
            )
            journaled.append(replace(out, journal_id=row_id))
        return journaled

    async def replied(self, journal_id: int, error: str | None) -> None:
        """The channel sent a journaled reply (`error` None), or it was refused: either way no
        other replica should try it again (a refused direct reply is not retried)."""
        if error is None:
            self._sent.add(journal_id)
            return
        try:
            # A bare connection: one statement needs no session (a good part of its cost).
            async with self._db.begin() as conn:
                await outbox.mark_final(conn, journal_id, OutboxStatus.DEAD, error)
        except Exception:
            # The row is taken over when its lease ends: sent once more, flagged `retaken`.
            log.warning("reply_journal_failed", outbox_id=journal_id, exc_info=True)

    # ---- told by the channels (bot.chat_state) ------------------------------------------------

    async def defer(self, out: Outgoing, seconds: float) -> None:
        """A reply Telegram asked to hold `seconds` (a 429): the outbox sends it after."""
        await chat_state.defer_reply(self._sessions, self._clock, out, seconds)

    async def chat_member(self, chat_id: int, blocked: bool) -> None:
        """my_chat_member: the chat blocked the bot, or allowed it again."""
        await chat_state.chat_member(self._sessions, self._clock, chat_id, blocked)

    @property
    def sent_marks_pending(self) -> int:
        return self._sent.pending

    async def flush_replied(self) -> None:
        """Writes the sent marks still waiting for their batch (bot.reply_marks)."""
        await self._sent.flush()

    async def close(self) -> None:
        await self._sent.close()

    async def _is_staff(self, session: AsyncSession, inbound: Inbound) -> bool:
        found = await session.scalar(select(Staff.id).where(Staff.tg_user_id == inbound.user_id))
        return found is not None

    async def _identify(self, session: AsyncSession, inbound: Inbound) -> tuple[Identity, bool]:
        """Who wrote, and whether they are new to us (a customer seen for the first time)."""
        staff = await session.scalar(_STAFF_BY_USER, {"user_id": inbound.user_id})
        if staff is not None:
            return Identity(
                role=Role(staff.role), locale=staff.locale, tz=ZoneInfo(staff.timezone), staff=staff
            ), False
        cuser = await session.scalar(
            select(CustomerUser).where(CustomerUser.tg_user_id == inbound.user_id)
        )
        new = cuser is None
        if cuser is None:
            cuser = CustomerUser(
                tg_user_id=inbound.user_id,
                # Telegram allows longer names than the column holds.
                name=(inbound.first_name or "")[: text_limit(CustomerUser.name)] or None,
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
        ), new


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
