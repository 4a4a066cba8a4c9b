"""What a rep's message says, part by part, each with the span of text it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class Part(Generic[V]):
    value: V
    span: tuple[int, int] | None = None  # [start, end) in the text as typed; None: not said
    guessed: bool = False  # not said, or said in a way that could mean something else

    def typed(self, text: str) -> str | None:
        return text[self.span[0] : self.span[1]] if self.span else None


@dataclass(frozen=True)
class Reading:
    text: str
    customer: Part[int | None]  # the customer's id, among those passed in
    customer_name: str | None
    # Several customers fit equally (华能 → 华能电厂, 华能物流), or none did: the nearest names.
    candidates: tuple[tuple[int, str], ...]
    kind: Part[str]  # "onsite" | "phone" | "online" | "message"
    happened_at: Part[datetime]  # aware, in the rep's zone; now when not said
    plan: Part[bool]  # True: the message only announces a contact (it becomes a follow-up)
    contacts: tuple[Part[str], ...]
    outcome: str  # the message without the parts recognised
    followup_at: Part[datetime | None]  # or, for a plan, when the planned contact is
    # The same date typed could be either of these (5/12: 12 May or 5 December).
    date_choices: tuple[datetime, ...] = field(default=())
    # No customer matched: the name as typed, when the words around it say where it is
    # (拜访了新星电子, visited Foo Corp), for "register it" and the nearest names.
    customer_typed: str | None = None
    tied: bool = False  # the candidates fit equally well: ask which

    @property
    def ambiguous_customer(self) -> bool:
        return self.tied

    @property
    def names_something(self) -> bool:
        """A visit report names a customer or a person met; "hello" does not."""
        said_more = bool(self.outcome or self.kind.span or self.happened_at.span)
        return (
            self.customer.value is not None
            or self.ambiguous_customer
            or self.customer_typed is not None
            or (bool(self.contacts) and said_more)  # "王总" alone may be a search
        )

    @property
    def contact_names(self) -> list[str]:
        return [c.value for c in self.contacts]
