# ruff: noqa: F811  (pytest fixtures imported from the contract suite)
"""Issue 24 over both adapters and the fake Bot API: groups get only what is meant for groups,
and the service team's desk in a forum supergroup, end to end (a topic per ticket, the
customer's photo copied in, an agent's answer delivered, a note kept internal, the topic
closed on resolve; an answer to a customer who blocked the bot)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.fake_botapi import FakeBotAPI
from tests.test_channel_contract import USER, api, channel
from tests.test_telegram_native import sq_app

_ = (api, channel, sq_app)

# ---- groups: only what is meant for groups; the forum desk ---------------------------------

GROUP = -100777
FORUM = -100888
AGENT = USER + 21
CUSTOMER = USER + 22


async def _people(app: Any) -> tuple[Any, Any]:
    from crm.models import Customer, CustomerUser, Staff

    async with app.sessions() as s, s.begin():
        agent = Staff(
            tg_user_id=AGENT, name="Agent Liu", handle="agent", role="service", locale="en"
        )
        rep = Staff(tg_user_id=USER + 23, name="Rep Zhang", handle="rep", role="sales", locale="en")
        customer = Customer(name="Harbor Cafe", phone="13900001111")
        s.add_all([agent, rep, customer])
        await s.flush()
        cuser = CustomerUser(tg_user_id=CUSTOMER, name="Ann", customer_id=customer.id, locale="en")
        s.add(cuser)
    return agent, cuser


async def _run(channel: Any, app: Any, api: FakeBotAPI) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(channel.poll(app.engine, stop))
    await api.wait_for("getUpdates")
    return stop, task


async def test_groups_get_only_what_is_meant_for_groups(
    channel: Any, api: FakeBotAPI, sq_app: Any
) -> None:
    await _people(sq_app)
    sq_app.engine.bot_username = "crm_test_bot"
    channel.pacer.group_interval = 0.05
    stop, task = await _run(channel, sq_app, api)
    try:
        mark = api.mark()
        api.push_content(
            AGENT,
            {"text": "/visit", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]},
            chat_id=GROUP,
        )
        answer = await api.wait_for("sendMessage", since=mark)
        assert answer.params["chat_id"] == GROUP
        assert "https://t.me/crm_test_bot?start=menu" in answer.params["text"]
        assert "/visit" in answer.params["text"]
        assert "reply_markup" not in answer.params  # no private menu, no keyboard
        mark = api.mark()
        api.push_content(AGENT, {"text": "/start"}, chat_id=GROUP)
        answer = await api.wait_for("sendMessage", since=mark)
        assert "private chat" in answer.params["text"] and "reply_markup" not in answer.params
        # Chatter, and customers, in a group: nothing.
        mark = api.mark()
        api.push_content(AGENT, {"text": "lunch?"}, chat_id=GROUP)
        api.push_content(CUSTOMER, {"text": "/new"}, chat_id=GROUP)
        await asyncio.sleep(0.8)
        assert api.find("sendMessage", since=mark) is None
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_the_forum_desk_end_to_end(channel: Any, api: FakeBotAPI, sq_app: Any) -> None:
    from sqlalchemy import select

    from bot.forum import ForumDesk
    from bot.sender import OutboxSender
    from crm.models import CustomerUser, Ticket, TicketMessage
    from crm.services import tickets

    app = sq_app
    api.forum(FORUM)
    for user_id in (AGENT, CUSTOMER):
        api.user(user_id)
    _agent, _ = await _people(app)
    app.engine.forum_chat_id = FORUM
    channel.pacer.group_interval = 0.01
    desk = ForumDesk(channel, app.sessions, app.clock, FORUM, "en", app.settings.tz)
    sender = OutboxSender(app.sessions, channel, app.clock)
    assert await desk.sync() == 0  # enabled now: older tickets get no topic
    photo = api.upload_photo(b"\x89PNG-broken-pipe")
    async with app.sessions() as s, s.begin():
        cuser = await s.scalar(select(CustomerUser).where(CustomerUser.tg_user_id == CUSTOMER))
        ticket = await tickets.create(
            s,
            app.rules,
            cuser,
            kind="fault",
            text="Water pipe burst <kitchen>",
            now=app.clock.now(),
            attachments=[photo],
            # The pin as the flows keep it, its address found on arrival (crm.geocode).
            media=[
                {"kind": "photo", "file_id": photo},
                {
                    "kind": "location",
                    "lat": 31.2304,
                    "lon": 121.4737,
                    "name": "黄浦区",
                    "region": "上海市",
                    "country": "CN",
                },
            ],
        )
        number = ticket.number
    mark = api.mark()
    assert await desk.sync() == 2  # opened, then caught up
    created = api.find("createForumTopic", since=mark)
    assert created is not None and created.status == 200
    thread = created.result["message_thread_id"]
    assert number in created.params["name"] and "Harbor Cafe" in created.params["name"]
    in_topic = [c for c in api.calls[mark:] if c.params.get("message_thread_id") == thread]
    texts = [c.params.get("text", "") for c in in_topic if c.method == "sendMessage"]
    assert any("13900001111" in t for t in texts)  # the customer's phone, to call
    assert any("Water pipe burst &lt;kitchen&gt;" in t for t in texts)
    copied = [c for c in in_topic if c.method == "sendPhoto"]
    assert len(copied) == 1 and copied[0].status == 200
    assert copied[0].params["photo"] == photo
    assert any("📍 31.23040,121.47370 — near 黄浦区, 上海市, China" in t for t in texts)
    assert await desk.sync() == 0  # nothing more to show

    stop, task = await _run(channel, app, api)
    try:
        # The agent answers in the topic: it reaches the customer and is recorded.
        api.push_content(AGENT, {"text": "We come at 15:00"}, chat_id=FORUM, thread_id=thread)
        for _ in range(100):
            async with app.sessions() as s:
                said = await s.scalar(
                    select(TicketMessage).where(TicketMessage.text == "We come at 15:00")
                )
            if said is not None:
                break
            await asyncio.sleep(0.05)
        assert said is not None and said.author_kind == "staff"
        mark = api.mark()
        assert await sender.drain() >= 1
        to_customer = api.find("sendMessage", lambda c: c.params["chat_id"] == CUSTOMER, since=mark)
        assert to_customer is not None and "We come at 15:00" in to_customer.params["text"]
        assert await desk.sync() == 1  # the status changed to in progress...
        assert not any(
            "We come" in c.params.get("text", "")
            for c in api.calls_of("sendMessage")
            if c.params.get("chat_id") == FORUM
        )  # ...and the agent's own message is not copied back

        # A note stays internal.
        mark = api.mark()
        api.push_content(AGENT, {"text": "/note gas valve is old"}, chat_id=FORUM, thread_id=thread)
        ack = await api.wait_for("sendMessage", lambda c: c.params["chat_id"] == FORUM, since=mark)
        assert ack.params["message_thread_id"] == thread and "Note" in ack.params["text"]
        await sender.drain()
        assert (
            api.find("sendMessage", lambda c: c.params["chat_id"] == CUSTOMER, since=mark) is None
        )

        # Resolved in the topic: the customer is told, the topic shows it and closes.
        mark = api.mark()
        api.push_content(
            AGENT, {"text": "/resolve replaced the pipe"}, chat_id=FORUM, thread_id=thread
        )
        await api.wait_for("sendMessage", lambda c: c.params["chat_id"] == FORUM, since=mark)
        await sender.drain()
        told = api.find("sendMessage", lambda c: c.params["chat_id"] == CUSTOMER, since=mark)
        assert told is not None and "resolved" in told.params["text"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    async with app.sessions() as s:
        ticket = await s.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.status == "resolved"
    mark = api.mark()
    assert await desk.sync() == 1
    edit = api.find("editForumTopic", since=mark)
    assert edit is not None and edit.status == 200 and edit.params["name"].startswith("✅")
    assert edit.params["icon_custom_emoji_id"]
    closed = api.find("closeForumTopic", since=mark)
    assert closed is not None and closed.status == 200
    assert api.topics[(FORUM, thread)]["closed"]


async def test_an_answer_to_a_customer_who_blocked_the_bot(
    channel: Any, api: FakeBotAPI, sq_app: Any
) -> None:
    from sqlalchemy import select

    from bot.forum import ForumDesk
    from crm.models import CustomerUser
    from crm.services import tickets

    app = sq_app
    api.forum(FORUM)
    await _people(app)
    app.engine.forum_chat_id = FORUM
    channel.pacer.group_interval = 0.01
    desk = ForumDesk(channel, app.sessions, app.clock, FORUM, "en", app.settings.tz)
    await desk.sync()
    async with app.sessions() as s, s.begin():
        cuser = await s.scalar(select(CustomerUser).where(CustomerUser.tg_user_id == CUSTOMER))
        await tickets.create(
            s, app.rules, cuser, kind="fault", text="No power", now=app.clock.now()
        )
    mark = api.mark()
    await desk.sync()
    thread = api.find("createForumTopic", since=mark).result["message_thread_id"]  # type: ignore[union-attr]
    from bot.sender import OutboxSender

    sender = OutboxSender(app.sessions, channel, app.clock)
    stop, task = await _run(channel, app, api)
    try:
        # Blocked without the bot knowing yet: the send fails, and the agent hears of it.
        api.blocked.add(CUSTOMER)
        mark = api.mark()
        api.push_content(AGENT, {"text": "On our way"}, chat_id=FORUM, thread_id=thread)
        for _ in range(100):
            await sender.drain()
            told = api.find("sendMessage", lambda c: c.params["chat_id"] == AGENT, since=mark)
            if told is not None:
                break
            await asyncio.sleep(0.05)
        assert told is not None and "blocked" in told.params["text"]
        assert "13900001111" in told.params["text"]
        api.blocked.discard(CUSTOMER)
        api.push_member(CUSTOMER, "member")  # unblocked...
        await asyncio.sleep(0.5)
        api.push_member(CUSTOMER, "kicked")  # ...and blocked again: known at once
        await asyncio.sleep(0.5)
        mark = api.mark()
        api.push_content(AGENT, {"text": "Coming now"}, chat_id=FORUM, thread_id=thread)
        warn = await api.wait_for("sendMessage", lambda c: c.params["chat_id"] == FORUM, since=mark)
        assert "blocked" in warn.params["text"] and "13900001111" in warn.params["text"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_a_private_desk_answer_to_a_blocked_customer(app: Any, chat: Any) -> None:
    """The private-chat desk too: not "sent", but kept, with the phone to call."""
    from sqlalchemy import select, update

    from crm.models import Customer, CustomerUser, Ticket
    from crm.services import outbox

    async with app.sessions() as s, s.begin():
        await s.execute(
            update(Ticket).where(Ticket.number == "T-2026-000001").values(status="closed")
        )
    out = await chat(
        "/as customer2",
        "/start",
        "[New request]",
        "[Complaint]",
        "[Service]",
        "The meter reader came at 7am.",
        "[Done]",
        "[Send]",
    )
    number = next(w for w in out.split() if w.startswith("T-2026-")).rstrip(".")
    async with app.sessions() as s, s.begin():
        cuser = await s.scalar(select(CustomerUser).where(CustomerUser.handle == "customer2"))
        customer = await s.get(Customer, cuser.customer_id)
        phone = customer.phone
        await outbox.mark_chat_unreachable(s, cuser.tg_user_id, app.clock.now(), "blocked")
    await chat("/as agent", "[接单]")
    out = await chat("[回复]", "我们已了解情况。")
    assert f"[to customer2] 💬 Answer on {number}" not in out
    assert phone and "屏蔽" in out and phone in out and "[to agent]" in out
