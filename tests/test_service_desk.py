"""The service desk end to end through the console: customer (customer2 reads English), agent,
owner rep and manager."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.app import App
from bot.types import Inbound
from crm.enums import TicketStatus
from crm.models import AuditLog, CustomerUser, FollowUp, Ticket, TicketMessage
from tests.conftest import Transcript


async def _ticket(app: App, number: str) -> Ticket:
    async with app.sessions() as s:
        t = await s.scalar(select(Ticket).where(Ticket.number == number))
        assert t is not None
        return t


async def _only_new_ticket_for_customer2(app: App) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(
            update(Ticket).where(Ticket.number == "T-2026-000001").values(status="closed")
        )


async def test_complaint_round_trip_with_low_rating(app: App, chat: Transcript) -> None:
    await _only_new_ticket_for_customer2(app)
    out = await chat(
        "/as customer2",
        "/start",
        "[New request]",
        "[Complaint]",
        "[Service]",
        "The meter reader came at 7am without notice.",
        "@photo door.jpg",
        "[Done]",
        "[Send]",
    )
    assert "Your request number is T-2026-000004" in out
    assert "[to agent]" in out and "[to rep1]" in out  # the queue and the account's rep
    out = await chat("/as agent", "[接单]")
    assert "[to customer2] Your request T-2026-000004 is now being handled by 客服小刘." in out
    out = await chat("[回复]", "我们已了解情况，会与抄表员沟通。")
    assert "[to customer2] 💬 Answer on T-2026-000004" in out
    t = await _ticket(app, "T-2026-000004")
    assert t.first_response_at is not None and t.status == TicketStatus.IN_PROGRESS
    out = await chat("/as customer2", "Thank you, please make sure it stops.")
    assert "Added to T-2026-000004; the person handling it sees it." in out
    assert "[to agent] 💬 T-2026-000004" in out and "please make sure it stops" in out
    out = await chat("/as agent", "[办结]", "已培训抄表员，上门时间改为9点以后。")
    assert "[to customer2] ✅ Your request T-2026-000004 is resolved." in out
    out = await chat("/as customer2", "[★★]")
    assert "Thank you for rating T-2026-000004: ★★☆☆☆" in out
    assert "[to manager] ⚠️" in out
    out = await chat("Still too slow.")
    t = await _ticket(app, "T-2026-000004")
    assert (t.rating, t.rating_comment, t.status) == (2, "Still too slow.", "closed")
    async with app.sessions() as s:
        fu = await s.scalar(
            select(FollowUp).where(FollowUp.note.like("Return visit: T-2026-000004%"))
        )
        assert fu is not None and fu.customer_id == t.customer_id
        thread = (
            await s.scalars(select(TicketMessage).where(TicketMessage.ticket_id == t.id))
        ).all()
        kinds = [m.author_kind for m in thread]
        assert kinds.count("customer") == 2 and kinds.count("staff") == 2
        assert thread[0].attachments == ["file:door.jpg"]


async def test_second_agent_cannot_take_a_taken_ticket(app: App, chat: Transcript) -> None:
    await chat("/as agent", "/tickets", "[T-2026-000003]", "[接单]")
    t = await _ticket(app, "T-2026-000003")
    assert t.status == TicketStatus.IN_PROGRESS
    # rep2 is not the owner and not a manager: the buttons refuse and change nothing.
    replies = await app.engine.handle(
        Inbound(
            channel="console",
            update_id=7001,
            chat_id=1004,
            user_id=1004,
            callback=f"tk_resolve:{t.id}",
        )
    )
    assert "not available" in replies[0].text or "handled by" in replies[0].text
    assert (await _ticket(app, "T-2026-000003")).status == TicketStatus.IN_PROGRESS


async def test_transfer_passes_responsibility(app: App, chat: Transcript) -> None:
    # T-2026-000002 belongs to rep2's customer; rep2 hands it to the service desk's agent.
    out = await chat("/as rep2", "/tickets", "[T-2026-000002]", "[Transfer]")
    assert "Lucy Chen" not in out.split("to whom?")[1]  # not to oneself
    out = await chat("[客服小刘]")
    assert "T-2026-000002 now goes to 客服小刘" in out
    assert "[to agent]" in out and "[to customer3]" in out
    t = await _ticket(app, "T-2026-000002")
    assert t.owner_id is not None and t.status == TicketStatus.IN_PROGRESS


async def test_reopen_within_the_window_only(app: App, chat: Transcript) -> None:
    await _only_new_ticket_for_customer2(app)
    await chat("/as agent", "/tickets", "[T-2026-000001]")
    async with app.sessions() as s, s.begin():
        await s.execute(
            update(Ticket)
            .where(Ticket.number == "T-2026-000001")
            .values(status="resolved", resolved_at=app.clock.now(), resolution_note="done")
        )
    out = await chat("/as customer2", "/my", "[T-2026-000001]")
    assert "Reopen" in out
    out = await chat("[Reopen]")
    assert "T-2026-000001 is open again" in out
    assert (await _ticket(app, "T-2026-000001")).status == TicketStatus.IN_PROGRESS
    async with app.sessions() as s, s.begin():
        await s.execute(
            update(Ticket)
            .where(Ticket.number == "T-2026-000001")
            .values(status="resolved", resolved_at=app.clock.now() - timedelta(days=8))
        )
    t = await _ticket(app, "T-2026-000001")
    replies = await app.engine.handle(
        Inbound(
            channel="console", update_id=7101, chat_id=2002, user_id=2002, callback=f"reopen:{t.id}"
        )
    )
    assert "can no longer be reopened" in replies[0].text


async def test_forged_ticket_button_is_refused_and_logged(app: App, chat: Transcript) -> None:
    other = await _ticket(app, "T-2026-000003")  # customer4's
    async with app.sessions() as s:
        before = await s.scalar(select(func.count()).select_from(AuditLog))
    for payload in (
        f"mytk:{other.id}",
        f"rate:{other.id}:5",
        f"reopen:{other.id}",
        "mytk:99999",
        f"tk_take:{other.id}",
    ):
        replies = await app.engine.handle(
            Inbound(
                channel="console",
                update_id=abs(hash(payload)) % 10**9,
                chat_id=2002,
                user_id=2002,
                callback=payload,
            )
        )
        assert replies and "not available" in replies[0].text, payload
        assert "抄表员" not in replies[0].text  # nothing of the other customer's text leaks
    t = await _ticket(app, "T-2026-000003")
    assert (t.status, t.rating) == (other.status, None)
    async with app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(AuditLog)) == before


async def test_linking_by_shared_phone(app: App, chat: Transcript) -> None:
    out = await chat("/as customer6", "/start")
    assert "📱" in out  # unlinked: the share-my-number button is offered
    # A forwarded contact card (someone else's number) is not accepted.
    replies = await app.engine.handle(
        Inbound(
            channel="console",
            update_id=7201,
            chat_id=2006,
            user_id=2006,
            contact_phone="+8613810023757",
            contact_user_id=999,
        )
    )
    assert "本人的手机号码" in replies[0].text
    async with app.sessions() as s:
        cu = await s.scalar(select(CustomerUser).where(CustomerUser.handle == "customer6"))
        assert cu is not None and cu.customer_id is None
    out = await chat("@contact +86 138 1002 3757")
    async with app.sessions() as s:
        cu = await s.scalar(select(CustomerUser).where(CustomerUser.handle == "customer6"))
        assert cu is not None and cu.customer_id is not None


async def test_unlinked_sender_becomes_a_lead(app: App, chat: Transcript) -> None:
    await chat("/as stranger", "/new", "[1]", "[1]", "多少钱？", "[1]", "[1]")
    async with app.sessions() as s:
        cu = await s.scalar(select(CustomerUser).where(CustomerUser.handle == "stranger"))
        assert cu is not None and cu.customer_id is not None
        t = await s.scalar(select(Ticket).where(Ticket.customer_user_id == cu.id))
        assert t is not None and t.customer_id == cu.customer_id


async def test_tickets_list_filters_and_pages(app: App, chat: Transcript) -> None:
    for i in range(9):
        await chat(f"/as walkin{i}", "/new", "[1]", "[1]", f"问题 {i}", "[1]", "[1]")
    out = await chat("/as agent", "/tickets")
    assert "page 1 of 2" in out or "第1/2页" in out or "1/2" in out
    out = await chat("[更早]")
    assert "2/2" in out or "page 2 of 2" in out


async def test_rep_invites_a_customer_from_the_card(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "/customers Harbor", "[Harbor]", "[Invite]")
    link = next(line for line in out.splitlines() if line.startswith("https://t.me/"))
    token = link.split("start=")[1]
    out = await chat("/as harborowner", f"/start {token}")
    assert "linked to Harbor Cafe" in out or "Harbor Cafe" in out
    async with app.sessions() as s:
        cu = await s.scalar(select(CustomerUser).where(CustomerUser.handle == "harborowner"))
        assert cu is not None and cu.customer_id is not None
    out = await chat("/as someoneelse", f"/start {token}")
    assert "already been used" in out or "已被使用" in out
