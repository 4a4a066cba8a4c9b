"""A demo company: a power-supply office with a small sales team and about 30 customers."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import ContactRole, CustomerClass, Role, Stage, TicketKind, TicketStatus
from crm.models import (
    Contact,
    CustomerUser,
    FollowUp,
    KeyValue,
    Staff,
    Ticket,
    TicketMessage,
    Visit,
)
from crm.rules import Rules
from crm.services.customers import new_customer
from crm.sla import deadlines

TZ = ZoneInfo("Asia/Shanghai")

STAFF = [
    # handle, tg id, name, role, locale
    ("admin", 1001, "Admin Wang", Role.ADMIN, "en"),
    ("manager", 1002, "李经理", Role.MANAGER, "zh_CN"),
    ("rep1", 1003, "张伟", Role.SALES, "zh_CN"),
    ("rep2", 1004, "Lucy Chen", Role.SALES, "en"),
    ("agent", 1005, "客服小刘", Role.SERVICE, "zh_CN"),
]

# name, class, industry, annual value, owner handle (None = team pool)
CUSTOMERS = [
    ("华能电厂", "A", "发电", 1_200_000, "rep1"),
    ("东方钢铁集团", "A", "冶金", 950_000, "rep1"),
    ("Acme Logistics", "A", "logistics", 400_000, "rep2"),
    ("国际会展中心", "B", "会展", 180_000, "rep1"),
    ("明珠酒店", "B", "酒店", 120_000, "rep1"),
    ("Blue River Hotel", "B", "hotel", 110_000, "rep2"),
    ("新华印刷厂", "B", "印刷", 90_000, "rep1"),
    ("Sunrise Foods", "B", "food", 85_000, "rep2"),
    ("长江水泥", "B", "建材", 150_000, "rep2"),
    ("城东小学", "C", "教育", 20_000, "rep1"),
    ("老王面馆", "C", "餐饮", 6_000, "rep1"),
    ("百佳超市", "C", "零售", 30_000, "rep1"),
    ("红星汽修", "C", "汽修", 12_000, "rep1"),
    ("绿源农场", "C", "农业", 25_000, "rep1"),
    ("金桥物业", "C", "物业", 40_000, "rep1"),
    ("Harbor Cafe", "C", "catering", 8_000, "rep2"),
    ("Nova Dental", "C", "health", 15_000, "rep2"),
    ("Pixel Studio", "C", "media", 9_000, "rep2"),
    ("Maple Kindergarten", "C", "education", 11_000, "rep2"),
    ("Orion Gym", "C", "fitness", 14_000, "rep2"),
    ("Lotus Spa", "C", "services", 10_000, "rep2"),
    ("天和药房", "C", "医药", 18_000, "rep1"),
    ("宏达五金", "C", "五金", 16_000, "rep1"),
    ("清风茶社", "C", "餐饮", 7_000, "rep1"),
    ("星光影院", "C", "娱乐", 35_000, "rep2"),
    ("安平社区医院", "C", "医疗", 45_000, "rep1"),
    ("瑞丰面粉厂", "C", "食品", 48_000, None),
    ("Atlas Print", "C", "printing", 22_000, None),
    ("福满楼饭店", "C", "餐饮", 9_000, None),
    ("Greenfield Farm", "C", "agriculture", 13_000, None),
]

CONTACT_NAMES = ["张工", "李总", "王经理", "赵主任", "Mr. Li", "Ms. Zhao", "陈科长", "Tom Wu"]
OUTCOMES = [
    "谈了变压器增容报价",
    "客户关心峰谷电价",
    "discussed the new connection quote",
    "checked the meter upgrade schedule",
    "回访满意度，客户满意",
]


async def seed(session: AsyncSession, now: datetime, rules: Rules) -> None:
    """Fills an empty database; `now` is the demo clock's start (timezone-aware)."""
    rnd = random.Random(42)
    staff: dict[str, Staff] = {}
    for handle, tg, name, role, locale in STAFF:
        s = Staff(
            handle=handle,
            tg_user_id=tg,
            name=name,
            role=role,
            locale=locale,
            team="east",
            timezone="Asia/Shanghai",
            created_at=now - timedelta(days=400),
        )
        session.add(s)
        staff[handle] = s
    await session.flush()
    for handle in ("rep1", "rep2", "agent"):
        staff[handle].manager_id = staff["manager"].id

    customers = []
    for i, (name, cls, industry, value, owner) in enumerate(CUSTOMERS, start=1):
        owner_staff = staff[owner] if owner else None
        c = new_customer(
            name,
            phone=f"+86138{10000000 + i * 7919:08d}",
            industry=industry,
            address=f"东区 {i} 号",
            area="东区",
            lat=31.23 + i * 0.001,
            lon=121.47 + i * 0.001,
            customer_class=CustomerClass(cls),
            stage=rnd.choice([Stage.CONTACTED, Stage.PROPOSAL, Stage.WON, Stage.REPEAT]),
            owner_id=owner_staff.id if owner_staff else None,
            team="east",
            claim_expires_at=now + timedelta(days=rnd.randint(3, 60)) if owner_staff else None,
            source=rnd.choice(["referral", "exhibition", "cold_visit", "phone", "web"]),
            annual_value=Decimal(value),
            care_consent=i % 3 != 0,
            consent_at=now - timedelta(days=100) if i % 3 != 0 else None,
            consent_source="demo" if i % 3 != 0 else None,
            vip=cls == "A",
            created_by=owner_staff.id if owner_staff else staff["admin"].id,
            created_at=now - timedelta(days=rnd.randint(30, 700)),
            birthday=date(1970 + i, (i % 12) + 1, (i % 27) + 1) if i % 4 == 0 else None,
            birthday_lunar=i % 8 == 0,
            external_id=f"DEMO-{i:03d}",
        )
        session.add(c)
        customers.append(c)
    await session.flush()

    for i, c in enumerate(customers):
        for j in range(1 + (c.customer_class == "A")):
            session.add(
                Contact(
                    customer_id=c.id,
                    name=CONTACT_NAMES[(i + j) % len(CONTACT_NAMES)],
                    role=list(ContactRole)[(i + j) % 4],
                    phone=f"+86139{20000000 + i * 104729 + j:08d}",
                )
            )
        if c.owner_id is None:
            continue
        for k in range(rnd.randint(0, 3)):
            session.add(
                Visit(
                    customer_id=c.id,
                    staff_id=c.owner_id,
                    kind=rnd.choice(["onsite", "phone"]),
                    outcome=rnd.choice(OUTCOMES),
                    visited_at=now - timedelta(days=rnd.randint(1, 90), hours=k),
                )
            )
    await session.flush()

    # Follow-ups: one overdue, a few today and in the coming days for each rep.
    for handle, picks in (("rep1", (0, 3, 4, 9)), ("rep2", (2, 5, 7))):
        for n, idx in enumerate(picks):
            session.add(
                FollowUp(
                    customer_id=customers[idx].id,
                    staff_id=staff[handle].id,
                    note=rnd.choice(OUTCOMES),
                    due_at=now + timedelta(hours=[-20, 3, 26, 50][n % 4]),
                    created_at=now - timedelta(days=7 - n),
                    reminded_at=now - timedelta(hours=19) if n == 0 else None,
                )
            )

    # Customers on Telegram: customer1..customer5 linked to records, customer6 not linked yet.
    linked = [0, 3, 5, 10, 16]
    for n, idx in enumerate(linked, start=1):
        session.add(
            CustomerUser(
                tg_user_id=2000 + n,
                handle=f"customer{n}",
                name=f"customer{n}",
                customer_id=customers[idx].id,
                locale="zh_CN" if n % 2 else "en",
                created_at=now - timedelta(days=60),
            )
        )
    session.add(
        CustomerUser(
            tg_user_id=2006,
            handle="customer6",
            name="customer6",
            locale="zh_CN",
            created_at=now - timedelta(days=2),
        )
    )
    await session.flush()

    for n, (idx, kind, text) in enumerate(
        [
            (3, TicketKind.INQUIRY, "下个月的电价会调整吗？"),
            (5, TicketKind.FAULT, "Power flickers in the east wing every evening."),
            (10, TicketKind.COMPLAINT, "抄表员上门时间不固定"),
        ],
        start=1,
    ):
        c = customers[idx]
        created = now - timedelta(hours=5 * n)
        first_due, resolve_due = deadlines(rules, kind, c.customer_class, created, TZ)
        t = Ticket(
            number=f"T-{now.year}-{n:06d}",
            customer_id=c.id,
            kind=kind,
            text=text,
            status=TicketStatus.IN_PROGRESS if n == 1 else TicketStatus.NEW,
            owner_id=c.owner_id,
            created_at=created,
            first_response_due=first_due,
            resolution_due=resolve_due,
            # The first two were answered in time; the third, an evening complaint, waits.
            first_response_at=created + timedelta(minutes=20) if n < 3 else None,
        )
        session.add(t)
        await session.flush()
        session.add(
            TicketMessage(ticket_id=t.id, author_kind="customer", text=text, created_at=created)
        )
    # The ticket counter continues after the seeded ones.
    session.add(KeyValue(key=f"ticket_seq:{now.year}", value="3"))
    await session.flush()
