"""What the visit flow shows on each step, and the summary card both entries end on."""

from __future__ import annotations

from datetime import datetime

from bot.types import Button, KeyButton, Lines, Raw, Reply, T, Text
from crm.enums import VisitKind
from handlers.base import Ctx, flow_button
from handlers.labels import PURPOSE, VISIT_KIND
from handlers.visit_states import ORDER, VisitStep

EDITABLE = ORDER[:-1]


def header(step: VisitStep) -> Text:
    return T("Visit · step {n} of {total}", n=ORDER.index(step) + 1, total=len(ORDER))


def button(label: Text, step: str, value: str) -> Button:
    return flow_button(label, VisitStep(step), value)


def nav(step: str, *extra: Button) -> tuple[Button, ...]:
    return (*extra, button(T("⬅ Back"), step, "back"))


def prompt(ctx: Ctx, step: VisitStep) -> Reply:
    head = header(step)
    d = ctx.data
    if step == "customer":
        return Reply(
            Lines(head, T("Which customer? Type a name, phone or pinyin initials.")),
            buttons=tuple((button(Raw(label), "customer", str(cid)),) for cid, label in d.recent)
            + ((button(T("➕ New customer"), "customer", "new"),),),
        )
    if step == "kind":
        kinds = [button(VISIT_KIND[k], "kind", k) for k in VisitKind]
        return Reply(
            Lines(head, T("{customer}: how did you meet?", customer=d["customer_name"])),
            buttons=(tuple(kinds[:2]), tuple(kinds[2:]), nav("kind")),
        )
    if step == "purpose":
        purposes = [button(label, "purpose", key) for key, label in PURPOSE.items()]
        return Reply(
            Lines(head, T("Purpose of the visit?")),
            buttons=(tuple(purposes[:3]), tuple(purposes[3:]), nav("purpose")),
        )
    if step == "outcome":
        return Reply(
            Lines(head, T("What was discussed and what came of it?")),
            buttons=(nav("outcome"),),
        )
    if step == "contacts":
        chosen = set(d.get("contacts", []))
        known = [
            button(Raw(("✓ " if name in chosen else "") + name), "contacts", f"c{cid}")
            for cid, name in d.get("known_contacts", [])
        ]
        return Reply(
            Lines(
                head, T("Whom did you meet? Tap the contacts, or type names separated by commas.")
            ),
            buttons=tuple((b,) for b in known)
            + (
                nav(
                    "contacts",
                    button(T("Done"), "contacts", "done"),
                    button(T("Skip"), "contacts", "skip"),
                ),
            ),
        )
    if step == "checkin":
        pinned = (T("📍 Your location is already recorded."),) if d.get("lat") is not None else ()
        return Reply(
            Lines(head, T("Check in: send your location pin and any photos, or skip."), *pinned),
            buttons=(
                nav(
                    "checkin",
                    button(T("Done"), "checkin", "done"),
                    button(T("Skip"), "checkin", "skip"),
                ),
            ),
            keyboard=((KeyButton(T("📍 Send my location"), request_location=True),),),
        )
    if step == "followup":
        return Reply(
            Lines(
                head,
                T(
                    "When will you follow up? "
                    "E.g. “tomorrow 10:00”, “in 3 days”, “2026-12-05 15:00”."
                ),
            ),
            buttons=(nav("followup", button(T("No follow-up"), "followup", "skip")),),
        )
    return summary(ctx)


def summary(ctx: Ctx) -> Reply:
    from handlers.visit_reading import mark, summary_lines

    d = ctx.data
    lines: list[Text] = [
        header("confirm"),
        mark(ctx, "customer", T("<b>Visit to {customer}</b>", customer=d["customer_name"])),
        mark(ctx, "kind", T("Visit type: {kind}", kind=VISIT_KIND[d.get("kind") or "onsite"])),
        *summary_lines(ctx),
    ]
    if d.get("purpose"):
        lines.append(T("Purpose: {purpose}", purpose=PURPOSE.get(d["purpose"], Raw(d["purpose"]))))
    lines.append(T("Outcome: {outcome}", outcome=d.get("outcome") or ""))
    if d.get("contacts"):
        # Chinese lists names with 、, not a comma.
        sep = "、" if ctx.who.locale.startswith("zh") else ", "
        lines.append(T("Met: {names}", names=sep.join(d["contacts"])))
    if d.get("lat") is not None:
        if d.get("distance_m") is None:
            lines.append(T("📍 Checked in (the customer has no address point)"))
        elif d.get("far"):
            lines.append(
                T("📍 Checked in {m} m from the customer's address ⚠️", m=round(d["distance_m"]))
            )
        else:
            lines.append(
                T("📍 Checked in {m} m from the customer's address", m=round(d["distance_m"]))
            )
    if d.get("photos"):
        lines.append(T("Photos: {n}", n=len(d["photos"])))
    lines.append(
        T("Follow-up: {when}", when=datetime.fromisoformat(d["followup_at"]))
        if d.get("followup_at")
        else T("Follow-up: none")
    )
    return Reply(
        Lines(*lines),
        buttons=(
            (
                button(T("✅ Save"), "confirm", "save"),
                button(T("✏️ Edit"), "confirm", "edit"),
                button(T("✖ Cancel"), "confirm", "cancel"),
            ),
        ),
    )


def unreadable_date(text: str) -> T:
    return T(
        "I could not read “{text}” as a date. Try “tomorrow 10:00” or “2026-12-05”.",
        text=text[:100],
    )
