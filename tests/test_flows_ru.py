"""Flows through the console in Russian: a customer's complaint seen in /my, and a rep's
one-message and guided visits with follow-ups typed in Russian.

The seeded demo company starts on Tue 2026-12-01 09:00 Asia/Shanghai; customer1 is linked to
华能电厂, rep2 (Lucy Chen) owns Acme Logistics. What is expected is rendered from
locales/ru/LC_MESSAGES/messages.po, so the catalog's wording may change, but the test fails if
the flow shows anything other than the Russian text (or if that text is not Russian at all).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from bot.channels.console import plain
from bot.i18n import Renderer
from bot.types import T, Text
from crm.models import CustomerUser, FollowUp, Ticket, Visit
from handlers.labels import PURPOSE, TICKET_KIND, TICKET_STATUS, VISIT_KIND
from tests.conftest import Transcript
from tests.helpers import customer, staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
CYRILLIC = re.compile(r"[А-Яа-яЁё]{2,}")


def ru(message: Text | str, /, **params: Any) -> str:
    """The text as a Russian reader in Shanghai gets it on the console."""
    text = T(message, **params) if isinstance(message, str) else message
    shown = plain(Renderer("ru", SHANGHAI)(text))
    english = plain(Renderer("en", SHANGHAI)(text))
    assert shown != english and CYRILLIC.search(shown), f"not translated to Russian: {shown!r}"
    return shown


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


async def test_customer_complains_in_russian_and_sees_it_in_my(app: App, chat: Transcript) -> None:
    out = await chat("/as customer1", "/lang", "[Русский]")
    assert ru("Language set to English.") in out
    out = await chat(f"[{ru('✉️ New request')}]")
    assert ru("What would you like to send us?") in out
    out = await chat(f"[{ru(TICKET_KIND['complaint'])}]", f"[{ru('Service')}]")
    out = await chat("На этой неделе дважды отключали свет без предупреждения", "[1]")
    assert ru("Send this to us?") in out
    out = await chat("[1]")
    assert ru("Thank you. Your request number is <b>{number}</b>.", number="T-2026-000004") in out
    assert ru("We will answer by {when}.", when=at(12, 1, 9, 30)) in out
    assert "вт, 1 дек. 09:30" in out  # the date in Russian, in the reader's zone
    # Staff read it in their own language: the agent in Simplified Chinese.
    assert "[to agent] 🆕 客户华能电厂提交了投诉 T-2026-000004" in out
    out = await chat("/my")
    assert ru("<b>Your requests</b>") in out
    row = f"T-2026-000004 · {ru(TICKET_KIND['complaint'])} · {ru(TICKET_STATUS['new'])}"
    assert row in out
    async with app.sessions() as s:
        ticket = await s.scalar(select(Ticket).where(Ticket.number == "T-2026-000004"))
        assert ticket is not None
        cuser = await s.get(CustomerUser, ticket.customer_user_id)
    assert ticket.text == "На этой неделе дважды отключали свет без предупреждения"
    assert ticket.kind == "complaint" and ticket.customer_id == (await customer(app, "华能电厂")).id
    assert cuser is not None and cuser.locale == "ru"


async def test_rep_one_message_visit_in_russian(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/lang")
    out = await chat("[Русский]")
    assert ru("Language set to English.") in out
    assert (await staff(app, "rep2")).locale == "ru"
    out = await chat(
        "визит в Acme Logistics, встретился с Mr. Li, хотят цену на трансформатор, "
        "перезвонить в следующий вторник после обеда"
    )
    for fragment in (
        ru("Visit · step {n} of {total}", n=8, total=8),
        ru("<b>Visit to {customer}</b>", customer="Acme Logistics"),
        ru("Visit type: {kind}", kind=VISIT_KIND["onsite"]),
        ru("Outcome: {outcome}", outcome="хотят цену на трансформатор, перезвонить"),
        ru("Met: {names}", names="Mr. Li"),
        ru("Follow-up: {when}", when=at(12, 8, 15)),
        ru("✅ Save"),
    ):
        assert fragment in out, fragment
    assert "вт, 8 дек. 15:00" in out
    out = await chat("[1]")
    assert ru("Saved: visit to {customer}.", customer="Acme Logistics") in out
    assert ru("I will remind you on {when}.", when=at(12, 8, 15)) in out
    async with app.sessions() as s:
        # перезвонить says how to follow up: kept (the date is the follow-up's own field).
        outcome = "хотят цену на трансформатор, перезвонить"
        visit = await s.scalar(select(Visit).where(Visit.outcome == outcome))
        assert visit is not None and visit.contacts_met == "Mr. Li" and visit.kind == "onsite"
        fu = await s.scalar(select(FollowUp).where(FollowUp.visit_id == visit.id))
    assert visit.customer_id == (await customer(app, "Acme Logistics")).id
    assert fu is not None and fu.due_at == at(12, 8, 15)


async def test_rep_guided_visit_with_a_russian_follow_up(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "/lang", "[Русский]", "/visit", "acme", "[1]")
    out = await chat(f"[{ru(PURPOSE['quote'])}]")
    out = await chat("обсудили тарифы", f"[{ru('Skip')}]", f"[{ru('Skip')}]")
    assert (
        ru("When will you follow up? E.g. “tomorrow 10:00”, “in 3 days”, “2026-12-05 15:00”.")
        in out
    )
    out = await chat("когда-нибудь")
    assert (
        ru(
            "I could not read “{text}” as a date. Try “tomorrow 10:00” or “2026-12-05”.",
            text="когда-нибудь",
        )
        in out
    )
    out = await chat("завтра в 3 часа дня")
    assert ru("Follow-up: {when}", when=at(12, 2, 15)) in out
    out = await chat("[1]")
    assert ru("I will remind you on {when}.", when=at(12, 2, 15)) in out
    async with app.sessions() as s:
        visit = await s.scalar(select(Visit).where(Visit.outcome == "обсудили тарифы"))
        assert visit is not None and visit.purpose == "quote"
        fu = await s.scalar(select(FollowUp).where(FollowUp.visit_id == visit.id))
    assert fu is not None and fu.due_at == at(12, 2, 15)
