"""Translatable labels of the domain's vocabularies."""

from bot.types import Raw, T, Text

ROLE = {
    "admin": T("admin"),
    "manager": T("manager"),
    "sales": T("sales rep"),
    "service": T("service agent"),
    "customer": T("customer"),
}

STAGE = {
    "lead": T("lead"),
    "contacted": T("contacted"),
    "needs_confirmed": T("needs identified"),
    "proposal": T("proposal / quote"),
    "negotiation": T("negotiation"),
    "won": T("won"),
    "repeat": T("repeat purchase"),
    "lost": T("lost"),
}

VISIT_KIND = {
    "onsite": T("On-site"),
    "phone": T("Phone call"),
    "online": T("Online meeting"),
    "message": T("Message (WeChat, e-mail…)"),
    "other": T("Other"),
}

CONTACT_ROLE = {
    "decision_maker": T("decision maker"),
    "influencer": T("influencer"),
    "supporter": T("supporter"),
    "user": T("user"),
}

TICKET_KIND = {
    "inquiry": T("Inquiry"),
    "complaint": T("Complaint"),
    "suggestion": T("Suggestion"),
    "fault": T("Fault report"),
    "service": T("Service request"),
    "praise": T("Praise"),
}

TICKET_STATUS = {
    "new": T("received"),
    "in_progress": T("in progress"),
    "resolved": T("resolved"),
    "closed": T("closed"),
}


def label(table: dict[str, T], value: str | None) -> Text:
    if value is None:
        return T("—")
    return table.get(value, Raw(value))


LOST_REASON = {
    "price": T("price too high"),
    "competitor": T("went to a competitor"),
    "no_budget": T("no budget"),
    "no_need": T("no need"),
    "unreachable": T("could not be reached"),
    "other": T("other reason"),
}

PURPOSE = {
    "relationship": T("Relationship"),
    "needs": T("Needs"),
    "quote": T("Quote"),
    "contract": T("Contract"),
    "payment": T("Payment"),
    "service": T("After-sales"),
}

CHANGE_FIELD = {"stage": T("stage"), "class": T("class"), "owner": T("owner")}

# A customer's details (crm.customer_fields.FIELDS), by the key audited: a new field is a line
# there and its label here.
CUSTOMER_FIELD = {
    "name": T("Name"),
    "kind": T("Company or person"),
    "phone": T("Phone"),
    "industry": T("Industry"),
    "area": T("Area"),
    "address": T("Address"),
    "source": T("Source"),
    "tags": T("Tags"),
    "value": T("Annual value"),
    "relationship": T("Relationship stage"),
    "notes": T("Notes"),
    "vip": T("VIP"),
    "credit": T("Credit rating"),
    "blacklist": T("Blacklist"),
    "power_account": T("Power account no."),
    "tariff": T("Tariff category"),
    "voltage": T("Voltage level"),
    "meter_segment": T("Meter-reading segment"),
}

SOURCE = {
    "referral": T("referral"),
    "exhibition": T("exhibition"),
    "cold_visit": T("cold visit"),
    "phone": T("phone call"),
    "web": T("web"),
    "walk_in": T("walk-in"),
    "other": T("other source"),
}

RELATIONSHIP = {
    "breakthrough": T("breakthrough"),
    "consolidation": T("consolidation"),
    "growth": T("growth"),
    "harvest": T("harvest"),
    "defence": T("defence"),
    "dormant": T("dormant"),
    "paused": T("paused"),
}

# The values a field's buttons offer (credit ratings come from the rules file, shown as they are).
FIELD_CHOICE = {
    "company": T("company"),
    "person": T("person"),
    "yes": T("yes"),
    "no": T("no"),
    **SOURCE,
    **RELATIONSHIP,
}

# How a recorded change was made.
CHANGE_HOW = {
    "chat": T("in the chat"),
    "import": T("by import"),
    "handover": T("by handover"),
    "erase": T("by privacy erasure"),
    "merge": T("by merging"),
}

# What a customer card's /audit says each recorded action did (unknown codes are shown as they are).
AUDIT_ACTION = {
    "customer.create": T("added the customer"),
    "customer.edit": T("edited the details"),
    "customer.stage": T("changed the stage"),
    "customer.class": T("changed the class"),
    "customer.claim": T("claimed the customer"),
    "customer.claim_lapsed": T("the claim lapsed"),
    "customer.reassign": T("reassigned the customer"),
    "customer.care_consent": T("changed consent to care messages"),
    "customer.handover_request": T("asked for a handover"),
    "customer.link": T("linked a customer's chat"),
    "customer.erase": T("erased the personal data"),
    "customer.import": T("imported the details"),
    "customer.pending": T("registered a possible duplicate, awaiting approval"),
    "customer.approve": T("approved the registration"),
    "customer.merge": T("merged another customer into this one"),
    "visit.create": T("logged a visit"),
    "contact.create": T("added a contact"),
    "followup.create": T("set a follow-up"),
    "followup.done": T("completed a follow-up"),
    "opportunity.create": T("added an opportunity"),
    "opportunity.stage": T("moved an opportunity"),
    "opportunity.won": T("won an opportunity"),
    "opportunity.lost": T("lost an opportunity"),
    "contract.create": T("made a contract"),
    "payment.create": T("recorded a payment"),
}

# The recorded changes' keys, as /audit names them.
AUDIT_KEY = {
    **CUSTOMER_FIELD,
    "stage": CHANGE_FIELD["stage"],
    "class": CHANGE_FIELD["class"],
    "owner_id": CHANGE_FIELD["owner"],
    "amount": T("deal amount"),
    "number": T("contract number"),
    "reason": T("reason"),
    "care_consent": T("care messages"),
    "source": T("where"),
    "via": T("linked by"),
    "claim_expires_at": T("claim ran until"),
    "how": T("made"),
    "pin": T("location pin"),
    "merged": T("merged"),
    "dup_of": T("resembles"),
    "erased": T("erased"),
}

FOLLOWUP_STATUS = {"open": T("to do"), "done": T("done"), "cancelled": T("cancelled")}

INSTALMENT_STATUS = {"open": T("unpaid"), "paid": T("paid")}

# A customer's registration (crm.models.Customer.approval): None once approved.
APPROVAL = {"pending": T("awaiting approval")}

# What /export and `crm-bot export` write, as its sheets are named.
EXPORT_KIND = {
    "customers": T("Customers"),
    "contacts": T("Contacts"),
    "visits": T("Visits"),
    "followups": T("Follow-ups"),
    "tickets": T("Requests"),
    "opportunities": T("Opportunities"),
    "contracts": T("Contracts"),
    "instalments": T("Instalments"),
    "payments": T("Payments"),
}
