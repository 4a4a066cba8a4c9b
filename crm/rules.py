"""Business rules as data: defaults from rules.default.toml, overlaid by the company's own file."""

from __future__ import annotations

import tomllib
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Classes(_Strict):
    key_threshold: float = Field(gt=0)
    ordinary_threshold: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Classes:
        if self.ordinary_threshold >= self.key_threshold:
            raise ValueError("ordinary_threshold must be below key_threshold")
        return self


# Upper bounds keep a typo (an extra zero) from making a rule meaningless; /rules names them.
class Cadence(_Strict):
    A: int = Field(gt=0, le=3650)
    B: int = Field(gt=0, le=3650)
    C: int = Field(gt=0, le=3650)


class Claims(_Strict):
    period_days: int = Field(gt=0, le=3650)
    warn_days: int = Field(ge=0, le=365)

    @model_validator(mode="after")
    def _warned_before(self) -> Claims:
        if self.warn_days >= self.period_days:
            raise ValueError("warn_days must be below period_days")
        return self


class Stages(_Strict):
    order: list[str]
    lost_reasons: list[str] = Field(min_length=1)


class Customers(_Strict):
    credit_ratings: list[str] = Field(min_length=1)
    power_supply: bool

    @field_validator("credit_ratings")
    @classmethod
    def _short(cls, v: list[str]) -> list[str]:
        if any(not r or len(r) > 8 for r in v) or len(set(v)) != len(v):
            raise ValueError("credit_ratings are distinct words of 1 to 8 characters")
        return v


class Dedupe(_Strict):
    name_threshold: float = Field(gt=0, le=100)
    sound_threshold: float = Field(gt=0, le=100)
    address_threshold: float = Field(gt=0, le=100)
    name_with_address: float = Field(gt=0, le=100)


class Visits(_Strict):
    checkin_radius_m: int = Field(gt=0)


class SlaTarget(_Strict):
    first_response_minutes: int = Field(gt=0, le=7 * 24 * 60)
    resolution_hours: int = Field(gt=0, le=90 * 24)
    business_hours: bool

    @model_validator(mode="after")
    def _first_within_resolution(self) -> SlaTarget:
        # A first answer due after the resolution is a contradiction, not a rule.
        if self.first_response_minutes > self.resolution_hours * 60:
            raise ValueError("first_response_minutes must not exceed resolution_hours")
        return self


class Sla(_Strict):
    class_a_factor: float = Field(gt=0, le=1)
    # The assignee is warned when this share of the time allowed has passed (0.8 = 80%).
    warn_share: float = Field(default=0.8, gt=0, lt=1)
    complaint: SlaTarget
    fault: SlaTarget
    inquiry: SlaTarget
    suggestion: SlaTarget
    service: SlaTarget
    praise: SlaTarget


class Tickets(_Strict):
    categories: dict[str, list[str]]
    reopen_days: int = Field(ge=0)
    rating_reminder_hours: int = Field(gt=0)
    low_rating: int = Field(ge=1, le=5)
    queue_chat_id: int
    # A closed complaint's return visit (a call to the customer) is due this many business
    # days after the closing.
    return_visit_days: int = Field(default=2, ge=0, le=30)

    @field_validator("categories")
    @classmethod
    def _kinds(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        kinds = {"inquiry", "complaint", "suggestion", "fault", "service", "praise"}
        if set(v) != kinds:
            raise ValueError(f"categories needs exactly the kinds {sorted(kinds)}")
        if any(not cats for cats in v.values()):
            raise ValueError("every kind needs at least one category")
        return v


class BusinessHours(_Strict):
    start: time
    end: time
    weekdays: list[int]
    holiday_country: str
    # The admin's calendar (crm.services.calendar, tables calendar_day and weekday_hours),
    # filled in by the RuleBook: hours of particular weekdays ([] = closed that weekday), and
    # for each year in `table_years` its days off and make-up working days (调休). A year not in
    # the table falls back to chinese-calendar / holidays.
    by_weekday: dict[int, list[time]] = Field(default_factory=dict)
    table_years: list[int] = Field(default_factory=list)
    days_off: list[date] = Field(default_factory=list)
    extra_workdays: list[date] = Field(default_factory=list)

    @field_validator("weekdays")
    @classmethod
    def _iso(cls, v: list[int]) -> list[int]:
        if not v or any(d < 1 or d > 7 for d in v):
            raise ValueError("weekdays are ISO numbers 1..7")
        return v

    @model_validator(mode="after")
    def _span(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class QuietHours(_Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def _span(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end must differ")
        return self


class Digest(_Strict):
    morning_agenda: time
    manager_summary: time


class Reports(_Strict):
    evening: time = time(17, 30)
    weekly_day: int = Field(default=6, ge=1, le=7)
    weekly_at: time = time(16, 0)
    team_at: time = time(19, 0)


class RateLimits(_Strict):
    global_per_second: int = Field(gt=0, le=30)
    per_chat_per_second: int = Field(gt=0)
    per_group_per_minute: int = Field(gt=0)
    user_messages_per_minute: int = Field(gt=0)
    tickets_per_window: int = Field(gt=0)
    ticket_window_minutes: int = Field(gt=0)


class Invites(_Strict):
    ttl_hours: int = Field(gt=0)


class Scheduler(_Strict):
    # After downtime, what fell due at most this long ago is sent once, marked late; older items
    # are skipped and reported (scheduler.jobs.is_within_grace).
    late_grace_hours: int = Field(gt=0, le=24 * 30)


class Drafts(_Strict):
    # A parked draft (an interrupted flow) is kept this long, with a reminder a day before.
    keep_days: int = Field(gt=1, le=90)
    # A flow left untouched this long is parked when the user next writes (or by the scheduler),
    # so that new words do not land in yesterday's half-finished step.
    idle_park_hours: int = Field(gt=0, le=24 * 30)


class Privacy(_Strict):
    # Sent outbox rows older than this lose their text (scheduler.privacy_jobs).
    outbox_retention_days: int = Field(gt=0, le=3650)


class Care(_Strict):
    cadence_days: dict[str, int]
    send_at: time
    cap_count: int = Field(gt=0)
    cap_days: int = Field(gt=0)
    holiday_greetings: bool
    birthday_greetings: bool
    skip_holidays: list[str]

    @field_validator("cadence_days")
    @classmethod
    def _classes(cls, v: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(v) - {"A", "B", "C"})
        if unknown:
            raise ValueError(f"cadence_days names unknown classes {unknown}: use A, B or C")
        if any(days < 0 for days in v.values()):
            raise ValueError("cadence_days are days: 0 (no check-ins) or more")
        return v


class Deals(_Strict):
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    probability: dict[str, int]
    payment_terms: list[str] = Field(min_length=1)
    expiry_remind_days: list[int] = Field(min_length=1)
    collection_after_days: int = Field(ge=0, le=90)
    escalate_days: int = Field(gt=0, le=365)
    credit_terms: dict[str, list[str]]

    @field_validator("probability")
    @classmethod
    def _percent(cls, v: dict[str, int]) -> dict[str, int]:
        if "won" not in v or "lost" not in v or len(v) < 3:
            raise ValueError("probability needs won, lost and at least one open stage")
        if any(p < 0 or p > 100 for p in v.values()):
            raise ValueError("probabilities are percents: 0..100")
        return v

    @field_validator("expiry_remind_days")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if any(d <= 0 or d > 365 for d in v):
            raise ValueError("expiry_remind_days are days before the end: 1..365")
        return sorted(set(v), reverse=True)

    @model_validator(mode="after")
    def _known_terms(self) -> Deals:
        unknown = {t for ts in self.credit_terms.values() for t in ts} - set(self.payment_terms)
        if unknown:
            raise ValueError(f"credit_terms name unknown payment terms {sorted(unknown)}")
        return self

    @property
    def open_stages(self) -> list[str]:
        return [s for s in self.probability if s not in ("won", "lost")]

    def terms_for(self, rating: str | None) -> list[str]:
        """The payment terms a customer's credit rating allows."""
        allowed = self.credit_terms.get((rating or "").upper())
        return list(allowed) if allowed else list(self.payment_terms)


class Rules(_Strict):
    classes: Classes
    cadence_days: Cadence
    claims: Claims
    stages: Stages
    customers: Customers
    dedupe: Dedupe
    visits: Visits
    sla: Sla
    tickets: Tickets
    business_hours: BusinessHours
    quiet_hours: QuietHours
    digest: Digest
    reports: Reports = Reports()
    rate_limits: RateLimits
    invites: Invites
    scheduler: Scheduler
    privacy: Privacy
    care: Care
    drafts: Drafts
    deals: Deals

    @model_validator(mode="after")
    def _deal_stages(self) -> Rules:
        unknown = set(self.deals.probability) - set(self.stages.order)
        if unknown:
            raise ValueError(
                f"deals.probability names stages not in stages.order {sorted(unknown)}"
            )
        return self


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def default_rules_text() -> str:
    return resources.files("crm").joinpath("rules.default.toml").read_text(encoding="utf-8")


def load_rules(path: Path | None = None) -> Rules:
    """Defaults merged with the company's file; raises pydantic.ValidationError naming the key."""
    data = tomllib.loads(default_rules_text())
    if path is not None:
        data = _merge(data, tomllib.loads(Path(path).read_text(encoding="utf-8")))
    return Rules.model_validate(data)
