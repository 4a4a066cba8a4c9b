"""Media both ways (issue 20, item 1): a fault report with an album of two photos and a pin
reaches the agent as two photos and a pin, and appears in the request's view; the agent's photo
reaches the customer; a document and voice cross too."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.app import App
from crm.models import Ticket, TicketMessage
from tests import helpers
from tests.conftest import Transcript


def after(out: str, who: str) -> list[str]:
    """The lines of the last message to `who`, its media lines included."""
    lines = out.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith(f"[to {who}]"))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if line.startswith("[to ") or line.startswith("> "):
            break
        block.append(line)
    return block


async def test_fault_album_and_pin_reach_the_agent_and_the_view(app: App, chat: Transcript) -> None:
    out = await chat(
        "/as customer1",
        "/new",
        "[故障报修]",
        "[1]",
        "配电房冒烟，整片停电",
        "@photo smoke1.jpg alb1",
        "@photo smoke2.jpg alb1",
        "@loc 31.2304,121.4737",
        "[完成]",
        "[提交]",
    )
    notice = after(out, "agent")
    assert notice.count("[photo (album)]") == 2
    # The pin with its address (crm.geocode, offline, Chinese names in China): on the pin's
    # line and in the words.
    pin = "[location 31.2304,121.4737 — near 黄浦区, 上海市, China]"
    assert pin in notice
    assert "📍 黄浦区附近（上海市, 中国）" in notice
    t = await helpers.ticket(app, "T-2026-000004")
    view = await helpers.press(chat, app, "agent", f"tk:{t.id}")
    assert "📎 2张照片、📍 位置" in view
    assert view.count("[photo (album)]") == 2 and pin in view
    assert "📍 黄浦区附近（上海市, 中国）" in view
    # The agent answers with a photo; it reaches the customer as a photo.
    out = await chat("/as agent", "[接单]", "[回复]", "@photo fixed.jpg")
    reply = after(out, "customer1")
    assert "[photo]" in reply and "📎 1张照片" in reply[0] + "\n".join(reply)


async def test_customer_document_and_voice_reach_the_owner_in_english(
    app: App, chat: Transcript
) -> None:
    async with app.sessions() as s, s.begin():
        agent = await s.scalar(select(helpers.Staff).where(helpers.Staff.handle == "agent"))
        assert agent is not None
        agent.locale = "en"
        await s.execute(update(Ticket).values(status="closed"))
    await chat("/as customer2", "/new", "[Inquiry]", "[Billing]", "Why is the bill high?", "[Done]")
    await chat("[Send]")
    await chat("/as agent", "[Take]")
    out = await chat("/as customer2", "@doc README.md")
    block = after(out, "agent")
    assert "[document README.md]" in block and "📎 1 document" in "\n".join(block)
    out = await chat("@voice note.ogg")
    block = after(out, "agent")
    assert "[voice]" in block and "📎 1 voice message" in "\n".join(block)
    async with app.sessions() as s:
        kinds = [
            m["kind"]
            for row in (await s.scalars(select(TicketMessage.media))).all()
            if row
            for m in row
        ]
        assert kinds.count("document") == 1 and kinds.count("voice") == 1


async def test_a_pin_at_sea_has_no_address_but_still_crosses(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Ticket).values(status="closed"))
    await chat("/as customer2", "/new", "[Fault report]", "[1]", "No power on board")
    out = await chat("@loc 0.0,-140.0", "[Done]", "[Send]")
    notice = after(out, "agent")
    assert "[location 0.0000,-140.0000]" in notice
    assert not any(line.startswith("📍 ") and "附近" in line for line in notice)
    # A pin near Moscow, added to the same request, gets its address.
    await chat("/as agent", "[接单]")
    out = await chat("/as customer2", "@loc 55.7558,37.6173")
    block = after(out, "agent")
    assert "[location 55.7558,37.6173 — near Moscow, Moscow, Russia]" in block
    assert "📍 Moscow附近（Moscow, 俄罗斯）" in block


async def _press_as_customer(chat: Transcript, app: App, handle: str, payload: str) -> str:
    import secrets

    from bot.types import Inbound
    from crm.models import CustomerUser

    async with app.sessions() as s:
        cuser = await s.scalar(select(CustomerUser).where(CustomerUser.handle == handle))
        assert cuser is not None
        uid = cuser.tg_user_id
    start = len(chat.lines)
    inbound = Inbound("console", secrets.randbits(62), uid, uid, callback=payload)
    await chat.demo.channel.deliver(inbound, await app.engine.handle(inbound))
    await chat.demo.sender.drain()
    return "\n".join(chat.lines[start:])


async def test_my_requests_show_the_files_and_the_pin_but_no_internal_note(
    app: App, chat: Transcript
) -> None:
    await chat(
        "/as customer1",
        "/new",
        "[故障报修]",
        "[1]",
        "配电房冒烟，整片停电",
        "@photo smoke1.jpg alb1",
        "@photo smoke2.jpg alb1",
        "@loc 31.2304,121.4737",
        "[完成]",
        "[提交]",
    )
    await chat("/as agent", "[接单]", "[回复]", "@photo fixed.jpg")
    t = await helpers.ticket(app, "T-2026-000004")
    async with app.sessions() as s, s.begin():
        s.add(
            TicketMessage(
                ticket_id=t.id,
                author_kind="note",
                author_id=None,
                text="内部：客户脾气差",
                created_at=t.created_at,
            )
        )
    view = await _press_as_customer(chat, app, "customer1", f"mytk:{t.id}")
    # Two album photos and the pin from the customer, the agent's photo back, as the staff's
    # view sends them; the counts and the address in the words.
    assert view.count("[photo (album)]") == 2 and view.count("[photo]") == 1
    assert "[location 31.2304,121.4737 — near 黄浦区, 上海市, China]" in view
    assert "📎 2张照片、📍 位置" in view and "客服：📎 1张照片" in view
    assert "📍 黄浦区附近（上海市, 中国）" in view
    assert "客户脾气差" not in view  # staff's internal note
