"""Care messages to customers (greetings, check-ins, campaign messages) with their opt-out
button, the owner's birthday heads-up, and the labels of campaigns. Neutral types only.

Every care message (birthday, holiday, cadence check-in, campaign greeting) carries the opt-out
button `care_off:<customer id>`; operational notices (policy, price, outage, event) do not.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from bot.types import Button, Lines, Raw, Reply, T, Text

# Holiday greetings by the `holidays` library's English names (crm.care_calendar); any other
# holiday gets HOLIDAY_FALLBACK.
HOLIDAY_GREETINGS: dict[str, T] = {
    "New Year's Day": T(
        "🎉 Happy New Year, {name}! Thank you for your trust in the past year; we wish you every "
        "success in the new one."
    ),
    "Chinese New Year's Eve": T(
        "🏮 Happy New Year's Eve, {name}! Wishing you a warm reunion dinner with your family."
    ),
    "Chinese New Year (Spring Festival)": T(
        "🧧 Happy Spring Festival, {name}! Wishing you and your family health, happiness and "
        "prosperity in the new year."
    ),
    "Tomb-Sweeping Day": T("🌿 Wishing you a peaceful Qingming, {name}."),
    "Labor Day": T("🌷 Happy Labour Day, {name}! Enjoy a well-earned rest."),
    "Dragon Boat Festival": T(
        "🐉 Happy Dragon Boat Festival, {name}! Wishing you good health and good fortune."
    ),
    "Mid-Autumn Festival": T(
        "🥮 Happy Mid-Autumn Festival, {name}! May the full moon bring you and your family "
        "togetherness and joy."
    ),
    "National Day": T("🎊 Happy National Day, {name}! Have a wonderful holiday."),
}


def holiday_fallback(holiday: str, name: str) -> T:
    return T("🎉 Season's greetings for {holiday}, {name}!", holiday=Raw(holiday), name=name)


TOPIC = {
    "greeting": T("💐 Greeting"),
    "policy": T("📢 Notice: policy"),
    "price": T("💰 Notice: price"),
    "outage": T("⚡ Notice: outage"),
    "event": T("🎪 Notice: event"),
}
# The first line of a notice, above the text the manager typed.
NOTICE_HEADER = {
    "policy": T("📢 <b>Policy notice</b>"),
    "price": T("💰 <b>Price notice</b>"),
    "outage": T("⚡ <b>Outage notice</b>"),
    "event": T("🎪 <b>Event notice</b>"),
}
OPT_OUT = T("🔕 No more greetings")
OPT_IN = T("🔔 Greetings back on")


def opt_out_buttons(customer_id: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button(OPT_OUT, f"care_off:{customer_id}"),),)


def opt_in_buttons(customer_id: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button(OPT_IN, f"care_on:{customer_id}"),),)


def birthday_greeting(name: str, customer_id: int) -> Reply:
    return Reply(
        T(
            "🎂 Happy birthday, {name}! Wishing you health, joy and a wonderful year ahead.",
            name=name,
        ),
        buttons=opt_out_buttons(customer_id),
    )


def with_params(template: T, **params: object) -> T:
    """The table's message with this reader's values (the msgid stays the extracted one)."""
    filled = copy.copy(template)
    object.__setattr__(filled, "params", {**template.params, **params})
    return filled


def holiday_greeting(holidays: Sequence[str], name: str, customer_id: int) -> Reply:
    """One message for the day, however many holidays begin on it."""
    parts: list[Text] = []
    for holiday in holidays:
        known = HOLIDAY_GREETINGS.get(holiday)
        parts.append(with_params(known, name=name) if known else holiday_fallback(holiday, name))
    return Reply(Lines(*parts), buttons=opt_out_buttons(customer_id))


def cadence_checkin(name: str, rep: str | None, customer_id: int) -> Reply:
    if rep:
        text = T(
            "👋 Hello {name}! This is {rep}, your account manager. Just checking in: is "
            "everything running smoothly? If there is anything we can do for you, simply write "
            "here.",
            name=name,
            rep=rep,
        )
    else:
        text = T(
            "👋 Hello {name}! Your account team here, just checking in: is everything running "
            "smoothly? If there is anything we can do for you, simply write here.",
            name=name,
        )
    return Reply(text, buttons=opt_out_buttons(customer_id))


def campaign_message(
    topic: str,
    text: str,
    customer_id: int,
    *,
    buttons: tuple[tuple[Button, ...], ...] | None = None,
) -> Reply:
    """The manager's text (already filled in); a greeting gets the opt-out button (or the
    `buttons` given, for a preview), a notice its header line and no button."""
    if topic in NOTICE_HEADER:
        return Reply(Lines(NOTICE_HEADER[topic], Raw(text)))
    return Reply(Raw(text), buttons=opt_out_buttons(customer_id) if buttons is None else buttons)


def birthday_headsup(
    person: str, customer: str, customer_id: int, *, contact: bool, greeted: bool
) -> Reply:
    """To the owner rep, on the day: staff messages need no consent."""
    head = (
        T("🎂 Today is the birthday of {person} ({customer}).", person=person, customer=customer)
        if contact
        else T("🎂 Today is {person}'s birthday.", person=person)
    )
    status = (
        T("A birthday greeting went out to them through the bot.")
        if greeted
        else T(
            "The bot sent them no greeting (not on Telegram, or no consent to care messages): a "
            "call or a message from you would be welcome."
        )
    )
    return Reply(
        Lines(head, status), buttons=((Button(T("📇 Open card"), f"card:{customer_id}"),),)
    )
