"""/rules: an admin views the business rules in effect and changes one (SLA targets, visit
cadence, claims, digest times, quiet hours). Values go through the same pydantic models as the
rules files; a change is stored as an override (crm.services.rule_overrides), audited, and in
effect at once for the flows and the scheduler.

Diagram: docs/flows/rules.md (generated from FLOWS).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import time
from typing import Any

from pydantic import ValidationError

from bot.types import Lines, Raw, Reply, T, Text
from crm.rules import Rules
from crm.services import history as audit_history
from crm.services import rule_overrides as svc
from handlers import calendar_chat
from handlers.base import ADMINS, Command, Ctx, StaffCtx, Step, flow_button, is_admin, rows
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.labels import TICKET_KIND
from handlers.refusals import CHOOSE, RULES_ADMINS_ONLY, STALE


class RulesStep(States, flow="rules"):
    GROUP = "group"
    KEY = "key"
    VALUE = "value"


class RulesDraft(Draft):
    # The group of rules shown, and the rule being changed.
    group: str | None = None
    key: str | None = None


HISTORY = 15
NUMBER = re.compile(r"\d{1,7}")
PERCENT = re.compile(r"(\d{1,7})\s*%?")
CLOCK = re.compile(r"(\d{1,2})[:：.](\d{2})")

GROUPS = {
    "sla": T("SLA targets"),
    "cadence": T("Visit cadence"),
    "claims": T("Claims"),
    "digest": T("Digest times"),
    "quiet": T("Quiet hours"),
    "calendar": T("Business calendar"),
    "reports": T("Reps' reports"),
}
FIXED_LABELS = {
    "claims.period_days": T("Claim period (days)"),
    "claims.warn_days": T("Claim warning (days before it lapses)"),
    "digest.morning_agenda": T("Morning agenda"),
    "digest.manager_summary": T("Managers' daily summary"),
    "reports.evening": T("Daily report drafted (evening)"),
    "reports.weekly_day": T("Weekly report day (1 = Monday … 7 = Sunday)"),
    "reports.weekly_at": T("Weekly report and plan"),
    "reports.team_at": T("Team's reports to the manager"),
    "quiet_hours.start": T("Quiet hours start"),
    "quiet_hours.end": T("Quiet hours end"),
    "sla.warn_share": T("SLA warning (share of the time allowed)"),
}


def rule_label(key: str) -> Text:
    if key in FIXED_LABELS:
        return FIXED_LABELS[key]
    section, name, *rest = key.split(".")
    if section == "sla":
        kind = TICKET_KIND[name]
        if rest == ["first_response_minutes"]:
            return T("{kind}: first response (minutes)", kind=kind)
        return T("{kind}: resolution (hours)", kind=kind)
    if section == "cadence_days":
        return T("Visit cadence, class {cls} (days)", cls=name)
    return FIXED_LABELS[key]


def shown(value: Any, key: str | None = None) -> str:
    """A rule's value as /rules writes it and takes it: 08:30, 60, 80%."""
    if key is not None and key in svc.EDITABLE and svc.EDITABLE[key].kind == "percent":
        return f"{round(float(value) * 100)}%"
    return value.strftime("%H:%M") if isinstance(value, time) else str(value)


def overview(rules: Rules) -> Lines:
    lines: list[Text] = [
        T("<b>Business rules in effect</b>"),
        T("<b>SLA targets</b> (first response · resolution):"),
    ]
    for kind in svc.KINDS:
        target = getattr(rules.sla, kind)
        lines.append(
            T(
                "• {kind}: {minutes} min · {hours} h",
                kind=TICKET_KIND[kind],
                minutes=target.first_response_minutes,
                hours=target.resolution_hours,
            )
        )
    lines.append(
        T(
            "<b>SLA warning</b>: at {share} of the time allowed",
            share=shown(rules.sla.warn_share, "sla.warn_share"),
        )
    )
    c = rules.cadence_days
    lines += [
        T("<b>Visit cadence</b>: A every {a} days · B {b} · C {c}", a=c.A, b=c.B, c=c.C),
        T(
            "<b>Claims</b>: {period} days, warned {warn} days before",
            period=rules.claims.period_days,
            warn=rules.claims.warn_days,
        ),
        T(
            "<b>Digest times</b>: morning agenda {agenda} · managers' summary {summary}",
            agenda=shown(rules.digest.morning_agenda),
            summary=shown(rules.digest.manager_summary),
        ),
        T(
            "<b>Reps' reports</b>: daily report {evening} · weekly report on day {day} at "
            "{weekly} · team's reports to the manager {team}",
            evening=shown(rules.reports.evening),
            day=rules.reports.weekly_day,
            weekly=shown(rules.reports.weekly_at),
            team=shown(rules.reports.team_at),
        ),
        T(
            "<b>Quiet hours</b>: {start}–{end}",
            start=shown(rules.quiet_hours.start),
            end=shown(rules.quiet_hours.end),
        ),
    ]
    return Lines(*lines)


def _overview_prompt(ctx: Ctx) -> Reply:
    buttons = [flow_button(label, RulesStep.GROUP, key) for key, label in GROUPS.items()]
    buttons.append(flow_button(T("📜 History"), RulesStep.GROUP, "history"))
    return Reply(overview(ctx.rules), buttons=rows(*buttons))


def _denied() -> Step:
    return Step.end(Reply(RULES_ADMINS_ONLY, notice="alert"))


async def start(ctx: Ctx) -> Step:
    ctx.data = RulesDraft()
    return Step.go(RulesStep.GROUP)


async def group_step(ctx: Ctx) -> Step:
    if not is_admin(ctx):
        return _denied()
    if ctx.choice == "history":
        # The history in place of the overview, and the overview again below it.
        return Step.go(RulesStep.GROUP, await history(ctx))
    if ctx.choice == "calendar":
        return await calendar_chat.start(ctx)
    if ctx.choice not in GROUPS:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.group, ctx.data.key = ctx.choice, None
    return Step.go(RulesStep.KEY)


def _group_prompt(ctx: Ctx) -> Reply:
    group = ctx.data.group
    buttons = [
        flow_button(
            T(
                "{rule}: {value}",
                rule=rule_label(e.key),
                value=shown(svc.value_of(ctx.rules, e.key), e.key),
            ),
            RulesStep.KEY,
            e.key,
        )
        for e in svc.EDITABLE.values()
        if e.group == group
    ]
    buttons.append(flow_button(T("⬅ Back"), RulesStep.KEY, "back"))
    return Reply(T("Which rule?"), buttons=tuple((b,) for b in buttons))


async def key_step(ctx: Ctx) -> Step:
    if not is_admin(ctx):
        return _denied()
    editable = svc.EDITABLE.get(ctx.choice or "")
    if editable is None or editable.group != ctx.data.group:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.key = editable.key
    return Step.go(RulesStep.VALUE)


def _value_prompt(ctx: Ctx) -> Reply:
    key = ctx.data.key
    if key not in svc.EDITABLE:
        return Reply(STALE, buttons=rows(flow_button(T("⬅ Back"), RulesStep.VALUE, "back")))
    return _ask(ctx, key)


def _ask(ctx: Ctx, key: str) -> Reply:
    now = shown(svc.value_of(ctx.rules, key), key)
    back = rows(flow_button(T("⬅ Back"), RulesStep.VALUE, "back"))
    if svc.EDITABLE[key].kind == "percent":
        low, high = svc.PERCENT_BOUNDS
        text = T(
            "{rule} is now {value}. Type the new share as a whole percentage from {min} to "
            "{max}, e.g. 80.",
            rule=rule_label(key),
            value=now,
            min=low,
            max=high,
        )
    elif svc.EDITABLE[key].kind == "time":
        text = T(
            "{rule} is now {value}. Type the new time as HH:MM, e.g. 08:30.",
            rule=rule_label(key),
            value=now,
        )
    else:
        low, high = svc.bounds(key)
        text = T(
            "{rule} is now {value}. Type the new value: a whole number from {min} to {max}.",
            rule=rule_label(key),
            value=now,
            min=low,
            max=high,
        )
    return Reply(text, buttons=back)


def _parse(key: str, text: str) -> tuple[Any, Reply | None]:
    """The typed value as the rule's type, or the answer naming what is allowed."""
    text = unicodedata.normalize("NFKC", text).strip()  # full-width digits and colons too
    if svc.EDITABLE[key].kind == "time":
        m = CLOCK.fullmatch(text)
        if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            return None, Reply(T("Please type a time as HH:MM, e.g. 08:30. Nothing was changed."))
        return f"{int(m.group(1)):02d}:{m.group(2)}", None
    if svc.EDITABLE[key].kind == "percent":
        low, high = svc.PERCENT_BOUNDS
        m = PERCENT.fullmatch(text)
        if m is None or not low <= int(m.group(1)) <= high:
            return None, Reply(
                T(
                    "{rule} must be a whole percentage from {min} to {max}. Nothing was changed.",
                    rule=rule_label(key),
                    min=low,
                    max=high,
                )
            )
        return int(m.group(1)) / 100, None
    low, high = svc.bounds(key)
    if NUMBER.fullmatch(text) is None or not (low or 0) <= int(text) <= (high or 10**7):
        return None, Reply(
            T(
                "{rule} must be a whole number from {min} to {max}. Nothing was changed.",
                rule=rule_label(key),
                min=low,
                max=high,
            )
        )
    return int(text), None


def _conflict(key: str, rules: Rules) -> Text:
    """Why a value the field allows does not fit the other rules (the models' cross-checks)."""
    if key.startswith("claims."):
        return T(
            "The warning must come before the claim lapses: fewer warning days than the claim "
            "period (now {period} days, warned {warn} days before). Nothing was changed.",
            period=rules.claims.period_days,
            warn=rules.claims.warn_days,
        )
    if key.startswith("sla."):
        return T(
            "The first answer cannot be due after the resolution: the first-response target "
            "(minutes) must not exceed the resolution target (hours × 60). Nothing was changed."
        )
    if key.startswith("quiet_hours."):
        return T("Quiet hours must start and end at different times. Nothing was changed.")
    return T("That value does not fit the other rules. Nothing was changed.")


async def value_step(ctx: StaffCtx) -> Step:
    if not is_admin(ctx):
        return _denied()
    key = ctx.data.key
    if key is None or key not in svc.EDITABLE:
        return Step.end(Reply(STALE, notice="toast"))
    if ctx.choice is not None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    if not ctx.inbound.text:
        return ctx.stay(_ask(ctx, key))
    value, refusal = _parse(key, ctx.inbound.text)
    if refusal is not None:
        return ctx.stay(refusal)
    old = svc.value_of(ctx.rules, key)
    if shown(old, key) == shown(value, key):
        return Step.end(
            Reply(
                T(
                    "{rule} is already {value}. Nothing was changed.",
                    rule=rule_label(key),
                    value=shown(old, key),
                )
            )
        )
    assert ctx.rulebook is not None
    try:
        old, new = await svc.change(
            ctx.session, ctx.rulebook, key, value, actor_id=ctx.me.id, now=ctx.now()
        )
    except ValidationError:
        return ctx.stay(Reply(_conflict(key, ctx.rules)))
    return Step.end(
        Reply(
            T(
                "{rule}: {old} → {new}. In effect now.",
                rule=rule_label(key),
                old=shown(old, key),
                new=shown(new, key),
            )
        )
    )


async def history(ctx: Ctx) -> Reply:
    entries = await audit_history.changes_to(ctx.session, "rules", limit=HISTORY)
    if not entries:
        return Reply(T("No business rule has been changed in chat yet."))
    lines: list[Text] = [T("<b>Changes to business rules</b>")]
    for entry, name in entries:
        for key, change in (entry.changes or {}).items():
            if key not in svc.EDITABLE or not isinstance(change, list) or len(change) != 2:
                continue
            lines.append(
                T(
                    "{when} · {who} · {rule}: {old} → {new}",
                    when=entry.at,
                    who=Raw(name) if name else T("the system"),
                    rule=rule_label(key),
                    old=shown(change[0], key),
                    new=shown(change[1], key),
                )
            )
    return Reply(Lines(*lines))


COMMANDS = [
    Command("rules", ADMINS, start, T("business rules: SLA targets, cadence, claims, times"))
]


def _title(d: RulesDraft) -> Text:
    if d.key in svc.EDITABLE:
        return T("Change of the rule “{rule}”", rule=rule_label(d.key))
    return T("Change of business rules")


FLOWS = [
    Flow(
        RulesStep,
        ADMINS,
        {
            RulesStep.GROUP: State(
                group_step, _overview_prompt, accepts=BUTTONS, to=(RulesStep.KEY,), ends=False
            ),
            RulesStep.KEY: State(
                key_step,
                _group_prompt,
                accepts=BUTTONS,
                to=(RulesStep.VALUE,),
                back=RulesStep.GROUP,
                ends=False,
            ),
            RulesStep.VALUE: State(value_step, _value_prompt, back=RulesStep.KEY),
        },
        RulesDraft,
        _title,
        entries=(("/rules", RulesStep.GROUP),),
    )
]
