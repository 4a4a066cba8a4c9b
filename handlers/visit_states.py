"""The visit flow's states and draft, shared by the flow (visit) and its screens (visit_cards)."""

from __future__ import annotations

from handlers.conversation import Draft, States


class VisitStep(States, flow="visit"):
    CUSTOMER = "customer"
    KIND = "kind"
    PURPOSE = "purpose"
    OUTCOME = "outcome"
    CONTACTS = "contacts"
    CHECKIN = "checkin"
    FOLLOWUP = "followup"
    CONFIRM = "confirm"
    EDIT = "edit"
    # The one-message reading's questions (handlers.visit_reading).
    DATE = "date"
    PLAN = "plan"
    WHEN = "when"
    OLD = "old"


# The guided order; Back goes one step back along it.
ORDER = [
    VisitStep.CUSTOMER,
    VisitStep.KIND,
    VisitStep.PURPOSE,
    VisitStep.OUTCOME,
    VisitStep.CONTACTS,
    VisitStep.CHECKIN,
    VisitStep.FOLLOWUP,
    VisitStep.CONFIRM,
]


class VisitDraft(Draft):
    SCAFFOLD = frozenset({"recent", "known_contacts", "query", "quick"})

    # From one message (or a pin): the card comes first, the steps are for corrections.
    quick: bool = False
    customer_id: int | None = None
    customer_name: str | None = None
    # The customer's contacts offered as buttons: (id, name).
    known_contacts: list[tuple[int, str]] = []
    # Recent customers offered on the first step: (id, label).
    recent: list[tuple[int, str]] = []
    # What the rep typed to find the customer (offered as the new customer's name).
    query: str | None = None
    kind: str | None = None
    purpose: str | None = None
    outcome: str | None = None
    contacts: list[str] = []
    lat: float | None = None
    lon: float | None = None
    distance_m: float | None = None
    far: bool = False
    photos: list[str] = []
    followup_at: str | None = None
    # From the one-message reading (crm.language): when the contact happened, whether it only
    # announces one (a plan), what was guessed, and the questions still open.
    visited_at: str | None = None
    plan: bool = False
    text: str | None = None
    guessed: list[str] = []
    candidates: list[list] = []
    ambiguous: bool = False
    pick: int | None = None
    date_choices: list[str] = []
    date_key: str | None = None
    old_ok: bool = False
