"""The domain's closed vocabularies. Stored as their string values."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES = "sales"
    SERVICE = "service"
    CUSTOMER = "customer"


STAFF_ROLES = (Role.ADMIN, Role.MANAGER, Role.SALES, Role.SERVICE)


class CustomerClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class Stage(StrEnum):
    LEAD = "lead"
    CONTACTED = "contacted"
    NEEDS_CONFIRMED = "needs_confirmed"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    REPEAT = "repeat"
    LOST = "lost"


class Relationship(StrEnum):
    """The relationship cycle of a key account."""

    BREAKTHROUGH = "breakthrough"
    CONSOLIDATION = "consolidation"
    GROWTH = "growth"
    HARVEST = "harvest"
    DEFENCE = "defence"
    DORMANT = "dormant"
    PAUSED = "paused"


class ContactRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    SUPPORTER = "supporter"
    USER = "user"


class Source(StrEnum):
    REFERRAL = "referral"
    EXHIBITION = "exhibition"
    COLD_VISIT = "cold_visit"
    PHONE = "phone"
    WEB = "web"
    WALK_IN = "walk_in"
    OTHER = "other"


class VisitKind(StrEnum):
    ONSITE = "onsite"
    PHONE = "phone"
    ONLINE = "online"
    MESSAGE = "message"  # WeChat, LINE, e-mail, a text
    OTHER = "other"


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TicketKind(StrEnum):
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    FAULT = "fault"
    SERVICE = "service"
    PRAISE = "praise"


class TicketStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    UNREACHABLE = "unreachable"


class TicketChannel(StrEnum):
    """How a request reached us: Telegram, or taken down by staff (首问负责制: they own it)."""

    TELEGRAM = "telegram"
    PHONE = "phone"
    COUNTER = "counter"
    EMAIL = "email"
    ONSITE = "onsite"
