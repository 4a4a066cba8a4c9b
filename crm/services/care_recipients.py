"""Who a care message can reach: Telegram users linked to customers, chats that blocked the bot,
the day's birthdays and the consenting customers the scheduler greets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, extract, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm import care_calendar
from crm.models import (
    Contact,
    Customer,
    CustomerUser,
    UnreachableChat,
)

# ---------------------------------------------------------------- who: Telegram, blocks


async def telegram_users(
    session: AsyncSession, customer_ids: Iterable[int]
) -> dict[int, list[CustomerUser]]:
    """The Telegram users linked to each customer."""
    ids = list(dict.fromkeys(customer_ids))
    found: dict[int, list[CustomerUser]] = defaultdict(list)
    for i in range(0, len(ids), 500):
        rows = await session.scalars(
            select(CustomerUser)
            .where(CustomerUser.customer_id.in_(ids[i : i + 500]))
            .order_by(CustomerUser.id)
        )
        for cu in rows:
            assert cu.customer_id is not None
            found[cu.customer_id].append(cu)
    return found


async def users_by_chat(session: AsyncSession, chat_ids: Iterable[int]) -> dict[int, CustomerUser]:
    ids = list(dict.fromkeys(chat_ids))
    if not ids:
        return {}
    rows = await session.scalars(select(CustomerUser).where(CustomerUser.tg_user_id.in_(ids)))
    return {cu.tg_user_id: cu for cu in rows}


async def unreachable(session: AsyncSession, chat_ids: Iterable[int]) -> set[int]:
    """Chats that blocked the bot: nothing is sent there, notices included."""
    ids = list(dict.fromkeys(chat_ids))
    if not ids:
        return set()
    rows = await session.scalars(
        select(UnreachableChat.chat_id).where(UnreachableChat.chat_id.in_(ids))
    )
    return set(rows)


# ---------------------------------------------------------------- birthdays


@dataclass(frozen=True)
class Birthday:
    customer: Customer
    contact: Contact | None  # None: the customer (a person) has the birthday

    @property
    def name(self) -> str:
        return self.contact.name if self.contact is not None else self.customer.name

    @property
    def who(self) -> str:
        """Part of the keys: c<customer id> or k<contact id>."""
        return f"k{self.contact.id}" if self.contact is not None else f"c{self.customer.id}"


async def birthdays_on(session: AsyncSession, day: date) -> list[Birthday]:
    """Person customers and contacts whose birthday (solar or lunar) is `day`."""
    lunar_month = care_calendar.lunar_month_of(day)

    def month_filter(birthday: Any, lunar: Any) -> Any:
        solar = and_(lunar.is_(False), extract("month", birthday) == day.month)
        if lunar_month is None:
            return solar
        return or_(solar, and_(lunar.is_(True), extract("month", birthday) == lunar_month))

    found: list[Birthday] = []
    persons = await session.scalars(
        select(Customer)
        .where(
            Customer.is_company.is_(False),
            Customer.blacklisted.is_(False),
            Customer.birthday.is_not(None),
            month_filter(Customer.birthday, Customer.birthday_lunar),
        )
        .order_by(Customer.id)
    )
    for c in persons:
        assert c.birthday is not None
        if care_calendar.is_birthday(c.birthday, c.birthday_lunar, day):
            found.append(Birthday(c, None))
    rows = await session.execute(
        select(Contact, Customer)
        .join(Customer, Customer.id == Contact.customer_id)
        .where(
            Customer.blacklisted.is_(False),
            Contact.birthday.is_not(None),
            month_filter(Contact.birthday, Contact.birthday_lunar),
        )
        .order_by(Contact.id)
    )
    for contact, customer in rows.all():
        assert contact.birthday is not None
        if care_calendar.is_birthday(contact.birthday, contact.birthday_lunar, day):
            found.append(Birthday(customer, contact))
    return found


# ---------------------------------------------------------------- recipients of the scheduler


async def consenting_with_telegram(
    session: AsyncSession, *, classes: Sequence[str] | None = None
) -> list[tuple[Customer, CustomerUser]]:
    """Customers who agreed to care messages, each with every Telegram user linked to them."""
    stmt = (
        select(Customer, CustomerUser)
        .join(CustomerUser, CustomerUser.customer_id == Customer.id)
        .where(Customer.care_consent.is_(True), Customer.blacklisted.is_(False))
        .order_by(Customer.id, CustomerUser.id)
    )
    if classes is not None:
        stmt = stmt.where(Customer.customer_class.in_(list(classes)))
    return [(c, u) for c, u in (await session.execute(stmt)).all()]
