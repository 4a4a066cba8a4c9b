"""Deals through the console in Simplified Chinese: an opportunity from one message, won and made a
contract with two instalments, a payment recorded partly, the clock moved past a due date (the
rep's collection task, the customer's payment reminder, none to an unreachable chat and the rep
told), the contract's expiry reminders at 60 and 30 days, and the manager's summary and report
checked against the rows.

The demo starts on Tue 2026-12-01 09:00 Asia/Shanghai. rep1 (张伟, zh_CN) owns 华能电厂, whose
Telegram user is customer1 (zh_CN), and 老王面馆, whose user is customer4 (en).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from bot.app import App
from crm.models import (
    CareDelivery,
    Contract,
    Customer,
    FollowUp,
    Instalment,
    Opportunity,
    OutboxMessage,
    Payment,
    UnreachableChat,
)
from tests.conftest import Transcript
from tests.helpers import press
from tests.test_sales_flows_zh import count, customer, one, rows, staff, to


async def _won_contract(
    chat: Transcript, message: str, stage: str, term: str, schedule: str
) -> str:
    """One message → an opportunity at `stage` → won as estimated → a contract with a typed
    schedule and no file. Returns the transcript. (The clock moves two minutes first: a rep
    typing this fast would meet the flood limit of 30 messages a minute.)"""
    await chat("@clock +2m")
    out = await chat(message)
    assert "新商机" in out and "选择后即保存" in out, out
    out += await chat(f"[{stage}]", "[查看]", "[赢单]", "[与预估相同]", "[创建合同]")
    out += await chat("[使用编号]", "[今天]", term, "[分期付款]", schedule, "[跳过]")
    return out


async def test_opportunity_contract_payment_collection_and_expiry(
    app: App, chat: Transcript
) -> None:
    await chat("/as rep1")
    rep1 = await staff(app, "rep1")
    hn = await customer(app, "华能电厂")

    # An opportunity from one message: customer, what, amount in 万, the month's end as close.
    out = await chat("华能电厂 变压器增容 报价80万 预计1月底签")
    assert "新商机 · 华能电厂" in out
    assert "变压器增容：¥800,000.00 · 预计2027年1月31日 周日成交" in out
    assert "商务谈判（70%）" in out
    assert await count(app, Opportunity) == 0  # nothing saved before the stage is chosen
    out = await chat("[商务谈判]")
    assert "已保存华能电厂的商机。" in out and "客户阶段：商务谈判" in out
    opp = await one(app, Opportunity, Opportunity.customer_id == hn.id)
    assert (opp.title, opp.amount, opp.stage) == ("变压器增容", Decimal("800000.00"), "negotiation")
    assert opp.expected_close == date(2027, 1, 31) and opp.owner_id == rep1.id
    assert (await customer(app, "华能电厂")).stage == "negotiation"

    # Won as estimated → a contract of two instalments, typed in 万 with their dates.
    out = await chat("[查看]", "[赢单]")
    assert "签约金额？" in out and "¥800,000.00（与预估相同）" in out
    out = await chat("[与预估相同]")
    assert "华能电厂：商机已赢单。" in out and "✅ 变压器增容：赢单¥800,000.00" in out
    assert (await customer(app, "华能电厂")).stage == "won"
    out = await chat("[创建合同]", "[使用编号 HT-2026-0001]", "[今天]")
    assert "合同期限？" in out
    out = await chat("2026-12-01..2027-03-01")
    assert "付款方式？" in out and "分期付款" in out
    out = await chat("[分期付款]")
    assert "¥800,000.00的付款计划" in out
    out = await chat("40万 2026-12-31; 30万 2027-02-28")
    assert "各期合计¥700,000.00，与合同金额¥800,000.00不符。" in out
    assert await count(app, Contract) == 0
    out = await chat("40万 2026-12-31; 40万 2027-02-28", "[跳过]")
    assert "已保存合同HT-2026-0001。" in out
    assert "○ 第1期 ¥400,000.00，2026年12月31日 周四到期" in out
    assert "待收：¥800,000.00" in out
    contract = await one(app, Contract, Contract.customer_id == hn.id)
    assert (contract.number, contract.amount, contract.terms) == (
        "HT-2026-0001",
        Decimal("800000.00"),
        "instalments",
    )
    assert (contract.starts_on, contract.ends_on) == (date(2026, 12, 1), date(2027, 3, 1))
    insts = await rows(app, Instalment, Instalment.contract_id == contract.id)
    assert [(i.seq, i.due_on, i.amount) for i in insts] == [
        (1, date(2026, 12, 31), Decimal("400000.00")),
        (2, date(2027, 2, 28), Decimal("400000.00")),
    ]

    # A payment of 30万, recorded partly against the first instalment.
    out = await chat("[登记收款]")
    assert "合同HT-2026-0001：待收¥800,000.00。" in out
    out = await chat("很多钱")
    assert "请输入金额" in out
    out = await chat("90万")
    assert "超过了该合同尚欠的¥800,000.00" in out
    out = await chat("30万", "[今天]", "[银行转账]", "[跳过]")
    assert "已登记合同HT-2026-0001收款¥300,000.00（银行转账）。" in out
    assert "第1期部分付款：尚欠¥100,000.00。" in out
    assert "待收：¥500,000.00" in out
    pay = await one(app, Payment, Payment.contract_id == contract.id)
    assert (pay.amount, pay.paid_on, pay.method) == (
        Decimal("300000.00"),
        date(2026, 12, 1),
        "transfer",
    )
    first = await one(app, Instalment, Instalment.id == insts[0].id)
    assert (first.paid, first.status) == (Decimal("300000.00"), "open")

    # A second customer, whose only chat blocked the bot.
    wang = await customer(app, "老王面馆")
    await _won_contract(
        chat,
        "老王面馆 厨房线路改造 报价5万 预计12月底签",
        "需求确认",
        "1年",
        "2万 2026-12-31; 3万 2027-01-31",
    )
    wang_contract = await one(app, Contract, Contract.customer_id == wang.id)
    assert wang_contract.amount == Decimal("50000.00")
    async with app.sessions() as s, s.begin():
        s.add(UnreachableChat(chat_id=2004, since=app.clock.now(), reason="blocked"))

    # The 60-day expiry reminder (the contract ends on 1 March).
    out = await chat("@clock 2026-12-31T09:30")
    mine = to(out, "rep1")
    assert "📄 与华能电厂的合同HT-2026-0001将于2027年3月1日 周一到期，还有60天。" in mine
    assert "是时候商谈续签了。" in mine and "🔁 续签商机" in mine
    assert "催款" not in mine  # due today, not yet overdue

    # The day after the due date: collection tasks and the customer's reminder.
    out = await chat("@clock 2027-01-01T09:30")
    mine = to(out, "rep1")
    assert (
        "💰 催款：华能电厂 — 合同HT-2026-0001第1期款项¥100,000.00（2026年12月31日 周四到期）"
        "尚未支付。" in mine
    )
    assert "已向客户发送付款提醒。" in mine
    assert "💰 催款：老王面馆" in mine
    assert (
        "未向客户发送付款提醒：客户的聊天无法送达（已屏蔽机器人）。请电话联系或上门拜访。" in mine
    )
    theirs = to(out, "customer1")
    assert (
        "华能电厂付款提醒：合同HT-2026-0001第1期款项¥100,000.00已于2026年12月31日 周四到期。"
        in theirs
    )
    assert "[to customer4]" not in out
    assert (
        await count(
            app,
            OutboxMessage,
            OutboxMessage.chat_id == 2004,
            OutboxMessage.dedupe_key.startswith("pay-remind:"),
        )
        == 0
    )
    tasks = await rows(app, FollowUp, FollowUp.note.startswith("催款"))
    assert sorted(t.customer_id for t in tasks) == sorted([hn.id, wang.id])
    assert all(t.staff_id == rep1.id for t in tasks)
    assert await count(app, CareDelivery, CareDelivery.kind == "payment") == 1
    # A second pass the same day adds nothing.
    out = await chat("@clock 2027-01-01T10:30")
    assert "催款" not in out and "付款提醒" not in out

    # The manager's summary: the overdue line per rep and the oldest, as the rows say.
    today = date(2027, 1, 1)
    async with app.sessions() as s:
        owed = await s.scalar(
            select(func.sum(Instalment.amount - Instalment.paid)).where(
                Instalment.status == "open", Instalment.due_on < today
            )
        )
    assert owed == Decimal("120000.00")  # 100,000 of 华能电厂 and 20,000 of 老王面馆
    out = await chat("/as manager", "/summary")
    assert "逾期应收：¥120,000.00" in out
    assert "• 张伟：¥120,000.00" in out
    assert (
        "最早逾期：华能电厂，¥100,000.00，2026年12月31日 周四到期（已逾期1天）· HT-2026-0001" in out
    )

    # The 30-day reminder, once.
    out = await chat("/as rep1", "@clock 2027-01-30T09:30")
    assert "合同HT-2026-0001将于2027年3月1日 周一到期，还有30天。" in to(out, "rep1")
    keys = [
        m.dedupe_key
        for m in await rows(
            app,
            OutboxMessage,
            OutboxMessage.dedupe_key.startswith(f"contract-expiry:{contract.id}:"),
        )
    ]
    assert sorted(keys) == [
        f"contract-expiry:{contract.id}:30",
        f"contract-expiry:{contract.id}:60",
    ]


async def test_report_pipeline_matches_the_rows(app: App, chat: Transcript) -> None:
    await chat("/as rep1")
    await chat("华能电厂 变压器增容 报价80万 预计1月底签", "[商务谈判]")
    await chat("国际会展中心 展厅照明 一百二十万 预计2月15日签", "[方案/报价]")
    await chat("明珠酒店 空调节能 1.2亿 预计1月10日签", "[方案/报价]")
    await _won_contract(
        chat,
        "老王面馆 厨房线路改造 报价5万 预计12月底签",
        "需求确认",
        "1年",
        "2万 2026-12-15; 3万 2027-01-31",
    )
    await chat("[登记收款]", "2万", "[今天]", "[现金]", "[跳过]")
    async with app.sessions() as s:
        open_rows = list(
            await s.scalars(select(Opportunity).where(Opportunity.stage.not_in(["won", "lost"])))
        )
    total = sum((o.amount for o in open_rows), Decimal(0))
    probability = {"needs_confirmed": 20, "proposal": 40, "negotiation": 70}
    weighted = sum((o.amount * probability[o.stage] / 100 for o in open_rows), Decimal(0))
    assert (total, weighted) == (Decimal("122000000.00"), Decimal("49040000.00"))

    out = await chat("/as manager", "/report 2026-12-01..2026-12-01")
    assert "商机与应收款" in out
    assert "销售管道：进行中商机3个，¥122,000,000.00，加权¥49,040,000.00" in out
    assert "• 方案/报价：2个，¥121,200,000.00 → 加权¥48,480,000.00" in out
    assert "• 商务谈判：1个，¥800,000.00 → 加权¥560,000.00" in out
    assert "· 2027-01：2个，¥120,800,000.00 → 加权¥48,560,000.00" in out
    assert "· 2027-02：1个，¥1,200,000.00 → 加权¥480,000.00" in out
    assert "本期赢单：1个，¥50,000.00" in out
    assert "本期回款：¥20,000.00（1笔）" in out
    assert "当前应收：¥30,000.00" in out
    # Receivables 30,000 of 50,000 sold in a one-day period: 0.6 of a day → 1.
    assert "应收账款周转天数：1天" in out
    # The day's summary: the payment of today, nothing overdue yet.
    out = await chat("/summary")
    assert "收款：1笔，¥20,000.00" in out and "逾期应收" not in out


async def test_credit_rating_d_allows_prepaid_only(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        c = await s.scalar(select(Customer).where(Customer.name == "华能电厂"))
        assert c is not None
        c.credit_rating = "D"
    out = await chat("/as rep1", "/customers 华能电厂", "[华能电厂]")
    assert "信用等级D：仅限预付款。" in out
    await chat("华能电厂 变压器增容 报价80万 预计1月底签", "[商务谈判]")
    out = await chat(
        "[查看]", "[赢单]", "[与预估相同]", "[创建合同]", "[使用编号]", "[今天]", "[自签订起一年]"
    )
    assert "信用等级D：仅限预付款。" in out
    assert "[1] 预付款" in out and "分期付款" not in out.split("信用等级D")[-1]
    out = await chat("[预付款]", "[跳过]")
    assert "已保存合同HT-2026-0001。" in out
    insts = await rows(app, Instalment)
    assert [(i.due_on, i.amount) for i in insts] == [(date(2026, 12, 1), Decimal("800000.00"))]


async def test_another_reps_opportunity_cannot_be_touched(app: App, chat: Transcript) -> None:
    await chat("/as rep1", "华能电厂 变压器增容 报价80万 预计1月底签", "[商务谈判]")
    opp = await one(app, Opportunity)
    out = await press(chat, app, "rep2", f"opp_won:{opp.id}")
    assert "That is not available to you. Nothing was changed." in out
    assert (await one(app, Opportunity, Opportunity.id == opp.id)).stage == "negotiation"


async def test_opportunity_from_a_saved_visit(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "拜访华能电厂，见了张工，谈变压器报价，下周二下午跟进", "[保存]")
    assert "本次拜访涉及商机吗？" in out and "💼 由本次拜访创建商机" in out
    out = await chat("[由本次拜访创建商机]")
    assert "本次拜访华能电厂涉及的商机" in out and "使用：谈变压器报价" in out
    out = await chat("[使用：谈变压器报价]", "一百二十万", "2027-02-28")
    assert "谈变压器报价：¥1,200,000.00 · 预计2027年2月28日 周日成交" in out
    out = await chat("[方案/报价]")
    assert "已保存华能电厂的商机。" in out
    opp = await one(app, Opportunity)
    visit_id = opp.visit_id
    assert visit_id is not None and opp.amount == Decimal("1200000.00")


async def test_customer_stage_follows_the_most_advanced_opportunity(
    app: App, chat: Transcript
) -> None:
    await chat("/as rep1", "明珠酒店 空调节能 报价35万 预计3月底签", "[商务谈判]")
    await chat("明珠酒店 热水系统 报价8万 预计2月底签", "[需求确认]")
    assert (await customer(app, "明珠酒店")).stage == "negotiation"
    first, second = await rows(app, Opportunity)
    out = await chat("/customers 明珠酒店", "[明珠酒店]", "[商机]")
    assert "明珠酒店的商机与合同" in out
    assert "• 空调节能：¥350,000.00 · 商务谈判（70%）" in out
    assert "• 热水系统：¥80,000.00 · 需求确认（20%）" in out
    out = await chat("[空调节能]", "[输单]", "[价格太高]")
    assert "✖ 空调节能：输单（价格太高）" in out and "客户阶段：需求确认" in out
    assert (await customer(app, "明珠酒店")).stage == "needs_confirmed"
    await chat("[客户的商机]", "[热水系统]", "[输单]", "[选择了竞争对手]")
    assert (await customer(app, "明珠酒店")).stage == "lost"
    assert (await one(app, Opportunity, Opportunity.id == second.id)).lost_reason == "competitor"
    assert first.id != second.id


async def test_the_manager_is_told_after_the_escalation_days(app: App, chat: Transcript) -> None:
    await chat("/as rep1")
    await _won_contract(
        chat, "华能电厂 变压器增容 报价80万 预计12月底签", "商务谈判", "1年", "80万 2026-12-10"
    )
    out = await chat("@clock 2026-12-24T09:30")  # 14 days past due: not yet
    assert "欠款" not in to(out, "manager")
    out = await chat("@clock 2026-12-25T09:30")  # escalate_days = 15
    assert (
        "⚠️ 华能电厂欠款¥800,000.00已逾期15天：合同HT-2026-0001第1期，"
        "2026年12月10日 周四到期（负责人张伟）。" in to(out, "manager")
    )
    out = await chat("@clock 2026-12-26T09:30")
    assert "欠款" not in to(out, "manager")


async def test_new_opportunity_from_the_card_refuses_bad_input(app: App, chat: Transcript) -> None:
    out = await chat("/as rep1", "/customers 明珠酒店", "[明珠酒店]")
    assert "💼 商机" in out
    out = await chat("[商机]")
    assert "暂无商机。" in out
    out = await chat("[新建商机]")
    assert "明珠酒店的新商机：销售什么产品或服务？" in out
    out = await chat("节能改造", "八十多")
    assert "请输入金额，如 800000、80万、一百二十万 或 1.2亿。" in out
    out = await chat("1.005万")  # 10,050 yuan: fine; 12.345 would be fractions of a cent
    assert "预计成交日期？" in out
    out = await chat("2020-01-01")
    assert "该日期已过，请输入未来的日期。" in out
    assert await count(app, Opportunity) == 0
    out = await chat("[暂无日期]")
    assert "节能改造：¥10,050.00 · 未定成交日期" in out
    await chat("[需求确认]")
    opp = await one(app, Opportunity)
    assert (opp.amount, opp.expected_close, opp.stage) == (
        Decimal("10050.00"),
        None,
        "needs_confirmed",
    )


async def test_renewal_opportunity_from_the_expiry_reminder(app: App, chat: Transcript) -> None:
    await chat("/as rep1")
    await _won_contract(
        chat,
        "华能电厂 变压器增容 报价80万 预计12月底签",
        "商务谈判",
        "2026-12-01..2027-01-15",
        "80万 2026-12-20",
    )
    out = await chat("@clock 2026-12-16T09:30")  # 30 days before the end: one reminder only
    assert "还有30天" in to(out, "rep1") and "还有60天" not in to(out, "rep1")
    contract = await one(app, Contract)
    # The reminder's button (other messages came after it: pressed on the older message).
    assert f"opp_renew:{contract.id}" in [
        b[1]
        for m in await rows(
            app, OutboxMessage, OutboxMessage.dedupe_key.startswith("contract-expiry:")
        )
        for row in m.payload["buttons"]
        for b in row
    ]
    out = await press(chat, app, "rep1", f"opp_renew:{contract.id}")
    assert "新商机：续签合同HT-2026-0001。" in out
    out = await chat("90万", "[暂无日期]", "[方案/报价]")
    assert "已保存华能电厂的商机。" in out
    renewal = await one(app, Opportunity, Opportunity.renews_contract_id == contract.id)
    assert (renewal.title, renewal.amount, renewal.stage) == (
        "续签合同HT-2026-0001",
        Decimal("900000.00"),
        "proposal",
    )


async def test_deal_actions_are_in_the_customers_history(app: App, chat: Transcript) -> None:
    await chat("/as rep1", "明珠酒店 空调节能 报价35万 预计3月底签", "[商务谈判]")
    await chat("[查看]", "[输单]", "[价格太高]")
    mz = await customer(app, "明珠酒店")
    out = await press(chat, app, "manager", f"audit:{mz.id}")
    assert "新建了商机" in out and "商机输单" in out
    assert "opportunity_id" not in out  # internal ids are left out


async def test_a_visit_report_with_an_amount_can_go_to_the_visit(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as rep1", "华能电厂 谈了报价80万，下周二下午跟进")
    assert "新商机" in out and "📝 不是商机，记为拜访" in out
    out = await chat("[记为拜访]")
    assert "拜访：华能电厂" in out and "✅ 保存" in out
    # Nothing typed is lost: read as quick.py reads a visit report (the result, the follow-up).
    assert "拜访结果：谈了报价80万" in out and "跟进时间：12月8日 周二 15:00" in out
    assert await count(app, Opportunity) == 0


async def test_an_unknown_customer_keeps_the_message_for_a_visit(
    app: App, chat: Transcript
) -> None:
    out = await chat("/as rep1", "新客户甲 照明改造 报价10万 预计1月底签")
    assert "您的客户中没有与“新客户甲”匹配的。未保存任何内容。" in out
    out = await chat("[记为拜访]")
    assert "➕ 新建“新客户甲”" in out  # the visit flow, offering to register the customer
    assert await count(app, Opportunity) == 0
