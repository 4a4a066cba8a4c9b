"""Field-sales flows through the console in Simplified Chinese, as rep1 (张伟) and 李经理 see them.

The seeded demo company starts on Tue 2026-12-01 09:00 Asia/Shanghai. rep1 owns 华能电厂 (class A,
pinyin initials hndc, at 31.231,121.471), 东方钢铁集团, 国际会展中心, 明珠酒店 …; his seeded
follow-up on 国际会展中心 is due at 12:00 on the first day. The tests assert on stable fragments of
the Chinese texts (from locales/zh_CN/LC_MESSAGES/messages.po) and on the rows that matter.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from bot.app import App
from crm.enums import FollowUpStatus, Stage
from crm.models import Customer, CustomerChange, FollowUp, Staff, Visit
from tests.conftest import Transcript

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


async def one(app: App, model: type, *where: Any) -> Any:
    async with app.sessions() as s:
        return await s.scalar(select(model).where(*where))


async def rows(app: App, model: type, *where: Any) -> list[Any]:
    async with app.sessions() as s:
        return list(await s.scalars(select(model).where(*where).order_by(model.id)))  # type: ignore[attr-defined]


async def count(app: App, model: type, *where: Any) -> int:
    async with app.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def staff(app: App, handle: str) -> Staff:
    found = await one(app, Staff, Staff.handle == handle)
    assert found is not None
    return found


async def customer(app: App, name: str) -> Customer:
    found = await one(app, Customer, Customer.name == name)
    assert found is not None
    return found


def to(out: str, handle: str) -> str:
    """Only the messages sent to that person (each with its following lines)."""
    kept: list[str] = []
    keep = False
    for line in out.splitlines():
        if line.startswith("[to ") or line.startswith("> ") or line.startswith("("):
            keep = line.startswith(f"[to {handle}]")
        if keep:
            kept.append(line)
    return "\n".join(kept)


async def test_guided_visit_with_pin_photo_and_followup(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "/start", "[登记拜访]")
    assert "拜访 · 第1/8步" in out and "拜访哪位客户？请输入名称、电话或拼音首字母。" in out
    out = await chat("hndc")
    assert "拜访 · 第2/8步" in out and "华能电厂：本次拜访方式？" in out
    out = await chat("[上门拜访]")
    assert "拜访 · 第3/8步" in out and "本次拜访目的？" in out
    out = await chat("[报价]")
    assert "拜访 · 第4/8步" in out and "沟通了哪些内容？结果如何？" in out
    out = await chat("看了配电室，客户要变压器增容报价")
    assert "拜访 · 第5/8步" in out and "见了哪些人？" in out
    out = await chat("[张工]", "[李总]")
    assert "✓ 张工" in out and "✓ 李总" in out
    out = await chat("[完成]")
    assert "拜访 · 第6/8步" in out and "签到：请发送您的位置" in out
    out = await chat("@loc 31.2312,121.4712")
    assert "📍 已记录位置。可继续添加照片，或点击“完成”。" in out
    out = await chat("@photo site.jpg")
    assert "已添加照片（共1张）" in out
    out = await chat("[完成]")
    assert "拜访 · 第7/8步" in out and "什么时候跟进？" in out
    out = await chat("明天下午3点")
    assert "拜访 · 第8/8步" in out
    for fragment in (
        "拜访：华能电厂",
        "拜访方式：上门拜访",
        "拜访目的：报价",
        "拜访结果：看了配电室，客户要变压器增容报价",
        "拜访对象：张工",
        "李总",
        "📍 已签到，距客户地址29米",
        "照片：1张",
        "跟进时间：12月2日 周三 15:00",
        "✅ 保存",
    ):
        assert fragment in out, fragment
    assert await count(app, Visit, Visit.outcome == "看了配电室，客户要变压器增容报价") == 0

    out = await chat("[保存]")
    assert "已保存对华能电厂的拜访记录。" in out
    assert "将于12月2日 周三 15:00提醒您。" in out
    hn = await customer(app, "华能电厂")
    rep1 = await staff(app, "rep1")
    v = await one(app, Visit, Visit.outcome == "看了配电室，客户要变压器增容报价")
    assert (v.customer_id, v.staff_id, v.kind, v.purpose) == (hn.id, rep1.id, "onsite", "quote")
    assert re.split(r"\s*[,，、]\s*", v.contacts_met) == ["张工", "李总"]
    assert 25 < v.distance_m < 35 and not v.far_from_address
    assert v.photo_ids == ["file:site.jpg"]
    assert v.visited_at == at(12, 1, 9)
    fu = await one(app, FollowUp, FollowUp.visit_id == v.id)
    assert fu.due_at == at(12, 2, 15) and fu.staff_id == rep1.id and fu.status == "open"
    # The visit renews rep1's claim on the customer.
    assert hn.claim_expires_at == app.clock.now() + timedelta(days=60)


async def test_one_message_visit(app: App, chat: Transcript) -> None:
    visits = await count(app, Visit)
    out = await chat("/as rep1", "拜访华能电厂，见了张工，谈变压器报价，下周二下午跟进")
    assert "拜访 · 第8/8步" in out
    for fragment in (
        "拜访：华能电厂",
        "拜访方式：上门拜访",
        "拜访结果：谈变压器报价",
        "拜访对象：张工",
        "跟进时间：12月8日 周二 15:00",
        "✅ 保存",
    ):
        assert fragment in out, fragment
    # Nothing is saved before the rep confirms.
    assert await count(app, Visit) == visits

    out = await chat("[保存]")
    assert "已保存对华能电厂的拜访记录。" in out and "将于12月8日 周二 15:00提醒您。" in out
    assert await count(app, Visit) == visits + 1
    hn = await customer(app, "华能电厂")
    v = await one(app, Visit, Visit.outcome == "谈变压器报价")
    assert v.customer_id == hn.id and v.kind == "onsite" and v.contacts_met == "张工"
    assert v.distance_m is None and v.photo_ids == []
    (fu,) = await rows(app, FollowUp, FollowUp.visit_id == v.id)
    assert fu.due_at == at(12, 8, 15) and fu.customer_id == hn.id
    assert fu.status == FollowUpStatus.OPEN and fu.reminded_at is None


async def test_checkin_pin_offers_nearby_customers(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "@loc 31.231,121.471")
    assert "在哪位客户处签到？" in out
    assert "华能电厂 · 0米" in out and "东方钢铁集团 · 146米" in out
    # Acme Logistics (rep2's) is about 290 m away but is not rep1's to check in at.
    assert "Acme Logistics" not in out
    out = await chat("/cancel", "@loc 31.2312,121.4712")
    assert "华能电厂 · 29米" in out
    out = await chat("[华能电厂]")
    assert "拜访 · 第2/8步" in out and "华能电厂：本次拜访方式？" in out
    assert "第1/8步" not in out
    # The pin that started it is the visit's check-in.
    await chat("[电话沟通]", "[客情维护]", "例行巡检", "[跳过]")
    out = await chat("[完成]", "[无需跟进]")
    assert "拜访 · 第8/8步" in out and "📍 已签到，距客户地址29米" in out
    assert "拜访方式：电话沟通" in out and "跟进时间：无" in out
    await chat("[保存]")
    v = await one(app, Visit, Visit.outcome == "例行巡检")
    assert (v.kind, v.purpose) == ("phone", "relationship")
    assert 25 < v.distance_m < 35 and (round(v.lat, 4), round(v.lon, 4)) == (31.2312, 121.4712)

    # A pin far from every customer of his.
    out = await chat("@loc 10.0,10.0")
    assert "该位置500米范围内没有您的客户。" in out
    assert "在哪位客户处签到？" not in out


async def test_duplicate_customer_asks_the_manager_for_a_handover(
    app: App, chat: Transcript
) -> None:
    before = await count(app, Customer)
    out = await chat("/as rep1", "/newcustomer")
    assert "新建客户：请输入公司名称或个人姓名。" in out
    out = await chat("ACME logistic")
    assert "电话号码？" in out
    out = await chat("[跳过]")
    assert "⚠️ Acme Logistics已于2026年9月30日 周三登记，负责人：Lucy Chen。" in to(out, "rep1")
    assert "申请主管移交" in out and "不是同一客户" in out
    out = await chat("[申请主管移交]")
    assert "已向您的主管申请移交Acme Logistics。" in to(out, "rep1")
    manager_side = to(out, "manager")
    assert "🤝 张伟申请移交Acme Logistics（当前负责人：Lucy Chen）。" in manager_side
    assert "📇 客户卡片" in manager_side
    assert "[to rep2]" not in out
    assert await count(app, Customer) == before
    acme = await customer(app, "Acme Logistics")
    assert acme.owner_id == (await staff(app, "rep2")).id
    assert await count(app, CustomerChange) == 0


async def test_stage_change_to_lost_with_a_reason(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "/customers 明珠酒店")
    assert "与“明珠酒店”匹配的客户：" in out
    out = await chat("[明珠酒店]")
    assert "明珠酒店 · B级客户" in out and "阶段：已接洽" in out and "📈 阶段" in out
    out = await chat("[📈 阶段]")
    assert "明珠酒店当前阶段为“已接洽”，要改为哪个阶段？" in out
    out = await chat("[输单]")
    assert "输单原因？" in out and "选择了竞争对手" in out
    assert await count(app, CustomerChange) == 0
    out = await chat("[选择了竞争对手]")
    assert "明珠酒店的阶段已更新为“输单”。" in out
    # The card again, with the new stage and the change in its activity.
    assert "明珠酒店 · B级客户" in out and "阶段：输单" in out
    assert "🔀 12月1日 周二 09:00 阶段 → 输单" in out
    mz = await customer(app, "明珠酒店")
    assert mz.stage == Stage.LOST
    (ch,) = await rows(app, CustomerChange, CustomerChange.customer_id == mz.id)
    rep1 = await staff(app, "rep1")
    assert (ch.field, ch.old_value, ch.new_value, ch.reason, ch.changed_by) == (
        "stage",
        "contacted",
        "lost",
        "competitor",
        rep1.id,
    )
    assert ch.changed_at == at(12, 1, 9)


async def test_reminder_snooze_and_pick_a_time(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "@clock +3h")
    mine = to(out, "rep1")
    assert mine.count("⏰ 跟进提醒：国际会展中心") == 1
    assert "计划时间：12月1日 周二 12:00" in mine
    assert "⏱ 1小时后" in mine and "🕐 选择时间" in mine
    out = await chat("[1小时后]")
    assert "已推迟至12月1日 周二 13:00提醒。" in out
    out = await chat("@clock +59m")
    assert "跟进提醒" not in out
    out = await chat("@clock +1m")
    assert to(out, "rep1").count("⏰ 跟进提醒：国际会展中心") == 1
    out = await chat("[选择时间]")
    assert "什么时候？" in out
    out = await chat("12月10日下午4点")
    assert "已改期至12月10日 周四 16:00。" in out
    gz = await customer(app, "国际会展中心")
    (fu,) = await rows(
        app, FollowUp, FollowUp.customer_id == gz.id, FollowUp.status == FollowUpStatus.OPEN
    )
    assert fu.due_at == at(12, 10, 16) and fu.reminded_at is None
    # Nothing more until then.
    out = await chat("@clock +1d")
    assert "跟进提醒：国际会展中心" not in out


async def test_claim_warned_once_then_lapses_to_the_pool(app: App, chat: Transcript) -> None:
    rep1 = await staff(app, "rep1")
    mz = await customer(app, "明珠酒店")
    assert mz.owner_id == rep1.id
    async with app.sessions() as s, s.begin():
        await s.execute(
            update(Customer)
            .where(Customer.id == mz.id)
            .values(stage=Stage.NEGOTIATION, claim_expires_at=app.clock.now() + timedelta(days=3))
        )
    warning = "⏳ 明珠酒店的保护期将于12月4日 周五 09:00到期。"

    out = await chat("/as rep1", "@clock +1h")
    mine = to(out, "rep1")
    assert mine.count(warning) == 1
    assert "拜访或跟进即可续期，否则该客户将退回公海。" in mine
    assert warning not in to(out, "manager")
    # Warned once: later passes before the expiry say nothing more about it.
    out = await chat("@clock +1h", "@clock +1d", "@clock 2026-12-04T08:59")
    assert "明珠酒店的保护期" not in out
    assert (await customer(app, "明珠酒店")).owner_id == rep1.id

    out = await chat("@clock 2026-12-04T09:30")
    mz = await customer(app, "明珠酒店")
    assert mz.owner_id is None and mz.claim_expires_at is None and mz.team == "east"
    (ch,) = await rows(
        app, CustomerChange, CustomerChange.customer_id == mz.id, CustomerChange.field == "owner"
    )
    assert (ch.old_value, ch.new_value) == (str(rep1.id), "pool")
    assert "↩️ 明珠酒店的保护期已到期，该客户已退回公海。" in to(out, "rep1")
    assert "↩️ 张伟对明珠酒店的保护期已到期，该客户已退回公海。" in to(out, "manager")
    # Told once.
    out = await chat("@clock +1h")
    assert "明珠酒店的保护期" not in out
    assert await count(app, CustomerChange, CustomerChange.customer_id == mz.id) == 1


async def test_bad_input_is_answered_in_chinese(app: App, chat: Transcript) -> None:
    await chat("/as rep1", "/visit", "hndc", "[上门拜访]", "[报价]")
    out = await chat("好" * 5000)
    assert "内容超过2,000字，请精简后重新发送。" in out
    assert "第5/8步" not in out
    out = await chat("谈了报价")
    assert "拜访 · 第5/8步" in out
    out = await chat("[跳过]", "[跳过]")
    assert "拜访 · 第7/8步" in out
    out = await chat("随便哪天")
    assert "无法识别日期“随便哪天”。请试试“明天 10:00”或“2026-12-05”。" in out
    assert "第8/8步" not in out
    # The step is kept: a date now goes on to the summary.
    out = await chat("明天下午3点")
    assert "拜访 · 第8/8步" in out and "拜访结果：谈了报价" in out
    assert "跟进时间：12月2日 周三 15:00" in out
    await chat("[保存]")
    assert await count(app, Visit, Visit.outcome == "好" * 5000) == 0
    assert await count(app, Visit, Visit.outcome == "谈了报价") == 1
