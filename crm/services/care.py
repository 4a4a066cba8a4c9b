"""Care messages: who receives them (segments, consent, hard blocks), how often (the cap), when
(quiet hours), and the delivery figures of campaigns.

Kinds of care delivery (`CareDelivery.kind`): birthday, holiday and cadence (sent by the
scheduler), greeting (a campaign of category greeting) and notice (a campaign of category
notice: policy, price, outage, event). All but notices need the customer's consent
(`Customer.care_consent`) and count towards the cap (`rules.care.cap_count` in `cap_days`);
notices are operational and go out without consent, but no message goes to a chat that has
blocked the bot (`UnreachableChat`).

Every delivery is one message to one chat about one customer; its dedupe key (also the outbox
row's) ends with ":<chat id>". A delivery's status is kept on its row: scheduled (a campaign's,
before its time), then opted_out, held_cap (over the cap: not sent), unreachable (a blocked
chat: not sent), held_quiet (queued for the end of the quiet hours) or queued, and later, copied
from its outbox row, sent, failed or unreachable (`sync_statuses`). The figures read the outbox
row directly, so they are right between two scheduler passes too.

The code lives in the care_* modules beside this one (kinds, templates, deliveries,
recipients, consent, segments, campaigns); this module re-exports them, so callers keep
importing `crm.services.care`.
"""

from __future__ import annotations

from crm.services.care_campaigns import (
    Figures,
    cancel_campaign,
    create_campaign,
    due_campaigns,
    effective_status,
    expire_campaign,
    figures,
    may_cancel,
    recent_campaigns,
    scheduled_deliveries,
    sync_statuses,
)
from crm.services.care_consent import (
    care_counts,
    customer_for_user,
    last_care,
    may_set_consent,
    quiet_until,
    set_consent,
)
from crm.services.care_deliveries import (
    add_delivery,
    campaign_key,
    chat_of,
    existing,
    occasion_key,
)
from crm.services.care_kinds import (
    BIRTHDAY,
    CADENCE,
    CAMPAIGN_CANCELLED,
    CAMPAIGN_EXPIRED,
    CAMPAIGN_SCHEDULED,
    CAMPAIGN_SENT,
    CANCELLED,
    CARE_KINDS,
    FAILED,
    FIGURES,
    GREETING,
    HELD_CAP,
    HELD_QUIET,
    HOLIDAY,
    LIVE_OUTBOX,
    NOTICE,
    OPTED_OUT,
    OUTBOX_FINAL,
    QUEUED,
    SCHEDULED,
    SENT,
    TOPICS,
    UNREACHABLE,
    category_of,
)
from crm.services.care_recipients import (
    Birthday,
    birthdays_on,
    consenting_with_telegram,
    telegram_users,
    unreachable,
    users_by_chat,
)
from crm.services.care_segments import (
    DIMENSIONS,
    POOL_OWNER,
    Audience,
    Segment,
    audience,
    segment_customers,
    segment_owners,
    segment_values,
)
from crm.services.care_templates import (
    PLACEHOLDERS,
    TemplateProblem,
    fill,
    pick_template,
    template_problem,
)

__all__ = [
    "BIRTHDAY",
    "HOLIDAY",
    "CADENCE",
    "GREETING",
    "NOTICE",
    "CARE_KINDS",
    "TOPICS",
    "category_of",
    "SCHEDULED",
    "QUEUED",
    "HELD_QUIET",
    "SENT",
    "FAILED",
    "UNREACHABLE",
    "OPTED_OUT",
    "HELD_CAP",
    "CANCELLED",
    "FIGURES",
    "LIVE_OUTBOX",
    "OUTBOX_FINAL",
    "CAMPAIGN_SCHEDULED",
    "CAMPAIGN_SENT",
    "CAMPAIGN_CANCELLED",
    "CAMPAIGN_EXPIRED",
    "PLACEHOLDERS",
    "TemplateProblem",
    "template_problem",
    "fill",
    "pick_template",
    "campaign_key",
    "occasion_key",
    "chat_of",
    "existing",
    "add_delivery",
    "telegram_users",
    "users_by_chat",
    "unreachable",
    "Birthday",
    "birthdays_on",
    "consenting_with_telegram",
    "customer_for_user",
    "may_set_consent",
    "set_consent",
    "care_counts",
    "last_care",
    "quiet_until",
    "DIMENSIONS",
    "POOL_OWNER",
    "Segment",
    "segment_customers",
    "segment_values",
    "segment_owners",
    "Audience",
    "audience",
    "create_campaign",
    "due_campaigns",
    "scheduled_deliveries",
    "may_cancel",
    "cancel_campaign",
    "expire_campaign",
    "recent_campaigns",
    "effective_status",
    "Figures",
    "figures",
    "sync_statuses",
]
