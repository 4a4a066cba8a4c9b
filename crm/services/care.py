"""Care messages: who receives them (segments, consent, hard blocks), how often (the cap), when
(quiet hours), and the delivery figures of campaigns.

Kinds of care delivery (`CareDelivery.kind`): birthday, holiday and cadence (sent by the
scheduler), greeting (a campaign of category greeting) and notice (a campaign of category
notice: policy, price, outage, event). All but notices need the customer's consent
(`Customer.care_consent`) and count towards the cap (`rules.care.cap_count` in `cap_days`);
notices are operational and go out without consent, but no message goes to a chat that has
blocked the bot (`UnreachableChat`).

Every delivery is one message to one chat about one customer; its dedupe key (also the outbox
row's) ends with ":<chat id>". A delivery's status is kept here: scheduled (a campaign's, before
its time), then opted_out, held_cap (over the cap: not sent), unreachable (a blocked chat: not
sent), held_quiet (queued for the end of the quiet hours) or queued, and later, copied from its
outbox row, sent, failed or unreachable (`sync_statuses`). The figures read the outbox row
directly, so they are right between two scheduler passes too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from string import Formatter
from typing import Any, NamedTuple

from sqlalchemy import and_, extract, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm import care_calendar
from crm.enums import OutboxStatus, Role
from crm.models import (
    CareCampaign,
    CareDelivery,
    Contact,
    Customer,
    CustomerUser,
    OutboxMessage,
    Staff,
    UnreachableChat,
)
from crm.rules import QuietHours
from crm.services import runtime
from crm.services.access import customer_scope
from crm.sla import in_quiet_hours

# ---------------------------------------------------------------- vocabularies

BIRTHDAY = "birthday"
HOLIDAY = "holiday"
CADENCE = "cadence"
GREETING = "greeting"
NOTICE = "notice"
# Kinds that need consent and count towards the cap.
CARE_KINDS = (BIRTHDAY, HOLIDAY, CADENCE, GREETING)

# What a campaign says: a greeting, or one of the operational notices.
TOPICS = ("greeting", "policy", "price", "outage", "event")


def category_of(topic: str) -> str:
    """A campaign's category: greeting (needs consent) or notice (operational)."""
    return GREETING if topic == "greeting" else NOTICE


SCHEDULED = "scheduled"
QUEUED = "queued"
HELD_QUIET = "held_quiet"
SENT = "sent"
FAILED = "failed"
UNREACHABLE = "unreachable"
OPTED_OUT = "opted_out"
HELD_CAP = "held_cap"
CANCELLED = "cancelled"
# The figures, in the order they are shown.
FIGURES = (
    QUEUED,
    SENT,
    FAILED,
    UNREACHABLE,
    OPTED_OUT,
    HELD_CAP,
    HELD_QUIET,
    SCHEDULED,
    CANCELLED,
)
# Outbox rows that are sent or on their way (what the cap counts).
LIVE_OUTBOX = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT)
OUTBOX_FINAL = {
    OutboxStatus.SENT: SENT,
    OutboxStatus.DEAD: FAILED,
    OutboxStatus.UNREACHABLE: UNREACHABLE,
}

# Campaign statuses.
CAMPAIGN_SCHEDULED = "scheduled"
CAMPAIGN_SENT = "sent"
CAMPAIGN_CANCELLED = "cancelled"
CAMPAIGN_EXPIRED = "expired"  # found after the scheduler's grace: not sent


# ---------------------------------------------------------------- templates

PLACEHOLDERS = ("name", "company", "rep")


class TemplateProblem(NamedTuple):
    kind: str  # "unknown" (a placeholder we do not fill) or "braces" (a brace not matched)
    placeholder: str


def template_problem(text: str) -> TemplateProblem | None:
    """Why a typed template cannot be used, or None. Only {name}, {company} and {rep}."""
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        return TemplateProblem("braces", "")
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            return TemplateProblem("unknown", "{" + shown + "}")
    return None


def fill(text: str, *, name: str, company: str, rep: str) -> str:
    """A checked template with its placeholders filled ("{{" stays a literal brace)."""
    return text.format_map({"name": name, "company": company, "rep": rep})


def pick_template(templates: Mapping[str, str], locale: str) -> str:
    """The text in the reader's language, else any other that was written."""
    if templates.get(locale):
        return templates[locale]
    return next((t for t in templates.values() if t), "")


# ---------------------------------------------------------------- keys


def campaign_key(campaign_id: int, customer_id: int, chat_id: int) -> str:
    return f"care:camp:{campaign_id}:{customer_id}:{chat_id}"


def occasion_key(kind: str, day: date, who: str, chat_id: int) -> str:
    """An automatic delivery: kind, local day, whose occasion (c<customer> or k<contact>)."""
    return f"care:{kind}:{day.isoformat()}:{who}:{chat_id}"


def chat_of(delivery: CareDelivery) -> int:
    return int(delivery.dedupe_key.rsplit(":", 1)[1])


async def existing(session: AsyncSession, prefix: str) -> dict[str, str]:
    """Deliveries whose key starts with `prefix`: key -> status (what a pass already did)."""
    rows = await session.execute(
        select(CareDelivery.dedupe_key, CareDelivery.status).where(
            CareDelivery.dedupe_key.startswith(prefix, autoescape=True)
        )
    )
    return {key: status for key, status in rows.all()}


def add_delivery(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    customer_id: int,
    status: str,
    now: datetime,
    outbox_id: int | None = None,
    campaign_id: int | None = None,
) -> CareDelivery:
    row = CareDelivery(
        campaign_id=campaign_id,
        customer_id=customer_id,
        kind=kind,
        dedupe_key=key,
        outbox_id=outbox_id,
        status=status,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return row


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


# ---------------------------------------------------------------- consent


async def customer_for_user(session: AsyncSession, cuser: CustomerUser) -> Customer | None:
    """The customer whose care messages this Telegram user gets: the linked customer record,
    else the customer of a contact with this Telegram account."""
    if cuser.customer_id is not None:
        return await session.get(Customer, cuser.customer_id)
    contact = await session.scalar(
        select(Contact).where(Contact.tg_user_id == cuser.tg_user_id).limit(1)
    )
    return await session.get(Customer, contact.customer_id) if contact is not None else None


async def may_set_consent(session: AsyncSession, cuser: CustomerUser, customer_id: int) -> bool:
    customer = await customer_for_user(session, cuser)
    return customer is not None and customer.id == customer_id


async def set_consent(
    session: AsyncSession,
    customer: Customer,
    on: bool,
    *,
    now: datetime,
    source: str,
    actor_kind: str,
    actor_id: int | None,
) -> bool:
    """Records a consent (time and source on the customer) or an opt-out (the audit log keeps
    its time and source; the last consent stays on record). False when nothing changed.

    An opt-out also stops the care messages already queued for later (held for quiet hours).
    """
    if customer.care_consent == on:
        return False
    customer.care_consent = on
    if on:
        customer.consent_at = now
        customer.consent_source = source[:40]
    else:
        await _stop_pending(session, customer.id, now)
    await runtime.audit(
        session,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action="customer.care_consent",
        entity="customer",
        entity_id=customer.id,
        changes={"care_consent": [not on, on], "source": source},
        now=now,
    )
    return True


async def _stop_pending(session: AsyncSession, customer_id: int, now: datetime) -> None:
    rows = (
        await session.execute(
            select(CareDelivery.id, CareDelivery.outbox_id)
            .join(OutboxMessage, OutboxMessage.id == CareDelivery.outbox_id)
            .where(
                CareDelivery.customer_id == customer_id,
                CareDelivery.kind.in_(CARE_KINDS),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
    ).all()
    if not rows:
        return
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([o for _d, o in rows]),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.DEAD, last_error="opted out")
    )
    await session.execute(
        update(CareDelivery)
        .where(CareDelivery.id.in_([d for d, _o in rows]))
        .values(status=OPTED_OUT, updated_at=now)
    )


# ---------------------------------------------------------------- the cap and quiet hours


async def care_counts(
    session: AsyncSession, customer_ids: Iterable[int], since: datetime
) -> dict[int, int]:
    """Care messages (not notices) sent or on their way to each customer since `since`.

    Per customer, the count of its most-messaged chat: a greeting to a customer with three
    people on Telegram is one greeting to that customer, not three.
    """
    ids = list(dict.fromkeys(customer_ids))
    counts: dict[int, int] = {}
    for i in range(0, len(ids), 500):
        rows = await session.execute(
            select(CareDelivery.customer_id, OutboxMessage.chat_id, func.count())
            .join(OutboxMessage, OutboxMessage.id == CareDelivery.outbox_id)
            .where(
                CareDelivery.customer_id.in_(ids[i : i + 500]),
                CareDelivery.kind.in_(CARE_KINDS),
                OutboxMessage.status.in_(LIVE_OUTBOX),
                OutboxMessage.due_at > since,
            )
            .group_by(CareDelivery.customer_id, OutboxMessage.chat_id)
        )
        for cid, _chat, n in rows.all():
            counts[cid] = max(counts.get(cid, 0), n)
    return counts


async def last_care(session: AsyncSession, customer_ids: Iterable[int]) -> dict[int, datetime]:
    """When each customer was last sent (or is due) a care message, notices not counted."""
    ids = list(dict.fromkeys(customer_ids))
    found: dict[int, datetime] = {}
    for i in range(0, len(ids), 500):
        rows = await session.execute(
            select(CareDelivery.customer_id, func.max(OutboxMessage.due_at))
            .join(OutboxMessage, OutboxMessage.id == CareDelivery.outbox_id)
            .where(
                CareDelivery.customer_id.in_(ids[i : i + 500]),
                CareDelivery.kind.in_(CARE_KINDS),
                OutboxMessage.status.in_(LIVE_OUTBOX),
            )
            .group_by(CareDelivery.customer_id)
        )
        for cid, when in rows.all():
            if when is not None:
                found[cid] = _aware(when)
    return found


def _aware(value: Any) -> datetime:
    """func.max() bypasses the column type: SQLite returns text or a naive UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def quiet_until(when: datetime, quiet: QuietHours, tz: tzinfo) -> datetime | None:
    """The end of the quiet hours `when` falls in (the recipient's time zone), or None."""
    if not in_quiet_hours(when, quiet, tz):
        return None
    local = when.astimezone(tz)
    end = datetime.combine(local.date(), quiet.end, tz)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tz)
    return end


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
            Contact.birthday.is_not(None), month_filter(Contact.birthday, Contact.birthday_lunar)
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
        .where(Customer.care_consent.is_(True))
        .order_by(Customer.id, CustomerUser.id)
    )
    if classes is not None:
        stmt = stmt.where(Customer.customer_class.in_(list(classes)))
    return [(c, u) for c, u in (await session.execute(stmt)).all()]


# ---------------------------------------------------------------- segments

DIMENSIONS = ("class", "stage", "tag", "owner", "area")
POOL_OWNER = 0  # the "owner" value that means the team pool (no owner)

Segment = dict[str, list[Any]]


async def segment_customers(session: AsyncSession, staff: Staff, seg: Segment) -> list[Customer]:
    """The customers a campaign by this staff member reaches: those they may see, matching every
    criterion given (any of a criterion's values). An empty segment is all of them."""
    stmt = select(Customer).where(customer_scope(staff)).order_by(Customer.id)
    if seg.get("class"):
        stmt = stmt.where(Customer.customer_class.in_(seg["class"]))
    if seg.get("stage"):
        stmt = stmt.where(Customer.stage.in_(seg["stage"]))
    if seg.get("area"):
        stmt = stmt.where(Customer.area.in_(seg["area"]))
    if seg.get("owner"):
        owners = [int(o) for o in seg["owner"]]
        conds = []
        ids = [o for o in owners if o != POOL_OWNER]
        if ids:
            conds.append(Customer.owner_id.in_(ids))
        if POOL_OWNER in owners:
            conds.append(Customer.owner_id.is_(None))
        stmt = stmt.where(or_(*conds))
    customers = list(await session.scalars(stmt))
    tags = set(seg.get("tag") or ())
    if tags:  # JSON lists: filtered here, alike on SQLite and PostgreSQL
        customers = [c for c in customers if tags & set(c.tags or ())]
    return customers


async def segment_values(session: AsyncSession, staff: Staff, dim: str) -> list[str]:
    """The tags or areas found among the customers this staff member may see."""
    if dim == "area":
        rows = await session.scalars(
            select(Customer.area)
            .where(customer_scope(staff), Customer.area.is_not(None))
            .distinct()
        )
        return sorted(a for a in rows if a)
    if dim == "tag":
        tags: set[str] = set()
        for row in await session.scalars(select(Customer.tags).where(customer_scope(staff))):
            tags.update(t for t in row or () if isinstance(t, str) and t)
        return sorted(tags)
    raise ValueError(dim)


async def segment_owners(session: AsyncSession, staff: Staff) -> list[tuple[int, str]]:
    """(staff id, name) of the people owning customers this staff member may see."""
    rows = await session.execute(
        select(Staff.id, Staff.name)
        .join(Customer, Customer.owner_id == Staff.id)
        .where(customer_scope(staff))
        .distinct()
        .order_by(Staff.name)
    )
    return [(sid, name) for sid, name in rows.all()]


@dataclass
class Audience:
    """Who a campaign reaches, as counted before it is confirmed."""

    customers: list[Customer]
    # Every Telegram user of those customers: one delivery each.
    people: list[tuple[Customer, CustomerUser]]
    receiving: list[tuple[Customer, CustomerUser]]  # consent (for greetings) and not blocked
    no_consent: int  # customers left out for want of consent (greetings only)
    not_on_telegram: int  # customers nobody on Telegram is linked to
    blocked: int  # people whose chat blocked the bot

    @property
    def receiving_customers(self) -> int:
        return len({c.id for c, _u in self.receiving})


async def audience(session: AsyncSession, staff: Staff, seg: Segment, topic: str) -> Audience:
    customers = await segment_customers(session, staff, seg)
    users = await telegram_users(session, (c.id for c in customers))
    people = [(c, u) for c in customers for u in users.get(c.id, [])]
    blocked = await unreachable(session, (u.tg_user_id for _c, u in people))
    greeting = category_of(topic) == GREETING
    receiving = [
        (c, u)
        for c, u in people
        if u.tg_user_id not in blocked and (c.care_consent or not greeting)
    ]
    return Audience(
        customers=customers,
        people=people,
        receiving=receiving,
        no_consent=sum(1 for c in customers if greeting and users.get(c.id) and not c.care_consent),
        not_on_telegram=sum(1 for c in customers if not users.get(c.id)),
        blocked=sum(1 for _c, u in people if u.tg_user_id in blocked),
    )


# ---------------------------------------------------------------- campaigns


async def create_campaign(
    session: AsyncSession,
    staff: Staff,
    *,
    topic: str,
    seg: Segment,
    templates: dict[str, str],
    scheduled_at: datetime,
    now: datetime,
) -> tuple[CareCampaign, int]:
    """The campaign and one scheduled delivery per Telegram user of the segment's customers;
    consent, blocks, the cap and quiet hours are decided when it goes out."""
    if topic not in TOPICS:
        raise ValueError(topic)
    found = await audience(session, staff, seg, topic)
    campaign = CareCampaign(
        name=topic,
        category=category_of(topic),
        segment={k: list(v) for k, v in seg.items() if v},
        templates={k: v for k, v in templates.items() if v},
        scheduled_at=scheduled_at,
        status=CAMPAIGN_SCHEDULED,
        created_by=staff.id,
        created_at=now,
    )
    session.add(campaign)
    await session.flush()
    kind = GREETING if campaign.category == GREETING else NOTICE
    for customer, cuser in found.people:
        add_delivery(
            session,
            key=campaign_key(campaign.id, customer.id, cuser.tg_user_id),
            kind=kind,
            customer_id=customer.id,
            status=SCHEDULED,
            now=now,
            campaign_id=campaign.id,
        )
    await session.flush()
    return campaign, len(found.people)


async def due_campaigns(session: AsyncSession, now: datetime) -> list[CareCampaign]:
    return list(
        await session.scalars(
            select(CareCampaign)
            .where(
                CareCampaign.status == CAMPAIGN_SCHEDULED,
                CareCampaign.scheduled_at <= now,
            )
            .order_by(CareCampaign.scheduled_at, CareCampaign.id)
        )
    )


async def scheduled_deliveries(session: AsyncSession, campaign_id: int) -> list[CareDelivery]:
    return list(
        await session.scalars(
            select(CareDelivery)
            .where(CareDelivery.campaign_id == campaign_id, CareDelivery.status == SCHEDULED)
            .order_by(CareDelivery.id)
        )
    )


async def may_cancel(session: AsyncSession, staff: Staff, campaign_id: int) -> bool:
    campaign = await session.get(CareCampaign, campaign_id)
    if campaign is None:
        return False
    return staff.role == Role.ADMIN or campaign.created_by == staff.id


async def cancel_campaign(session: AsyncSession, campaign_id: int, now: datetime) -> bool:
    """A scheduled campaign that has not gone out is cancelled; False when too late."""
    campaign = await session.get(CareCampaign, campaign_id, with_for_update=True)
    if campaign is None or campaign.status != CAMPAIGN_SCHEDULED:
        return False
    campaign.status = CAMPAIGN_CANCELLED
    await session.execute(
        update(CareDelivery)
        .where(CareDelivery.campaign_id == campaign_id, CareDelivery.status == SCHEDULED)
        .values(status=CANCELLED, updated_at=now)
    )
    return True


async def expire_campaign(session: AsyncSession, campaign: CareCampaign, now: datetime) -> int:
    """A campaign found long after its time (the bot was down): not sent. Its deliveries count
    as cancelled; returns how many."""
    campaign.status = CAMPAIGN_EXPIRED
    result = await session.execute(
        update(CareDelivery)
        .where(CareDelivery.campaign_id == campaign.id, CareDelivery.status == SCHEDULED)
        .values(status=CANCELLED, updated_at=now)
    )
    return int(result.rowcount or 0)


async def recent_campaigns(session: AsyncSession, limit: int = 8) -> list[CareCampaign]:
    return list(
        await session.scalars(
            select(CareCampaign)
            .order_by(CareCampaign.created_at.desc(), CareCampaign.id.desc())
            .limit(limit)
        )
    )


# ---------------------------------------------------------------- figures


def effective_status(delivery_status: str, outbox_status: str | None) -> str:
    """A delivery's figure: its outbox row's outcome once final, else its own status."""
    if delivery_status in (OPTED_OUT, HELD_CAP, CANCELLED) or outbox_status is None:
        return delivery_status
    return OUTBOX_FINAL.get(outbox_status, delivery_status)


@dataclass
class Figures:
    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def figures(session: AsyncSession, campaign_ids: Iterable[int]) -> dict[int, Figures]:
    """Delivery figures per campaign; they add up to the campaign's deliveries."""
    ids = list(dict.fromkeys(campaign_ids))
    result = {cid: Figures() for cid in ids}
    if not ids:
        return result
    rows = await session.execute(
        select(CareDelivery.campaign_id, CareDelivery.status, OutboxMessage.status, func.count())
        .outerjoin(OutboxMessage, OutboxMessage.id == CareDelivery.outbox_id)
        .where(CareDelivery.campaign_id.in_(ids))
        .group_by(CareDelivery.campaign_id, CareDelivery.status, OutboxMessage.status)
    )
    for cid, d_status, o_status, n in rows.all():
        fig = result[cid]
        status = effective_status(d_status, o_status)
        fig.counts[status] = fig.counts.get(status, 0) + n
    return result


async def sync_statuses(session: AsyncSession, now: datetime) -> int:
    """Brings deliveries up to date with their outbox rows: held_quiet -> queued once the quiet
    hours are over, queued -> sent / failed / unreachable once the sender is done."""
    rows = (
        await session.execute(
            select(CareDelivery, OutboxMessage.status, OutboxMessage.due_at)
            .join(OutboxMessage, OutboxMessage.id == CareDelivery.outbox_id)
            .where(CareDelivery.status.in_((QUEUED, HELD_QUIET)))
        )
    ).all()
    changed = 0
    for delivery, o_status, due_at in rows:
        status = OUTBOX_FINAL.get(o_status)
        if status is None and delivery.status == HELD_QUIET and due_at <= now:
            status = QUEUED
        if status is not None and status != delivery.status:
            delivery.status = status
            delivery.updated_at = now
            changed += 1
    return changed
