"""What people type is never lost nor put where they did not mean (issue 16's six cases).

Each case is played through the console as a rep (rep1 in zh_CN, rep2 in en), a customer or an
agent, and checked against both the chat and the rows.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from crm.models import FollowUp, ParkedDraft, Ticket, TicketMessage, Visit
from tests.conftest import Transcript
from tests.helpers import customer, staff


async def _parked(app: App) -> list[ParkedDraft]:
    async with app.sessions() as s:
        return list(await s.scalars(select(ParkedDraft).order_by(ParkedDraft.id)))


async def _count(app: App, model: type, *where: object) -> int:
    async with app.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where)) or 0


# 1. A command or a menu button in the middle of a flow parks the draft.


async def test_a_command_parks_a_followup_draft_and_today_lists_it_zh(
    app: App, chat: Transcript
) -> None:
    await chat("/as rep1", "/followup", "hndc", "[1]")
    out = await chat("明天 10:00", "/today")
    assert "已保存为草稿" in out and "跟进华能电厂" in out
    parked = await _parked(app)
    assert [p.flow for p in parked] == ["fu"]
    assert "草稿：跟进华能电厂" in out  # listed in /today too
    out = await chat("[继续]")
    assert "下一步做什么" in out
    out = await chat("发报价单")
    assert "已保存" in out
    rep = await staff(app, "rep1")
    hn = await customer(app, "华能电厂")
    async with app.sessions() as s:
        fu = await s.scalar(
            select(FollowUp).where(FollowUp.staff_id == rep.id, FollowUp.note == "发报价单")
        )
    assert fu is not None and fu.customer_id == hn.id
    assert await _parked(app) == []


async def test_a_menu_button_parks_a_one_message_visit_on_its_card_en(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as rep2", "visited Acme Logistics, met Tom, quote accepted")
    assert "Visit to Acme Logistics" in out and "Save" in out
    out = await chat("/today")
    assert "Visit to Acme Logistics — kept as a draft." in out
    assert await _count(app, Visit, Visit.outcome.contains("quote accepted")) == 0
    out = await chat("[Resume]")
    assert "Visit to Acme Logistics" in out and "quote accepted" in out
    await chat("[Save]")
    assert await _count(app, Visit, Visit.outcome.contains("quote accepted")) == 1


async def test_cancel_names_what_it_discards(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/followup", "Acme", "[1]")
    out = await chat("/cancel")
    assert "Discarded: Follow-up with Acme Logistics." in out
    assert await _parked(app) == []


# 2. A half-read message is not glued onto the next one.


async def test_a_message_that_was_not_understood_is_not_glued_onto_the_next_zh(
    app: App, chat: Transcript
) -> None:
    await chat("/as rep1", "红星汽修 回访 12月15号 15:30 再联系")
    out = await chat("拜访了清风茶社，老板不在")
    assert "拜访：清风茶社" in out
    await chat("[保存]")
    qf = await customer(app, "清风茶社")
    async with app.sessions() as s:
        visit = await s.scalar(
            select(Visit).where(Visit.customer_id == qf.id).order_by(Visit.id.desc()).limit(1)
        )
        fus = list(await s.scalars(select(FollowUp).where(FollowUp.customer_id == qf.id)))
    assert visit is not None and "老板不在" in (visit.outcome or "")
    assert "红星汽修" not in (visit.outcome or "")
    assert all(f.due_at.day != 15 for f in fus)
    # The first message is still there, kept as a draft, not lost.
    titles = [p.title for p in await _parked(app)]
    assert any("红星汽修" in t for t in titles)


async def test_a_visit_report_typed_where_a_customer_was_asked_is_its_own_message_en(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as rep2", "met the owner, talked about prices")
    assert "Which customer was this?" in out
    out = await chat("visited Lotus Spa, the owner was out")
    assert "Visit to Lotus Spa" in out
    assert [p.flow for p in await _parked(app)] == ["visit"]


# 3. A customer's words always land.


async def test_a_customer_with_two_open_requests_keeps_their_words_while_picking(
    app: App, chat: Transcript
) -> None:
    # customer1 (华能电厂) opens a second request, then writes outside any flow.
    for words in ("电费账单怎么看", "能开发票吗"):
        await chat("/as customer1", "/new", "[咨询]", "[1]", words, "[完成]", "[提交]")
    out = await chat("抄表数字不对")
    assert "是关于哪个工单的" in out
    out = await chat("上个月也不对")
    assert "是关于哪个工单的" in out and "无权" not in out and "没有权限" not in out
    out = await chat("[1]")
    assert "已添加到" in out
    async with app.sessions() as s:
        msg = await s.scalar(
            select(TicketMessage).where(TicketMessage.text.contains("抄表数字不对"))
        )
    assert msg is not None and "上个月也不对" in (msg.text or "")


async def test_a_customer_without_an_open_request_starts_one_with_their_words(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as customer6", "My meter shows zero since yesterday")
    assert "“My meter shows zero since yesterday”" in out or "My meter shows zero" in out
    out = await chat("[故障报修]", "[1]")
    out = await chat("[完成]")
    assert "My meter shows zero since yesterday" in out
    await chat("[提交]")
    assert await _count(app, Ticket, Ticket.text.contains("My meter shows zero")) == 1


async def test_a_customer_message_with_one_open_request_lands_on_it_and_can_be_moved(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as customer2", "Still flickering tonight")
    assert "Added to T-" in out
    before = await _count(app, Ticket)
    out = await chat("[It's a new request]")
    assert "What would you like to send us?" in out and "Still flickering tonight" in out
    assert await _count(app, TicketMessage, TicketMessage.text == "Still flickering tonight") == 0
    await chat("[Fault report]", "[1]", "[Done]", "[Send]")
    assert await _count(app, Ticket) == before + 1


# 4. After a location pin outside a flow, words are read, not refused.


async def test_words_after_a_pin_are_read_not_refused(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "@loc 31.231,121.471")
    assert "在哪位客户处签到" in out
    out = await chat("拜访华能电厂，见了张工，谈报价")
    assert "无权" not in out and "不可用" not in out
    assert "拜访：华能电厂" in out


# 5. Understood or honestly not.


async def test_text_that_matches_no_flow_gets_what_was_recognised_not_the_help_en(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as rep2", "budget review next Tuesday")
    assert "What you can do here" not in out
    assert "date Tue 8 Dec" in out and "Log as a visit" in out and "Plan a follow-up" in out
    out = await chat("[Plan a follow-up]", "Acme", "[1]")
    assert "Save it with this note" in out
    await chat("[Save]")
    rep = await staff(app, "rep2")
    assert (
        await _count(app, FollowUp, FollowUp.staff_id == rep.id, FollowUp.note.contains("budget"))
        == 1
    )


async def test_text_that_matches_no_flow_gets_what_was_recognised_not_the_help_zh(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as rep1", "预算评审 下周二")
    assert "您可以使用以下功能" not in out
    assert "12月8日" in out and "记为拜访" in out


# 6. Telegram conventions: presses edit, refusals are answers on the button.


async def test_a_press_edits_its_message_and_a_stale_press_is_a_toast(
    app: App, chat: Transcript
) -> None:
    await chat("/as rep2", "/visit", "Acme")
    sent = chat.demo.channel.sent
    n = len(sent)
    await chat("[On-site]")
    assert sent[n].edit_message_id is not None
    old = [o for o in sent if "How did you meet" in o.text or "how did you meet" in o.text]
    assert old
    n = len(sent)
    # The kind step's buttons again, now stale: answered on the button, not in the chat.
    from tests.helpers import press

    await press(chat, app, "rep2", "~visit.kind:onsite")
    answers = sent[n:]
    assert answers and all(o.notice == "toast" for o in answers)


async def test_a_forged_press_on_someone_elses_card_is_an_alert(app: App, chat: Transcript) -> None:
    from tests.helpers import press

    await chat("/as rep2")
    hn = await customer(app, "华能电厂")  # rep1's
    n = len(chat.demo.channel.sent)
    await press(chat, app, "rep2", f"stage:{hn.id}")
    answers = chat.demo.channel.sent[n:]
    assert answers and answers[0].notice == "alert"


async def test_labels_keep_user_text_plain(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/newcustomer", "Smith & <Sons>", "[Skip]", "[C]")
    out = await chat("/visit", "Smith")
    assert "&amp;" not in out.split("Smith", 1)[1][:40]
