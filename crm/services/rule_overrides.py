"""Business rules changed in chat, kept in the database and applied over the files' rules.

The effective rules are the defaults, the company's file (`crm.rules.load_rules`), then the
overrides in `rule_override`. Every process holds a `RuleBook`, which re-reads them only when
the version in `key_value` moved: one primary-key look-up per update or scheduler pass, so a
change made in one replica is seen by every engine and scheduler at their next step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import structlog
from annotated_types import Ge, Gt, Le
from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.models import RuleOverride
from crm.rules import Rules
from crm.services import runtime
from crm.services.calendar import with_calendar

log = structlog.get_logger("rules")

VERSION_KEY = "rules.version"
KINDS = ("inquiry", "complaint", "suggestion", "fault", "service", "praise")


@dataclass(frozen=True)
class Editable:
    key: str  # dotted path in Rules
    kind: str  # "int", "time" or "percent" (a share kept as 0.01..0.99, typed as 1..99)
    group: str


def _editable() -> dict[str, Editable]:
    keys: list[Editable] = []
    for kind in KINDS:
        keys.append(Editable(f"sla.{kind}.first_response_minutes", "int", "sla"))
        keys.append(Editable(f"sla.{kind}.resolution_hours", "int", "sla"))
    # When the person handling a request is warned (crm.services.sla_warn).
    keys.append(Editable("sla.warn_share", "percent", "sla"))
    keys += [Editable(f"cadence_days.{c}", "int", "cadence") for c in "ABC"]
    keys += [
        Editable("claims.period_days", "int", "claims"),
        Editable("claims.warn_days", "int", "claims"),
        Editable("digest.morning_agenda", "time", "digest"),
        Editable("digest.manager_summary", "time", "digest"),
        Editable("reports.evening", "time", "reports"),
        Editable("reports.weekly_day", "int", "reports"),
        Editable("reports.weekly_at", "time", "reports"),
        Editable("reports.team_at", "time", "reports"),
        Editable("quiet_hours.start", "time", "quiet"),
        Editable("quiet_hours.end", "time", "quiet"),
    ]
    return {e.key: e for e in keys}


EDITABLE = _editable()


def value_of(rules: Rules, key: str) -> Any:
    node: Any = rules
    for part in key.split("."):
        node = getattr(node, part)
    return node


def bounds(key: str) -> tuple[int | None, int | None]:
    """The smallest and largest whole number the model allows for an int rule."""
    model: type[BaseModel] = Rules
    *path, last = key.split(".")
    for part in path:
        model = model.model_fields[part].annotation  # type: ignore[assignment]
    low = high = None
    for m in model.model_fields[last].metadata:
        if isinstance(m, Gt):
            low = int(m.gt) + 1  # type: ignore[call-overload]
        elif isinstance(m, Ge):
            low = int(m.ge)  # type: ignore[call-overload]
        elif isinstance(m, Le):
            high = int(m.le)  # type: ignore[call-overload]
    return low, high


# A share typed in chat, as whole percents (the model allows 0 < share < 1).
PERCENT_BOUNDS = (1, 99)


def to_json(value: Any) -> Any:
    return value.strftime("%H:%M") if isinstance(value, time) else value


def _nest(overrides: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        node = out
        *path, last = key.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            _merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def with_overrides(base: Rules, overrides: dict[str, Any]) -> Rules:
    """`base` with the overrides; raises pydantic.ValidationError if they do not fit."""
    return Rules.model_validate(_merge(base.model_dump(), _nest(overrides)))


def effective(base: Rules, overrides: dict[str, Any]) -> Rules:
    """Like `with_overrides`, but an override that no longer fits (the company's file changed
    under it, a key from another version) is skipped and logged instead of stopping the bot."""
    known = {k: v for k, v in overrides.items() if k in EDITABLE}
    try:
        return with_overrides(base, known)
    except ValidationError:
        pass
    kept: dict[str, Any] = {}
    for key in sorted(known):
        try:
            with_overrides(base, {**kept, key: known[key]})
        except ValidationError:
            log.warning("rule_override_ignored", key=key)
            continue
        kept[key] = known[key]
    return with_overrides(base, kept)


class RuleBook:
    """The effective rules of this process, cached against the version in the database."""

    def __init__(self, base: Rules) -> None:
        self.base = base
        self._version: str | None = None
        self._rules = base

    @staticmethod
    def version_column() -> ColumnElement[str | None]:
        """The rules' version, for `current(version=)` read along with another statement."""
        return runtime.kv_column(VERSION_KEY)

    async def current(self, session: AsyncSession) -> Rules:
        return await self.at_version(session, await runtime.kv_get(session, VERSION_KEY))

    async def at_version(self, session: AsyncSession, version: str | None) -> Rules:
        """The rules for `version` (read by the caller with `version_column`)."""
        if version != self._version:
            rows = await session.scalars(select(RuleOverride))
            rules = effective(self.base, {r.key: r.value for r in rows})
            # The admin's business calendar (hours per weekday, holidays and 调休 per year).
            self._rules = await with_calendar(session, rules)
            self._version = version
        return self._rules

    async def load(self, sessions: async_sessionmaker[AsyncSession]) -> Rules:
        async with sessions() as session:
            return await self.current(session)


async def resolve(rules: Rules | RuleBook, sessions: async_sessionmaker[AsyncSession]) -> Rules:
    return await rules.load(sessions) if isinstance(rules, RuleBook) else rules


async def change(
    session: AsyncSession,
    book: RuleBook,
    key: str,
    value: Any,
    *,
    actor_id: int,
    now: datetime,
) -> tuple[Any, Any]:
    """Sets one rule; returns (old, new). Raises KeyError for a rule that cannot be changed
    here and pydantic.ValidationError for a value the rules do not allow (nothing written)."""
    if key not in EDITABLE:
        raise KeyError(key)
    # The version row locked first: changes made at once by two admins (or replicas) queue here,
    # so each reads the other's and each bumps the version past what any cache has seen.
    version = await runtime.kv_lock(session, VERSION_KEY, default="0")
    rows = {
        r.key: r
        for r in await session.scalars(
            select(RuleOverride).execution_options(populate_existing=True)
        )
    }
    current = effective(book.base, {k: r.value for k, r in rows.items()})
    old = value_of(current, key)
    new = value_of(with_overrides(current, {key: value}), key)
    row = rows.get(key)
    if row is None:
        session.add(RuleOverride(key=key, value=to_json(new), updated_by=actor_id, updated_at=now))
    else:
        row.value, row.updated_by, row.updated_at = to_json(new), actor_id, now
    version.value = str(int(version.value or 0) + 1)
    await runtime.audit(
        session,
        actor_kind="staff",
        actor_id=actor_id,
        action="rules.change",
        entity="rules",
        entity_id=None,
        changes={key: [to_json(old), to_json(new)]},
        now=now,
    )
    return old, new
