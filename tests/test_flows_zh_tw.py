"""Flows through the console in Traditional Chinese (zh_TW): a customer's complaint seen in /my,
a rep's one-message visit with a follow-up, and pinyin search over Traditional names.

The seeded demo company starts on Tue 2026-12-01 09:00 Asia/Shanghai; customer1 is linked to
华能电厂, owned by rep1. The texts asserted are those of locales/zh_TW/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from crm.enums import Role
from crm.models import CustomerUser, FollowUp, Staff, Ticket, Visit
from crm.services import customers
from tests.conftest import Transcript
from tests.helpers import customer, staff

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_customer_complains_in_traditional_and_sees_it_in_my(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as customer1", "/lang")
    assert "[1] 简体中文  [2] 繁體中文  [3] English  [4] Русский" in out
    out = await chat("[繁體中文]")
    assert "語言已切換為繁體中文。" in out and "✉️ 提交工單" in out
    out = await chat("[提交工單]")
    assert "請選擇您要提交的類型：" in out and "[2] 投訴" in out
    out = await chat("[投訴]", "[服務]")
    assert "投訴：請在一條訊息中寫明具體內容。" in out
    out = await chat("本週停電兩次，都沒有提前通知", "[完成]")
    assert "「本週停電兩次，都沒有提前通知」" in out and "確認提交以上內容嗎？" in out
    out = await chat("[提交]")
    assert "謝謝！您的工單號為 T-2026-000004。" in out
    assert "我們將在12月1日 週二 09:30前答覆您。" in out
    # Staff read it in their own language: the agent in Simplified Chinese.
    assert "[to agent] 🆕 客户华能电厂提交了投诉 T-2026-000004" in out
    out = await chat("/my")
    assert "我的工單" in out and "T-2026-000004 · 投訴 · 已受理" in out
    async with app.sessions() as s:
        ticket = await s.scalar(select(Ticket).where(Ticket.number == "T-2026-000004"))
    assert ticket is not None and ticket.text == "本週停電兩次，都沒有提前通知"
    assert ticket.customer_id == (await customer(app, "华能电厂")).id
    async with app.sessions() as s:
        cuser = await s.scalar(
            select(CustomerUser).where(CustomerUser.id == ticket.customer_user_id)
        )
    assert cuser is not None and cuser.locale == "zh_TW"


async def test_rep_one_message_visit_in_traditional(app: App, chat: Transcript) -> None:
    await chat("/as rep1", "/lang")
    out = await chat("[繁體中文]")
    assert "📝 登記拜訪" in out and "🔎 查詢客戶" in out
    assert (await staff(app, "rep1")).locale == "zh_TW"
    out = await chat("拜訪華能電廠，見了張工，談變壓器報價，下週二下午跟進")
    for fragment in (
        "拜訪 · 第8/8步",
        "拜訪：华能电厂",  # the customer's name as stored
        "拜訪方式：上門拜訪",
        "拜訪結果：談變壓器報價",
        "拜訪對象：張工",
        "跟進時間：12月8日 週二 15:00",
        "✅ 儲存",
    ):
        assert fragment in out, fragment
    out = await chat("[儲存]")
    assert "已儲存對华能电厂的拜訪記錄。" in out and "將於12月8日 週二 15:00提醒您。" in out
    async with app.sessions() as s:
        visit = await s.scalar(select(Visit).where(Visit.outcome == "談變壓器報價"))
        assert visit is not None and visit.contacts_met == "張工" and visit.kind == "onsite"
        fu = await s.scalar(select(FollowUp).where(FollowUp.visit_id == visit.id))
    assert fu is not None and fu.due_at == datetime(2026, 12, 8, 15, 0, tzinfo=SHANGHAI)


async def test_rep_bad_date_is_answered_in_traditional(app: App, chat: Transcript) -> None:
    await chat("/as rep1", "/lang", "[繁體中文]", "/visit", "hndc", "[上門拜訪]", "[報價]")
    await chat("談了報價", "[跳過]", "[跳過]")
    out = await chat("隨便")
    assert "無法識別日期「隨便」。請試試「明天 10:00」或「2026-12-05」。" in out
    out = await chat("下週二下午三點")
    assert "跟進時間：12月8日 週二 15:00" in out


async def _admin(app: App) -> Staff:
    async with app.sessions() as s, s.begin():
        admin = Staff(tg_user_id=4242, name="Admin", role=Role.ADMIN)
        s.add(admin)
        for name in ("華能電廠", "华润置地", "東方鋼鐵集團", "国际会展中心"):
            s.add(customers.new_customer(name))
    return admin


async def _search(app: App, admin: Staff, query: str) -> list[str]:
    async with app.sessions() as s:
        return [c.name for c in await customers.search(s, admin, query)]


async def test_pinyin_search_over_traditional_names(app: App) -> None:
    admin = await _admin(app)
    assert await _search(app, admin, "hndc") == ["華能電廠"]
    assert await _search(app, admin, "huaneng") == ["華能電廠"]
    assert await _search(app, admin, "華能") == ["華能電廠"]
    # The Simplified form finds the Traditional name, and back.
    assert await _search(app, admin, "华能") == ["華能電廠"]
    assert await _search(app, admin, "华能电厂") == ["華能電廠"]
    assert await _search(app, admin, "东方钢铁") == ["東方鋼鐵集團"]
    assert await _search(app, admin, "國際會展") == ["国际会展中心"]
    assert await _search(app, admin, "dfgt") == ["東方鋼鐵集團"]
