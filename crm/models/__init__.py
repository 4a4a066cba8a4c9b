"""The domain model. Importing this package registers every table on Base.metadata."""

from crm.models.care import CareCampaign, CareDelivery
from crm.models.customers import Contact, Customer, CustomerChange
from crm.models.deals import Contract, Instalment, Opportunity, Payment
from crm.models.people import CustomerUser, Invite, Staff
from crm.models.runtime import (
    AuditLog,
    ConversationState,
    KeyValue,
    OutboxMessage,
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
    "Contract",
    "ConversationState",
    "Customer",
    "CustomerChange",
    "CustomerUser",
    "FollowUp",
    "Instalment",
    "Invite",
    "KeyValue",
    "Opportunity",
    "OutboxMessage",
    "Payment",
    "ProcessedUpdate",
    "RuleOverride",
    "Staff",
    "Ticket",
    "TicketMessage",
    "UnreachableChat",
    "Visit",
    "VisitPlan",
]
