"""The domain model. Importing this package registers every table on Base.metadata."""

from crm.models.care import CareCampaign, CareDelivery
from crm.models.customers import Contact, Customer, CustomerAlias, CustomerChange
from crm.models.deals import Contract, Instalment, Opportunity, Payment
from crm.models.forum import TicketTopic
from crm.models.people import CustomerUser, Invite, Staff
from crm.models.reports import ReportComment, RepReport
from crm.models.runtime import (
    AuditLog,
    ConversationState,
    KeyValue,
    OutboxMessage,
    ParkedDraft,
    ProcessedUpdate,
    RuleOverride,
    UnreachableChat,
)
from crm.models.sales import FollowUp, RepTarget, Visit, VisitPlan
from crm.models.tickets import (
    CalendarDay,
    OnCall,
    ReturnVisit,
    Ticket,
    TicketMessage,
    TicketResolution,
    WeekdayHours,
)

__all__ = [
    "AuditLog",
    "CalendarDay",
    "CareCampaign",
    "CareDelivery",
    "Contact",
    "Contract",
    "ConversationState",
    "Customer",
    "CustomerAlias",
    "CustomerChange",
    "CustomerUser",
    "FollowUp",
    "Instalment",
    "Invite",
    "KeyValue",
    "OnCall",
    "Opportunity",
    "OutboxMessage",
    "ParkedDraft",
    "Payment",
    "ProcessedUpdate",
    "ReturnVisit",
    "RepReport",
    "ReportComment",
    "RepTarget",
    "RuleOverride",
    "Staff",
    "Ticket",
    "TicketMessage",
    "TicketTopic",
    "TicketResolution",
    "UnreachableChat",
    "Visit",
    "VisitPlan",
    "WeekdayHours",
]
