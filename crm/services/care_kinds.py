"""The care vocabulary: kinds of delivery, campaign topics, delivery and campaign statuses
(crm/services/care.py explains how they relate)."""

from __future__ import annotations

from crm.enums import OutboxStatus

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
