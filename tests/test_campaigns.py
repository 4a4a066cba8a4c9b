"""Campaigns composed in chat (/campaign) and their figures (/campaigns).

The admin reads English; the manager reads Chinese, so the manager's flow is driven by button
numbers and checked by handles and rows. Seeded customers on Telegram: customer1 华能电厂 (A,
consent, zh), customer2 国际会展中心 (B, consent, en), customer3 Blue River Hotel (B, no
consent, zh), customer4 老王面馆 (C, consent, en), customer5 Nova Dental (C, consent, zh);
customer6 is linked to nobody.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from bot.app import App
from crm.models import (
    CareCampaign,
    CareDelivery,
    ConversationState,
    Customer,
    CustomerUser,
    OutboxMessage,
    UnreachableChat,
)
from crm.services import care
from tests.conftest import Transcript

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def compose(
    chat: Transcript,
    topic: str,
    zh: str | None,
    en: str | None = None,
    *,
    tw: str | None = None,
    ru: str | None = None,
    when: str = "[Now]",
    seg: tuple[str, ...] = ("[Class]", "[1]", "[Done]"),
) -> str:
    """The admin composes and confirms a campaign (class A by default)."""
    return await chat(
        "/as admin",
        "/campaign",
        topic,
        *seg,
        "[Next]",
        zh if zh is not None else "[Skip]",
        en if en is not None else "[Skip]",
        tw if tw is not None else "[Skip]",
        ru if ru is not None else "[Skip]",
        when,
        "[Confirm]",
    )


async def _customer(app: App, name: str) -> Customer:
    async with app.sessions() as s:
        c = await s.scalar(select(Customer).where(Customer.name == name))
        assert c is not None, name
        return c


async def _set(app: App, current: str, /, **values: Any) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Customer).where(Customer.name == current).values(**values))


async def _campaigns(app: App) -> list[CareCampaign]:
    async with app.sessions() as s:
        return list(await s.scalars(select(CareCampaign).order_by(CareCampaign.id)))


async def _deliveries(app: App, campaign_id: int) -> dict[int, CareDelivery]:
    """The campaign's deliveries by chat id."""
    async with app.sessions() as s:
        rows = await s.scalars(select(CareDelivery).where(CareDelivery.campaign_id == campaign_id))
        return {care.chat_of(d): d for d in rows}


async def _figures(app: App, campaign_id: int) -> care.Figures:
    async with app.sessions() as s:
        return (await care.figures(s, [campaign_id]))[campaign_id]


async def _care_outbox(app: App) -> list[OutboxMessage]:
    async with app.sessions() as s:
        return list(
            await s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.dedupe_key.startswith("care:camp:"))
                .order_by(OutboxMessage.id)
            )
        )


def _to(out: str, handle: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"[to {handle}]")]


def _only_to(out: str, handle: str) -> bool:
    return all(
        line.startswith(f"[to {handle}]") for line in out.splitlines() if line.startswith("[to ")
    )


async def test_manager_campaign_for_class_a(app: App, chat: Transcript) -> None:
    # Two class A customers on Telegram who agreed (customer1, and customer2's made class A),
    # one class A customer on Telegram who did not (customer6 linked to Acme Logistics).
    await _set(app, "国际会展中心", customer_class="A")
    acme = await _customer(app, "Acme Logistics")
    assert acme.care_consent is False and acme.customer_class == "A"
    async with app.sessions() as s, s.begin():
        await s.execute(
            update(CustomerUser)
            .where(CustomerUser.handle == "customer6")
            .values(customer_id=acme.id, locale="en")
        )
    zh = "{name}您好！{company}的各位同事冬安。——{rep}"
    en = "Dear {name} of {company}, warm winter wishes. — {rep}"
    tw = "{name}您好！{company}的各位同事冬安。——{rep}（繁體）"
    out = await chat(
        "/as manager",
        "/campaign",
        "[1]",  # greeting
        "[1]",  # class
        "[1]",  # A
        "[4]",  # done
        "[7]",  # next (class, stage, tag, owner, area, clear, next, cancel)
        zh,
        en,
        tw,
        "[1]",  # skip the Russian: its readers get the English
        "[1]",  # now
    )
    assert _only_to(out, "manager")
    # The optional languages' prompts are headed by the language's own name.
    assert "🌐 繁體中文" in out and "🌐 Русский" in out
    assert f"繁體中文：“{tw}”" in out  # the confirmation quotes each text as typed
    async with app.sessions() as s:
        state = await s.scalar(select(ConversationState).where(ConversationState.user_id == 1002))
        assert state is not None and (state.flow, state.step) == ("campaign", "confirm")
        draft = state.data["d"]  # the typed draft, beside the router's notes
        assert draft["seg"] == {"class": ["A"]} and draft["texts"]["en"] == en
    # The preview goes to the manager only, filled in for a sample customer; nothing is saved.
    out = await chat("[1]")
    assert _only_to(out, "manager")
    assert "[to manager] customer1您好！华能电厂的各位同事冬安。——张伟" in out
    assert not await _campaigns(app) and not await _care_outbox(app)

    out = await chat("[2]")  # confirm
    assert _only_to(out, "manager") and len(_to(out, "manager")) == 1
    (campaign,) = await _campaigns(app)
    assert (campaign.category, campaign.name, campaign.status) == (
        "greeting",
        "greeting",
        "scheduled",
    )
    assert campaign.segment == {"class": ["A"]}
    assert campaign.templates == {"zh_CN": zh, "en": en, "zh_TW": tw}
    deliveries = await _deliveries(app, campaign.id)
    assert sorted(deliveries) == [2001, 2002, 2006]
    assert {d.status for d in deliveries.values()} == {"scheduled"}

    # Each reader gets the text of their language when it was written: customer1 now reads
    # Traditional Chinese, customer2 Russian (no Russian text: the English).
    async with app.sessions() as s, s.begin():
        for handle, locale in (("customer1", "zh_TW"), ("customer2", "ru")):
            await s.execute(
                update(CustomerUser).where(CustomerUser.handle == handle).values(locale=locale)
            )
    out = await chat("@clock +1m")
    sent = await _care_outbox(app)
    # Exactly the class A customers on Telegram who agreed.
    assert sorted(r.chat_id for r in sent) == [2001, 2002]
    assert "[to customer2] Dear customer2 of 国际会展中心, warm winter wishes. — 张伟" in out
    assert "[to customer1] customer1您好！华能电厂的各位同事冬安。——张伟（繁體）" in out
    assert _to(out, "customer1") and not _to(out, "customer6")
    for row in sent:
        assert row.payload["buttons"][0][0][1].startswith("care_off:")
    deliveries = await _deliveries(app, campaign.id)
    assert deliveries[2006].status == "opted_out" and deliveries[2006].outbox_id is None
    fig = await _figures(app, campaign.id)
    assert (fig["sent"], fig["opted_out"], fig.total) == (2, 1, 3)
    assert (await _campaigns(app))[0].status == "sent"
    # The next pass copies the outbox's outcome onto the deliveries.
    await chat("@clock +1m")
    deliveries = await _deliveries(app, campaign.id)
    assert deliveries[2001].status == deliveries[2002].status == "sent"
    assert (await _figures(app, campaign.id)).counts == {"sent": 2, "opted_out": 1}


async def test_outage_notice_reaches_customers_without_consent(app: App, chat: Transcript) -> None:
    # customer2's chat blocked the bot: a hard block, notices included.
    async with app.sessions() as s, s.begin():
        s.add(UnreachableChat(chat_id=2002, since=app.clock.now(), reason="blocked"))
    out = await chat("/as admin", "/campaign", "[outage]", "[Class]", "[2]", "[Done]")
    assert "🏷 Class: B" in out
    assert "Recipients: 1 person on Telegram" in out
    assert "1 chat has blocked the bot" in out
    assert "without consent" not in out  # a notice needs none
    out = await chat("[Next]", "停电通知 {date}")
    assert (
        "{date} is not a placeholder I can fill: use only {name}, {company}, {rep}, or none." in out
    )
    out = await chat("停电 {name")
    assert "A brace is not matched" in out
    zh = "【计划停电】{company}：12月3日 9:00-12:00 线路检修停电。"
    out = await chat(zh, "[Skip]", "[Skip]", "[Skip]", "tomorrow 10:00")
    assert "Kind: ⚡ Notice: outage" in out and "When: Wed 2 Dec 10:00" in out
    out = await chat("[Preview]")
    assert _only_to(out, "admin")
    assert "👁 Preview for Blue River Hotel (简体中文); only you see it:" in out
    assert (
        "[to admin] ⚡ Outage notice\n"
        "【计划停电】Blue River Hotel：12月3日 9:00-12:00 线路检修停电。" in out
    )
    out = await chat("[Confirm]")
    assert "✅ Campaign #1 is confirmed: it goes out Wed 2 Dec 10:00 to 1 recipient." in out

    out = await chat("@clock +1m")
    assert not _to(out, "customer3") and not await _care_outbox(app)
    out = await chat("@clock 2026-12-02T10:00")
    (row,) = await _care_outbox(app)
    assert row.chat_id == 2003 and row.payload["buttons"] == []  # no opt-out on a notice
    assert _to(out, "customer3") and not _to(out, "customer2")
    (campaign,) = await _campaigns(app)
    assert campaign.category == "notice" and campaign.name == "outage"
    deliveries = await _deliveries(app, campaign.id)
    assert deliveries[2002].status == "unreachable" and deliveries[2002].outbox_id is None
    assert deliveries[2003].kind == "notice"
    # The figures add up to the deliveries.
    fig = await _figures(app, campaign.id)
    assert fig.total == len(deliveries) == 2
    assert (fig["sent"], fig["unreachable"]) == (1, 1)
    out = await chat("/campaigns")
    assert "#1 ⚡ Notice: outage · sent Wed 2 Dec 10:00 · Admin Wang" in out
    assert (
        "2 recipients: sent 1 · queued 0 · failed 0 · unreachable 1 · opted out 0 · held by cap 0"
        in out
    )


async def test_quiet_hours_hold_a_greeting_till_eight(app: App, chat: Transcript) -> None:
    await _set(app, "国际会展中心", customer_class="A")  # customer2, en
    out = await compose(
        chat, "[Greeting]", "晚安 {name}", "Good evening, {name}!", when="2026-12-01 22:00"
    )
    assert "That is in the quiet hours: it will be held until Wed 2 Dec 08:00." in out
    assert "goes out Tue 1 Dec 22:00 to 2 recipients" in out
    out = await chat("@clock 2026-12-01T22:00")
    assert not _to(out, "customer1") and not _to(out, "customer2")
    (campaign,) = await _campaigns(app)
    deliveries = await _deliveries(app, campaign.id)
    assert {d.status for d in deliveries.values()} == {"held_quiet"}
    eight = datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
    assert [r.due_at for r in await _care_outbox(app)] == [eight, eight]
    fig = await _figures(app, campaign.id)
    assert fig.counts == {"held_quiet": 2}

    # customer2 opts out in the night: the held message is not sent.
    out = await chat("@clock 2026-12-01T23:00", "/as customer2", "/stop_care")
    assert "[to customer2] 🔕 Done" in out
    out = await chat("@clock 2026-12-02T07:59")
    assert not _to(out, "customer1") and not _to(out, "customer2")
    out = await chat("@clock 2026-12-02T08:00")
    assert _to(out, "customer1") and not _to(out, "customer2")
    deliveries = await _deliveries(app, campaign.id)
    assert deliveries[2001].status in ("queued", "sent")
    assert deliveries[2002].status == "opted_out"
    await chat("@clock +1m")
    deliveries = await _deliveries(app, campaign.id)
    assert deliveries[2001].status == "sent"
    assert (await _figures(app, campaign.id)).counts == {"sent": 1, "opted_out": 1}


async def test_cancel_a_scheduled_campaign_and_lapse_an_old_one(app: App, chat: Transcript) -> None:
    await compose(
        chat,
        "[event]",
        "开放日 {company}",
        "Open day at our office, {company}!",
        when="2026-12-03 10:00",
    )
    await compose(chat, "[policy]", "新政策", "New policy", when="2026-12-03 11:00")
    out = await chat("/campaigns")
    assert "#1 🎪 Notice: event · scheduled for Thu 3 Dec 10:00 · Admin Wang" in out
    assert "“Open day at our office, {company}!”" in out
    assert "waiting for their time: 1" in out
    assert "[1] ✖ Cancel #2  [2] ✖ Cancel #1" in out
    out = await chat("[Cancel #1]")
    assert "Campaign #1 is cancelled: none of it will be sent." in out
    out = await chat("[Cancel #1]")
    assert "no longer valid" in out or "already gone out or was cancelled" in out
    # The bot "was down" past the grace: the policy notice is not pushed days late.
    out = await chat("@clock 2026-12-05T12:00")
    assert not await _care_outbox(app)
    first, second = await _campaigns(app)
    assert (first.status, second.status) == ("cancelled", "expired")
    assert (await _figures(app, first.id)).counts == {"cancelled": 1}
    assert (await _figures(app, second.id)).counts == {"cancelled": 1}
    out = await chat("/campaigns")
    assert "not sent: the bot was not running at Thu 3 Dec 11:00" in out
    # Reps have no campaigns.
    out = await chat("/as rep2", "/campaign")
    assert "compose a care campaign" not in out and "New campaign" not in out
    async with app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(CareCampaign)) == 2


async def test_composer_refusals(app: App, chat: Transcript) -> None:
    out = await chat("/as admin", "/campaign", "[Greeting]", "[🔖 Tag]")
    assert "No customer of yours has a tag yet." in out
    out = await chat("[Class]", "[1]", "[Done]", "[Stage]", "[lost]", "[Done]")
    assert "Recipients: 0 people on Telegram" in out
    out = await chat("[Next]")
    assert "Nobody would receive it: please widen the selection." in out
    out = await chat("[Clear]")
    assert "To: all your customers" in out and "Recipients: 4 people on Telegram" in out
    assert "Left out: 1 customer without consent to greetings" in out
    out = await chat("[Next]", "[Skip]", "[Skip]")
    assert "One of the two texts is needed" in out
    out = await chat("Hello {company}", "[Skip]", "[Skip]", "next Blursday")
    assert "I could not read that date and time." in out
    out = await chat("2026-11-30 10:00")
    assert "That time has passed." in out
    out = await chat("[Cancel]")
    assert "🗑 Discarded: Campaign “Hello {company}”." in out
    assert not await _campaigns(app)


async def test_segments_by_tag_area_and_owner(app: App, chat: Transcript) -> None:
    await _set(app, "华能电厂", tags=["vip", "industry"])
    await _set(app, "老王面馆", tags=["vip"], area="西区")
    out = await chat("/as admin", "/campaign", "[Greeting]", "[🔖 Tag]")
    assert "[1] industry  [2] vip  [3] ✅ Done" in out
    out = await chat("[vip]", "[Done]")
    assert "🔖 Tag: vip" in out and "Recipients: 2 people on Telegram" in out
    out = await chat("[📍 Area]", "[西区]", "[Done]")
    assert "📍 Area: 西区" in out and "Recipients: 1 person on Telegram" in out
    out = await chat("[Clear]", "[👤 Owner]")
    assert "[1] team pool  [2] Lucy Chen  [3] 张伟  [4] ✅ Done" in out
    out = await chat("[Lucy Chen]", "[team pool]", "[Done]")
    # rep2's customers on Telegram: Blue River Hotel (no consent) and Nova Dental.
    assert "👤 Owner: Lucy Chen, team pool" in out
    assert "Recipients: 1 person on Telegram" in out
    assert "Left out: 1 customer without consent to greetings" in out
    out = await chat("[👤 Owner]", "[Lucy Chen]")
    assert "[1] team pool  [2] Lucy Chen  [3] 张伟" not in out  # toggled off, edited in place
    assert "(edited)" in out and "[1] ✓ team pool  [2] Lucy Chen" in out
