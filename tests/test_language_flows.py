"""The issue-17 walk-through through the console: messages reps really typed (customer first, a
plan, past days, follow-ups said many ways, pinyin initials, English with a Chinese name), each
of which got the help menu or was saved wrong before crm.language read them.

The seeded demo company starts on Tue 2026-12-01 09:00 Asia/Shanghai; rep1 (张伟, zh_CN) owns
城东小学, 国际会展中心, 东方钢铁集团, 安平社区医院, 天和药房 (thyf), 华能电厂 and 百佳超市; rep2
(Lucy Chen, en) owns Lotus Spa and 长江水泥.
"""

from __future__ import annotations

import secrets

from bot.app import App
from bot.types import Inbound
from crm.models import FollowUp, Visit
from tests.conftest import Transcript
from tests.test_sales_flows_zh import at, count, customer, one, staff

HELP = "您可以使用以下功能"


async def send(chat: Transcript, app: App, handle: str, **fields: object) -> str:
    """An update the console's line protocol cannot type: a photo or voice note with a caption."""
    person = await staff(app, handle)
    assert person.tg_user_id is not None
    start = len(chat.lines)
    inbound = Inbound(
        channel="console",
        update_id=secrets.randbits(62),
        chat_id=person.tg_user_id,
        user_id=person.tg_user_id,
        **fields,  # type: ignore[arg-type]
    )
    for out in await app.engine.handle(inbound):
        await chat.demo.channel.send(out)
    await chat.demo.sender.drain()
    return "\n".join(chat.lines[start:])


async def test_customer_first_message_is_a_visit(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "城东小学 电话沟通 校长说月底前定")
    assert HELP not in out
    for fragment in (
        "拜访：城东小学",
        "拜访方式：电话沟通",
        "拜访对象：校长",
        "跟进时间：12月31日",
    ):
        assert fragment in out, fragment
    await chat("[保存]")
    cd = await customer(app, "城东小学")
    v = await one(app, Visit, Visit.customer_id == cd.id, Visit.outcome.contains("校长说月底前定"))
    assert v.kind == "phone" and v.contacts_met == "校长" and v.visited_at == at(12, 1, 9)
    fu = await one(app, FollowUp, FollowUp.visit_id == v.id)
    assert fu.due_at == at(12, 31, 9)


async def test_a_plan_becomes_a_follow_up_not_a_visit(app: App, chat: Transcript) -> None:
    visits = await count(app, Visit)
    out = await chat("/as rep1", "后天下午三点半去国际会展中心签合同")
    assert "计划联系：国际会展中心" in out and "计划时间：12月3日 周四 15:30" in out
    assert "不记录拜访" in out
    out = await chat("[保存]")
    assert "已保存：国际会展中心 的跟进。" in out
    hz = await customer(app, "国际会展中心")
    fu = await one(
        app, FollowUp, FollowUp.customer_id == hz.id, FollowUp.due_at == at(12, 3, 15, 30)
    )
    assert fu.note == "签合同" and fu.kind == "onsite"  # what for; when and where are fields
    assert fu.visit_id is None and await count(app, Visit) == visits


async def test_a_planned_call_keeps_its_purpose_as_the_note(app: App, chat: Transcript) -> None:
    """明天…打电话问回款 is a plan (问 is what the call is for), not a call made today."""
    visits = await count(app, Visit)
    out = await chat("/as rep1", "明天上午十点给宏达五金打电话问回款")
    assert "计划联系：宏达五金" in out and "方式：电话沟通" in out
    assert "计划时间：12月2日 周三 10:00" in out and "问回款" in out
    await chat("[保存]")
    hd = await customer(app, "宏达五金")
    fu = await one(app, FollowUp, FollowUp.customer_id == hd.id, FollowUp.kind == "phone")
    assert fu.due_at == at(12, 2, 10) and fu.note == "问回款"
    assert await count(app, Visit) == visits


async def test_every_word_of_a_spoken_visit_is_kept(app: App, chat: Transcript) -> None:
    """Typed at 09:00 about this afternoon: the visit is today (at the latest now), the
    follow-up next Wednesday, and 答复 stays in the outcome."""
    said = "今天下午去了华能电厂，跟李工聊了变压器增容的事，他说下周三前给答复"
    out = await chat("/as rep1", said)
    assert "拜访：华能电厂" in out and "拜访对象：李工" in out
    assert "跟进时间：12月9日" in out
    await chat("[保存]")
    hn = await customer(app, "华能电厂")
    v = await one(app, Visit, Visit.customer_id == hn.id, Visit.outcome.contains("答复"))
    assert "变压器增容" in v.outcome and "下周三前给答复" in v.outcome
    assert v.visited_at == at(12, 1, 9)
    fu = await one(app, FollowUp, FollowUp.visit_id == v.id)
    assert fu.due_at == at(12, 9, 9)


async def test_a_planned_call_is_not_a_call_made_today(app: App, chat: Transcript) -> None:
    visits = await count(app, Visit)
    out = await chat("/as rep1", "明天给东方钢铁打电话")
    assert "计划联系：东方钢铁集团" in out and "方式：电话沟通" in out
    await chat("[保存]")
    dg = await customer(app, "东方钢铁集团")
    fu = await one(app, FollowUp, FollowUp.customer_id == dg.id, FollowUp.kind == "phone")
    assert fu.due_at == at(12, 2, 9) and await count(app, Visit) == visits


async def test_a_past_day_dates_the_visit(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "上周五拜访了安平社区医院 院长很关心电费")
    assert "拜访时间：11月27日 周五 09:00" in out
    assert "拜访结果：院长很关心电费" in out and "上周五" not in out.split("拜访结果：")[1]
    await chat("[保存]")
    ap = await customer(app, "安平社区医院")
    v = await one(app, Visit, Visit.customer_id == ap.id, Visit.outcome == "院长很关心电费")
    assert v.visited_at == at(11, 27, 9) and v.created_at == at(12, 1, 9)

    out = await chat("/as rep2", "visited Lotus Spa yesterday, manager wants a discount")
    # The person who wants it stays in the sentence (nothing the rep typed is lost).
    assert "Visit time: Mon 30 Nov 09:00" in out and "Outcome: manager wants a discount" in out
    await chat("[Save]")
    spa = await customer(app, "Lotus Spa")
    v = await one(
        app, Visit, Visit.customer_id == spa.id, Visit.outcome == "manager wants a discount"
    )
    assert v.visited_at == at(11, 30, 9)


async def test_an_appointment_is_the_follow_up_not_a_person(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "拜访华能电厂 见了张工 约了下周四下午去签合同")
    assert "拜访对象：张工\n" in out and "下周四" not in out.split("拜访对象：")[1].split("\n")[0]
    assert "跟进时间：12月10日 周四 15:00" in out


async def test_follow_ups_said_many_ways(app: App, chat: Transcript) -> None:
    cases = [
        ("百佳超市 老板 谈了续约 月底跟进", "跟进时间：12月31日 周四 09:00"),
        ("华能电厂 张工 电话聊了 今晚8点再打电话", "跟进时间：12月1日 周二 20:00"),
        ("东方钢铁 王总 报价发过去了 下周一再催", "跟进时间：12月7日 周一 09:00"),
    ]
    for text, expected in cases:
        out = await chat("/as rep1", text)
        assert expected in out, (text, out)
        await chat("[取消]")


async def test_pinyin_initials_first(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "thyf 客情维护 下周五下午2点跟进")
    assert "拜访：天和药房" in out and "跟进时间：12月11日 周五 14:00" in out


async def test_english_with_a_chinese_customer(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "visited 长江水泥, 谈了 pricing, follow up 12/15 3:30pm")
    assert "Visit to 长江水泥" in out and "Follow-up: Tue 15 Dec 15:30" in out


async def test_no_customer_found_offers_the_nearest_and_keeps_the_reading(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as rep1", "拜访了新星电子 见了周总 下周一再去")
    assert "没有与“新星电子”匹配的客户。是下面其中一个吗？" in out
    assert out.count("[") - out.count("[取消]") >= 5  # three names, new customer, cancel
    assert "➕ 新建客户" in out
    out = await chat("[华能电厂]")
    assert "拜访：华能电厂" in out and "拜访对象：周总" in out
    assert "跟进时间：12月7日 周一 09:00" in out


async def test_an_ambiguous_customer_asks_only_that(app: App, chat: Transcript) -> None:
    from crm.services.customers import new_customer

    rep1 = await staff(app, "rep1")
    async with app.sessions() as s, s.begin():
        s.add(new_customer("华能物流", owner_id=rep1.id, team=rep1.team, customer_class="C"))
    out = await chat("/as rep1", "华能 张工 谈了报价 周五再跟进")
    assert "您指的是哪个客户？" in out and "华能电厂" in out and "华能物流" in out
    out = await chat("[华能物流]")
    assert "拜访：华能物流" in out and "拜访对象：张工" in out and "跟进时间：12月4日 周五" in out


async def test_visit_time_edited_future_refused_old_confirmed(app: App, chat: Transcript) -> None:
    await chat("/as rep1", "华能电厂 见了张工 谈了报价")
    out = await chat("[修改]", "[拜访时间]", "明天上午")
    assert "拜访时间不能在将来" in out
    out = await chat("2026-10-20 10:00")
    assert "已超过 30 天" in out
    out = await chat("[是，保留]")
    assert "拜访时间：10月20日 周二 10:00" in out
    await chat("[保存]")
    hn = await customer(app, "华能电厂")
    v = await one(app, Visit, Visit.customer_id == hn.id, Visit.outcome == "谈了报价")
    assert v.visited_at == at(10, 20, 10)


async def test_photo_and_voice_captions_are_read_alike(app: App, chat: Transcript) -> None:
    await chat("/as rep1")
    out = await send(chat, app, "rep1", text="百佳超市 老板 看了样品 下周一跟进", photo_ids=("p1",))
    assert "拜访：百佳超市" in out and "照片：1张" in out and "跟进时间：12月7日" in out
    await chat("[取消]")
    out = await send(chat, app, "rep1", text="明天给东方钢铁打电话", voice_id="v1")
    assert "计划联系：东方钢铁集团" in out


async def test_plan_completion_counts_the_visit_in_its_own_month(
    app: App, chat: Transcript
) -> None:
    from crm.services import plans

    rep1 = await staff(app, "rep1")
    async with app.sessions() as s:
        before_nov = await plans.visits_by_class(s, rep1.id, at(11, 1, 0), at(12, 1, 0))
        before_dec = await plans.visits_by_class(s, rep1.id, at(12, 1, 0), at(12, 31, 0))
    await chat("/as rep1", "上周五拜访了安平社区医院 院长很关心电费", "[保存]")
    async with app.sessions() as s:
        nov = await plans.visits_by_class(s, rep1.id, at(11, 1, 0), at(12, 1, 0))
        dec = await plans.visits_by_class(s, rep1.id, at(12, 1, 0), at(12, 31, 0))
    assert nov.get("C", 0) == before_nov.get("C", 0) + 1  # 安平社区医院 is class C
    assert dec == before_dec


async def test_a_date_either_way_round_asks_only_that(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "visited Orion Gym, met the manager, follow up 5/12")
    assert "Which date did you mean?" in out and "Visit to" not in out
    out = await chat("[2]")  # 5 December, the next one
    assert "Visit to Orion Gym" in out and "Met: manager" in out
    assert "Follow-up: Sat 5 Dec 09:00" in out
