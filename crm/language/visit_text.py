"""One message typed outside a customer's gate → a visit draft.

    拜访华能电厂，见了张工，谈变压器报价，下周二下午跟进
    拜訪華能電廠，見了張工，談變壓器報價，下週二下午跟進
    visited Acme, met Li, they want a quote, follow up Friday 3pm
    визит в Acme, встретился с Li, хотят цену, перезвонить в пятницу в 15:00

The message is cut into clauses at punctuation. The clause with a follow-up word (跟进, 回访,
follow up, call back...) and a date gives the follow-up; the others give the customer (after
拜访, visited, called...), the people met (after 见了, 和, met, saw...), and what is left is the
outcome. Traditional Chinese is read through zh_hant.fold, and what is found is given back
in the characters typed. Matching the typed customer name against the database is the caller's
job.

Pure and synchronous: no database, no bot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from crm.language.dates import FoundWhen, parse_when
from crm.language.visit_text_clauses import clean_outcome, split_clauses, strip_edges, take_followup
from crm.language.visit_text_people import Found, take_contacts, take_customer, take_met_with
from crm.language.visit_text_words import (
    CUSTOMER_RULES,
    NOT_A_NAME,
    ONLINE,
    ONLINE_WORDS,
    ONSITE,
    ONSITE_WORDS,
    PHONE,
    PHONE_WORDS,
)
from crm.language.zh_hant import fold

MAX_LENGTH = 2000
_CJK = re.compile(r"[\u3400-\u9fff]")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


@dataclass
class VisitDraft:
    customer_query: str | None  # the customer's name as typed, to be matched by the caller
    contacts: list[str]  # people met, e.g. ["张工"] / ["Li"]
    outcome: str  # what was discussed/achieved (the rest of the message, cleaned)
    followup_at: datetime | None  # timezone-aware, in tz
    followup_text: str | None  # the date phrase as typed
    kind: str | None  # "onsite" | "phone" | "online" | None if not said


def _kind_from_words(text: str) -> str | None:
    for pattern, kind in ((ONLINE_WORDS, ONLINE), (PHONE_WORDS, PHONE), (ONSITE_WORDS, ONSITE)):
        if pattern.search(text):
            return kind
    return None


def _looks_like_name(text: str, zh: bool, now: datetime, tz: ZoneInfo) -> bool:
    if not text or NOT_A_NAME.search(text):
        return False
    if (len(text) > 20) if zh else (len(text.split()) > 5):
        return False
    return parse_when(text, now, tz) is None


def parse_visit(text: str, now: datetime, tz: ZoneInfo) -> VisitDraft | None:
    """The visit a one-message report describes, or None if the text is no visit report.

    A report names a customer or a person met; anything else ("hello", "谢谢", a lone date,
    "/start") is not one.
    """
    typed = text.strip()
    if not typed or typed.startswith("/") or len(typed) > MAX_LENGTH:
        return None
    text = fold(typed)
    # The fold changes characters one for one: what was found goes back to the typed ones.
    unfold = str.maketrans({f: t for f, t in zip(text, typed, strict=True) if f != t})
    # A Russian report may name a Chinese customer (визит в 华能电厂): its words decide.
    zh = _CJK.search(text) is not None and _CYRILLIC.search(text) is None
    followup: FoundWhen | None = None
    clauses: list[str] = []
    for clause in split_clauses(text):
        if followup is None and (hit := take_followup(clause, now, tz)) is not None:
            followup, clause = hit
        clauses.append(clause)

    found = Found()
    nothing_stronger = not any(p.search(c) for c in clauses for p, _ in CUSTOMER_RULES[zh])
    first_leftover: str | None = None
    for i, clause in enumerate(clauses):
        rest = clause
        if found.customer is None:
            rest = take_customer(rest, zh, found)
        if found.customer is None and nothing_stronger and not zh:
            rest = take_met_with(rest, found)
        rest = clean_outcome(take_contacts(rest, zh, found))
        if rest:
            found.outcome.append(rest)
            if i == 0:
                first_leftover = rest

    if found.customer is None and found.contacts and first_leftover is not None:
        if _looks_like_name(first_leftover, zh, now, tz):
            found.customer = first_leftover
            found.outcome.remove(first_leftover)
    if found.customer is None and not found.met:
        return None

    kind = found.kind or _kind_from_words(" ".join(clauses))
    outcome = ("，" if zh else ", ").join(found.outcome) or strip_edges(text)
    return VisitDraft(
        customer_query=found.customer.translate(unfold) if found.customer else None,
        contacts=[c.translate(unfold) for c in found.contacts],
        outcome=outcome.translate(unfold),
        followup_at=followup.when if followup else None,
        followup_text=followup.phrase.strip().translate(unfold) if followup else None,
        kind=kind,
    )
