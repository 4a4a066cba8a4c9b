"""Parked drafts in the chat: the one-line notice, Resume and Discard, and the offer on return."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from bot.types import Lines, Raw, Reply, T, Text
from bot.views.drafts import discard_only, draft_buttons
from crm.services import drafts as store
from handlers.base import EVERYONE, Action, Ctx, Step, may_run
from handlers.conversation.drafts import Draft
from handlers.conversation.states import States

if TYPE_CHECKING:
    from handlers.conversation.flow import Flow
    from handlers.router import Router

GONE = T("That draft is no longer there. Nothing was changed.")


def owner(ctx: Ctx) -> store.Owner:
    i = ctx.inbound
    return store.Owner(i.channel, i.chat_id, i.user_id)


buttons = draft_buttons
# The flow name of a draft kept from an older shape of its flow: shown, never resumed.
UNREADABLE = "-"


async def park(
    ctx: Ctx, flow: Flow, state: States, data: Draft, stack: list[dict[str, Any]]
) -> list[Reply]:
    """Keeps the draft and says so in one line, with Resume and Discard."""
    title = flow.title(data)
    row, dropped = await store.park(
        ctx.session,
        owner(ctx),
        flow=flow.name,
        step=state.value,
        data={"d": data.dump(), "s": stack},
        title=ctx.render(title),
        now=ctx.now(),
        keep_days=ctx.rules.drafts.keep_days,
    )
    ctx.marks["o"] = True
    ctx.marks.setdefault("now", []).append(row.id)
    replies = [Reply(T("📝 {title} — kept as a draft.", title=title), buttons=buttons(row.id))]
    replies += [made_room(old) for old in dropped]
    return replies


def made_room(row: store.ParkedDraft) -> Reply:
    """The oldest draft dropped for a new one: named, and its words quoted so none is lost."""
    words = store.words_of(row.data)
    if not words:
        return discarded([Raw(row.title)])
    return Reply(
        T(
            "🗑 Discarded to make room: {title}. What it held: {words}",
            title=Raw(row.title),
            words=Raw(words),
        )
    )


def unreadable_line(row: store.ParkedDraft) -> Reply:
    """A draft the bot can no longer resume (its form changed in an update): its words are
    shown for the person to use again, with Discard."""
    return Reply(
        T(
            "📝 {title} cannot be resumed after an update of the bot. What you had typed: {words}",
            title=Raw(row.title),
            words=Raw(store.words_of(row.data) or "—"),
        ),
        buttons=discard_only(row.id),
    )


async def park_unreadable(ctx: Ctx, raw: dict[str, Any]) -> list[Reply]:
    """A draft whose flow changed shape since: kept as it was for the person to read."""
    title = raw.get("t") or ctx.render(T("Unfinished entry"))
    row, dropped = await store.park(
        ctx.session,
        owner(ctx),
        flow=UNREADABLE,
        step=UNREADABLE,
        data=raw,
        title=title,
        now=ctx.now(),
        keep_days=ctx.rules.drafts.keep_days,
    )
    ctx.marks.setdefault("now", []).append(row.id)
    return [unreadable_line(row), *(made_room(old) for old in dropped)]


def discarded(titles: list[Text], *, menu: bool = False, ctx: Ctx | None = None) -> Reply:
    """The answer to an explicit Cancel or Discard: it names what is gone."""
    from handlers.common import main_menu  # common's menu needs the assembled commands

    body = Lines(*(T("🗑 Discarded: {title}.", title=t) for t in titles))
    if menu and ctx is not None:
        return Reply(body, keyboard=main_menu(ctx))
    return Reply(body)


async def offer(ctx: Ctx) -> list[Reply]:
    """Drafts parked since the person was last told, offered back once on an idle message."""
    ctx.marks.pop("o", None)
    rows = [
        r
        for r in await store.not_offered(ctx.session, owner(ctx))
        if r.id not in ctx.marks.get("now", ())
    ]
    await store.mark_offered(ctx.session, [r.id for r in rows])
    return [
        unreadable_line(r)
        if r.flow == UNREADABLE
        else Reply(T("📝 Unfinished: {title}", title=Raw(r.title)), buttons=buttons(r.id))
        for r in rows[:3]
    ]


async def listing(ctx: Ctx) -> list[Reply]:
    """Every parked draft of the person, for /today."""
    rows = await store.of(ctx.session, owner(ctx))
    return [
        unreadable_line(r)
        if r.flow == UNREADABLE
        else Reply(
            T(
                "📝 Draft: {title} (kept until {until})",
                title=Raw(r.title),
                until=r.expires_at,
            ),
            buttons=buttons(r.id),
        )
        for r in rows
    ]


async def _mine(ctx: Ctx, draft_id: int) -> bool:
    """Checked by the handlers themselves: they read the draft only as the presser's own
    (`store.get` with the owner), so someone else's draft, a forged id and a draft already gone
    all get the same "no longer there" and change nothing. An old button of one's own must not
    be told "not available to you" because its id now names someone else's draft."""
    return True


async def resume(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    row = await store.get(ctx.session, owner(ctx), ctx.obj_id)
    router: Router = ctx.book  # type: ignore[assignment]
    flow = router.flows.get(row.flow) if row is not None else None
    state = flow.state(row.step) if flow is not None and row is not None else None
    if row is None or flow is None or state is None or not may_run(ctx, flow.roles):
        return ctx.stay(Reply(GONE, notice="toast"))
    try:
        draft = flow.draft.load(row.data.get("d"))
    except (ValueError, ValidationError):
        # Parked before an update changed the flow's draft: its words are shown instead.
        row.flow = row.step = UNREADABLE
        return ctx.stay(replace(unreadable_line(row), edit=True))
    await store.take(ctx.session, row)
    # The router parks whatever the person was in before (the draft object changes here).
    ctx.state, ctx.data, ctx.stack = state, draft, list(row.data.get("s") or [])
    return Step.go(state)


async def discard(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    row = await store.get(ctx.session, owner(ctx), ctx.obj_id)
    if row is None:
        return ctx.stay(Reply(GONE, notice="toast"))
    await store.take(ctx.session, row)
    return ctx.stay(replace(discarded([Raw(row.title)]), edit=True))


ACTIONS = [
    Action("dr_res", EVERYONE, resume, obj_kind="draft"),
    Action("dr_del", EVERYONE, discard, obj_kind="draft"),
]
AUTHORISERS = {"draft": _mine}
