"""Claims on prospects and the team pool: warning, lapse, claim from the card, reassignment.

The seeded 华能电厂 is rep1's prospect (stage "contacted") whose claim ends on Sat 5 Dec 09:00,
within the 7 warning days from the demo's start. rep1 and the manager read Chinese: for them the
tests look at rows and at who got a message; rep2 reads English.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.app import App
from bot.i18n import Renderer
from bot.types import Inbound, T
from crm.enums import Role, Stage
from crm.models import AuditLog, Customer, CustomerChange
from crm.services import customers as customer_svc
from crm.services import sales
from handlers.base import Ctx, Identity
from handlers.claims import card_buttons_extra
from tests.conftest import Transcript
from tests.helpers import customer as _customer
from tests.helpers import outbox as _outbox
from tests.helpers import press as _press
from tests.helpers import staff as _staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH = Renderer("zh_CN", SHANGHAI)
TAKEN = T(
    "This customer is no longer in the pool: someone has already taken it. Nothing was changed."
)


async def _owner_changes(app: App, customer_id: int) -> list[CustomerChange]:
    async with app.sessions() as s:
        rows = await s.scalars(
            select(CustomerChange)
            .where(CustomerChange.customer_id == customer_id, CustomerChange.field == "owner")
            .order_by(CustomerChange.id)
        )
        return list(rows)


async def _set(app: App, name: str, **values: Any) -> Customer:
    c = await _customer(app, name)
    async with app.sessions() as s, s.begin():
        await s.execute(update(Customer).where(Customer.id == c.id).values(**values))
    return await _customer(app, name)


def _to(out: str, handle: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"[to {handle}]")]


async def _card_buttons(app: App, handle: str, customer_id: int) -> list[str]:
    """What `card_buttons_extra` offers this person on the customer's card (payloads)."""
    staff = await _staff(app, handle)
    async with app.sessions() as s:
        card = await customer_svc.card(s, customer_id)
        assert card is not None
        who = Identity(role=Role(staff.role), locale=staff.locale, tz=SHANGHAI, staff=staff)
        ctx = Ctx(
            session=s,
            who=who,
            inbound=Inbound(channel="console", update_id=0, chat_id=0, user_id=0),
            clock=app.clock,
            rules=app.rules,
            notify=None,  # type: ignore[arg-type]
            render=ZH,
            book=None,  # type: ignore[arg-type]
        )
        return [b.payload for b in card_buttons_extra(ctx, card)]


async def test_claim_warned_once_then_lapses_to_the_pool(app: App, chat: Transcript) -> None:
    rep1, rep2, manager = [await _staff(app, h) for h in ("rep1", "rep2", "manager")]
    hn = await _customer(app, "华能电厂")
    assert hn.owner_id == rep1.id and hn.stage == Stage.CONTACTED
    assert hn.claim_expires_at is not None
    key = f"claim-warn:{hn.id}:{hn.claim_expires_at.isoformat()}"

    out = await chat("/as rep1", "@clock +1h")
    warnings = await _outbox(app, f"claim-warn:{hn.id}:")
    assert [w.dedupe_key for w in warnings] == [key]
    assert warnings[0].chat_id == rep1.tg_user_id and warnings[0].status == "sent"
    buttons = [b[1] for row in warnings[0].payload["buttons"] for b in row]
    assert buttons == [f"card:{hn.id}", f"visit_for:{hn.id}"]
    assert len([m for m in _to(out, "rep1") if "⏳" in m and "华能电厂" in m]) == 1

    # Warned once per expiry date: later passes queue nothing for it.
    out = await chat("@clock +1h", "@clock +1d")
    assert len(await _outbox(app, f"claim-warn:{hn.id}:")) == 1
    assert not [m for m in _to(out, "rep1") if "⏳" in m and "华能电厂" in m]

    # Past the expiry (Sat 5 Dec 09:00) it is back in the team pool.
    out = await chat("@clock 2026-12-05T09:30")
    hn = await _customer(app, "华能电厂")
    assert hn.owner_id is None and hn.claim_expires_at is None and hn.team == "east"
    changes = await _owner_changes(app, hn.id)
    assert [(c.old_value, c.new_value, c.reason) for c in changes] == [
        (str(rep1.id), "pool", "claim lapsed")
    ]
    async with app.sessions() as s:
        audit = await s.scalar(
            select(AuditLog).where(
                AuditLog.action == "customer.claim_lapsed", AuditLog.entity_id == hn.id
            )
        )
    assert audit is not None and audit.actor_kind == "system"
    told = await _outbox(app, f"claim-lapsed:{hn.id}:")
    assert sorted(r.chat_id for r in told) == sorted([rep1.tg_user_id, manager.tg_user_id])
    assert [m for m in _to(out, "rep1") if "华能电厂" in m]
    assert [m for m in _to(out, "manager") if "华能电厂" in m and "张伟" in m]
    # Nothing more on a later pass.
    await chat("@clock +1h")
    assert len(await _owner_changes(app, hn.id)) == 1
    assert len(await _outbox(app, f"claim-lapsed:{hn.id}:")) == 2

    # rep2 now sees it, with a "Claim" button on its card, and claims it.
    assert f"claim:{hn.id}" in await _card_buttons(app, "rep2", hn.id)
    out = await _press(chat, app, "rep2", f"card:{hn.id}")
    assert "华能电厂" in out and "Owner: team pool" in out
    out = await _press(chat, app, "rep2", f"claim:{hn.id}")
    assert "✅ 华能电厂 is now yours." in out
    assert "Your claim lasts until Wed 3 Feb 10:30" in out
    hn = await _customer(app, "华能电厂")
    assert hn.owner_id == rep2.id
    assert hn.claim_expires_at == app.clock.now() + timedelta(days=60)
    changes = await _owner_changes(app, hn.id)
    assert (changes[-1].old_value, changes[-1].new_value, changes[-1].changed_by) == (
        "pool",
        str(rep2.id),
        rep2.id,
    )
    assert f"claim:{hn.id}" not in await _card_buttons(app, "rep2", hn.id)

    # rep1 pressing the button on the card he saw earlier is told it is already taken.
    out = await _press(chat, app, "rep1", f"claim:{hn.id}")
    assert ZH(TAKEN) in out
    out = await _press(chat, app, "rep2", f"claim:{hn.id}")
    assert "no longer in the pool" in out
    hn = await _customer(app, "华能电厂")
    assert hn.owner_id == rep2.id
    assert len(await _owner_changes(app, hn.id)) == 2


async def test_forged_claim_is_refused(app: App, chat: Transcript) -> None:
    rep1 = await _staff(app, "rep1")
    dongfang = await _customer(app, "东方钢铁集团")  # rep1's
    await chat("/as rep2")
    out = await _press(chat, app, "rep2", f"claim:{dongfang.id}")
    assert "no longer in the pool" in out and "东方钢铁集团" not in out
    for payload in ("claim:99999", "claim:abc"):
        out = await _press(chat, app, "rep2", payload)
        assert "not available to you" in out or "no longer valid" in out
    # A customer of another team's pool is not hers to claim either.
    atlas = await _set(app, "Atlas Print", team="west")
    out = await _press(chat, app, "rep2", f"claim:{atlas.id}")
    assert "not available to you" in out
    assert (await _customer(app, "东方钢铁集团")).owner_id == rep1.id
    assert (await _customer(app, "Atlas Print")).owner_id is None
    assert not await _owner_changes(app, dongfang.id)
    # The service agent has no claim button and no claim action.
    pool = await _customer(app, "瑞丰面粉厂")
    assert await _card_buttons(app, "agent", pool.id) == []
    out = await _press(chat, app, "agent", f"claim:{pool.id}")
    assert ZH(T("That is not available to you. Nothing was changed.")) in out


async def test_won_and_repeat_customers_never_lapse(app: App, chat: Transcript) -> None:
    rep2 = await _staff(app, "rep2")
    now = app.clock.now()
    # 星光影院 is won (claim date 8 Dec in the seed); make Sunrise Foods (repeat) end soon too,
    # and Lotus Spa (proposal) as the prospect that does lapse.
    star = await _customer(app, "星光影院")
    assert star.stage == Stage.WON
    sunrise = await _set(app, "Sunrise Foods", claim_expires_at=now + timedelta(days=2))
    lotus = await _set(app, "Lotus Spa", claim_expires_at=now + timedelta(days=2))
    assert sunrise.stage == Stage.REPEAT and lotus.stage == Stage.PROPOSAL

    out = await chat("/as rep2", "@clock +1h")
    warned = [m for m in _to(out, "rep2") if "⏳" in m]
    assert warned == ["[to rep2] ⏳ Your claim on Lotus Spa ends on Thu 3 Dec 09:00."]
    out = await chat("@clock 2026-12-10T13:00")
    for name in ("星光影院", "Sunrise Foods"):
        c = await _customer(app, name)
        assert c.owner_id == rep2.id, name
        assert not await _owner_changes(app, c.id)
        assert not await _outbox(app, f"claim-warn:{c.id}:")
    assert (await _customer(app, "Lotus Spa")).owner_id is None
    assert "[to rep2] ↩️ Your claim on Lotus Spa has lapsed" in out


async def test_warning_buttons_open_the_card_and_log_a_visit(app: App, chat: Transcript) -> None:
    lotus = await _set(app, "Lotus Spa", claim_expires_at=app.clock.now() + timedelta(days=3))
    out = await chat("/as rep2", "@clock +30m")
    assert "[to rep2] ⏳ Your claim on Lotus Spa ends on Fri 4 Dec 09:00." in out
    assert "A visit or a follow-up renews it" in out
    assert "[1] 📇 Open card  [2] 📝 Log a visit" in out
    # The morning agenda came after it, so its buttons are pressed by their payloads.
    (row,) = await _outbox(app, f"claim-warn:{lotus.id}:")
    card, visit = (b[1] for row_ in row.payload["buttons"] for b in row_)
    out = await _press(chat, app, "rep2", card)
    assert "Lotus Spa" in out and "Claim expires: Fri 4 Dec 09:00" in out
    out = await _press(chat, app, "rep2", visit)
    assert "Lotus Spa: how did you meet?" in out


async def test_visit_and_followup_renew_the_claim(app: App, chat: Transcript) -> None:
    rep1 = await _staff(app, "rep1")
    now = app.clock.now()
    async with app.sessions() as s, s.begin():
        hn = await s.scalar(select(Customer).where(Customer.name == "华能电厂"))
        assert hn is not None
        await sales.add_followup(
            s,
            rep1,
            hn,
            due_at=now + timedelta(days=2),
            note="send the quote",
            now=now,
            claim_days=app.rules.claims.period_days,
        )
    hn = await _customer(app, "华能电厂")
    assert hn.claim_expires_at == now + timedelta(days=60)
    # No lapse when the old expiry passes.
    await chat("/as rep1", "@clock 2026-12-05T10:00")
    hn = await _customer(app, "华能电厂")
    assert hn.owner_id == rep1.id
    assert not await _owner_changes(app, hn.id)


async def test_manager_reassigns_a_customer(app: App, chat: Transcript) -> None:
    rep1, rep2, manager = [await _staff(app, h) for h in ("rep1", "rep2", "manager")]
    lotus = await _customer(app, "Lotus Spa")
    assert f"reassign:{lotus.id}" in await _card_buttons(app, "manager", lotus.id)
    assert f"reassign:{lotus.id}" not in await _card_buttons(app, "rep2", lotus.id)
    await chat("/as manager")
    await _press(chat, app, "manager", f"reassign:{lotus.id}")
    # Only the other rep of the team is offered.
    payloads = [t.payload for t in chat.demo.channel.last_buttons[1002]]
    assert payloads == [f"reassign_to:{lotus.id}:{rep1.id}"]
    out = await chat("[1]")
    lotus = await _customer(app, "Lotus Spa")
    assert lotus.owner_id == rep1.id
    changes = await _owner_changes(app, lotus.id)
    assert [(c.old_value, c.new_value, c.changed_by) for c in changes] == [
        (str(rep2.id), str(rep1.id), manager.id)
    ]
    assert len(_to(out, "rep1")) == 1 and "Lotus Spa" in _to(out, "rep1")[0]
    assert _to(out, "rep2") == ["[to rep2] 李经理 handed Lotus Spa over to 张伟."]
    async with app.sessions() as s:
        assert await s.scalar(
            select(AuditLog).where(
                AuditLog.action == "customer.reassign", AuditLog.entity_id == lotus.id
            )
        )
    # Reps cannot reassign, and a manager only to a rep of the team.
    out = await _press(chat, app, "rep2", f"reassign_to:{lotus.id}:{rep2.id}")
    assert "not available to you" in out
    agent = await _staff(app, "agent")
    out = await _press(chat, app, "manager", f"reassign_to:{lotus.id}:{agent.id}")
    assert ZH(T("That is not available to you. Nothing was changed.")) in out
    assert (await _customer(app, "Lotus Spa")).owner_id == rep1.id
