"""The domain model. Importing this package registers every table on Base.metadata."""

from crm.models.care import CareCampaign, CareDelivery
from crm.models.customers import Contact, Customer, CustomerAlias, CustomerChange
from crm.models.forum import TicketTopic
from crm.models.people import CustomerUser, Invite, Staff
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
from crm.models.sales import FollowUp, Visit, VisitPlan
from crm.models.tickets import Ticket, TicketMessage

__all__ = [
    "AuditLog",
    "CareCampaign",
    "CareDelivery",
    "Contact",
    "ConversationState",
    "Customer",
    "CustomerAlias",
    "CustomerChange",
    "CustomerUser",
    "FollowUp",
    "Invite",
    "KeyValue",
    "OutboxMessage",
    "ParkedDraft",
    "ProcessedUpdate",
    "RuleOverride",
    "Staff",
    "Ticket",
    "TicketMessage",
    "TicketTopic",
    "UnreachableChat",
    "Visit",
    "VisitPlan",
]
