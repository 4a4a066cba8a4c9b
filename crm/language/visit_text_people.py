"""The customer and the people a visit report names, for crm.language.visit_text.

Each clause gives them up in turn: the customer after a visit verb, the people met after a
meeting verb; what the clause has left is returned for the outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crm.language.visit_text_clauses import strip_edges
from crm.language.visit_text_words import (
    CUSTOMER_RULES,
    EN_CONTACT,
    EN_MET_WITH,
    EN_PERSON_AT,
    NAME_LIST,
    NOT_PEOPLE,
    ONSITE,
    PHONE,
    RU_CONTACT,
    ZH_CONTACT,
    ZH_MEDIUM,
    ZH_OF_PERSON,
    ZH_PERSON_SUFFIX,
    ZH_SPEAKER,
)


@dataclass
class Found:
    """What the clauses have given so far."""

    customer: str | None = None
    kind: str | None = None
    contacts: list[str] = field(default_factory=list)
    # People only "saw" ("saw the movie") make no report without a customer; people met do.
    met: bool = False
    outcome: list[str] = field(default_factory=list)

    def add_people(self, names: list[str], met: bool = True) -> None:
        for name in names:
            if name and name.lower() not in NOT_PEOPLE and name not in self.contacts:
                self.contacts.append(name)
                self.met = self.met or met


def _clean_name(name: str) -> str:
    name = strip_edges(name)
    name = re.sub(r"^(?:the|our|their|в|во|на|с|со)\s+", "", name, flags=re.IGNORECASE)
    return re.sub(r"^了\s*", "", name).strip()


def _split_person(name: str) -> tuple[str, str | None]:
    """A Chinese customer name with a person attached (华能电厂张工) → (customer, person)."""
    m = ZH_PERSON_SUFFIX.match(name) or ZH_OF_PERSON.match(name)
    if m:
        return _clean_name(m["org"]), _clean_name(m["person"])
    return name, None


def take_customer(clause: str, zh: bool, found: Found) -> str:
    """Finds the customer in the clause; returns what is left of the clause."""
    for pattern, kind in CUSTOMER_RULES[zh]:
        m = pattern.search(clause)
        if m is None:
            continue
        name = _clean_name(m["name"])
        if not name:
            continue
        person: str | None = None
        if zh:
            name, person = _split_person(name)
        elif kind != ONSITE and (at := EN_PERSON_AT.match(name)):
            # "called Li at Acme"; but "visited Acme at Pudong" names a place
            person, name = _clean_name(at["person"]), _clean_name(at["org"])
        if "medium" in m.groupdict() and m["medium"]:
            kind = ZH_MEDIUM.get(m["medium"], PHONE)
        found.customer, found.kind = name, kind
        found.add_people([person] if person else [])
        return clause[: m.start()] + " " + clause[m.end() :]
    return clause


def take_met_with(clause: str, found: Found) -> str:
    """The customer of "met with Acme" / "met with Li at Acme", when no stronger word names one."""
    m = EN_MET_WITH.search(clause)
    if m is None:
        return clause
    name, people = _clean_name(m["name"]), ""
    if at := EN_PERSON_AT.match(name):
        people, name = at["person"], _clean_name(at["org"])
    elif NAME_LIST.search(name):
        return clause  # several people: left to take_contacts
    found.customer = name
    found.add_people([_clean_name(n) for n in NAME_LIST.split(people)] if people else [])
    return clause[: m.start()] + " " + clause[m.end() :]


def take_contacts(clause: str, zh: bool, found: Found) -> str:
    """Adds the people met in the clause; returns what is left of it."""
    clause = clause.strip()
    if zh and (speaker := ZH_SPEAKER.match(clause)):
        found.add_people([speaker["person"]])
        return clause
    m = ZH_CONTACT.search(clause) if zh else EN_CONTACT.search(clause) or RU_CONTACT.search(clause)
    if m is None:
        return clause
    names = [_clean_name(n) for n in NAME_LIST.split(m["names"] or m["present"])]
    people = []
    for name in names:
        org: str | None = None
        if zh:
            org, person = _split_person(name)
            if person is None:
                org, person = None, name
        elif at := EN_PERSON_AT.match(name):
            person, org = _clean_name(at["person"]), _clean_name(at["org"])
        else:
            person = name
        if org and found.customer is None:
            found.customer = org
        people.append(person)
    found.add_people(people, met="verb" not in m.groupdict() or m["verb"].lower() != "saw")
    return clause[: m.start()] + " " + clause[m.end() :]
