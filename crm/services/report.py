"""A report on demand (/report) for any period: the figures of the summary (crm/services/
digest.py) with each rep's visit-plan completion, the complaint analysis (report_tickets) and
the lifecycle picture (report_lifecycle), in the lead's scope: a manager's team, an admin's
every team (then also one row per team).

A typed period (crm/date_ranges.py) becomes a digest `Period` of local days in the lead's time
zone, half-open [start, end) like the summaries', so a week here counts as the weekly summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from crm.language.date_ranges import DateRange
from crm.models import Staff
from crm.rules import Rules
from crm.services import digest
from crm.services.deals import figures as deal_figures
from crm.services.deals.figures import MoneyReport
from crm.services.digest import Digest, Period
from crm.services.digest_scope import scope_of
from crm.services.report_lifecycle import Lifecycle, lifecycle
from crm.services.report_pipeline import Pipeline, pipeline
from crm.services.report_tickets import TicketFigures, ticket_figures

__all__ = ["Lifecycle", "Report", "TeamRow", "TicketFigures", "build", "period_of"]


def period_of(found: DateRange, tz: ZoneInfo) -> Period:
    return Period(found.kind, found.first, found.last + timedelta(days=1), tz)


@dataclass(frozen=True)
class TeamRow:
    team: str | None
    reps: int
    visits: int
    plan: float | None

    @property
    def percent(self) -> int | None:
        return None if not self.plan else round(self.visits * 100 / self.plan)


@dataclass
class Report:
    digest: Digest
    tickets: TicketFigures
    lifecycle: Lifecycle
    # Only for an admin: one row per team, by name (reps without a team last).
    teams: list[TeamRow] = field(default_factory=list)
    # The pipeline, won and collected amounts, receivables and DSO (crm/services/deals).
    money: MoneyReport = field(default_factory=MoneyReport)
    currency: str = "CNY"
    # The pipeline and conversion figures (report_pipeline).
    pipeline: Pipeline = field(default_factory=Pipeline)

    @property
    def period(self) -> Period:
        return self.digest.period

    @property
    def open(self) -> bool:
        """The period is not over yet: its figures are so far."""
        return self.digest.now < self.period.end


def _teams(d: Digest) -> list[TeamRow]:
    names = sorted({r.staff.team for r in d.reps}, key=lambda t: (t is None, t or ""))
    rows = []
    for name in names:
        reps = [r for r in d.reps if r.staff.team == name]
        plans = [r.plan for r in reps if r.plan is not None]
        rows.append(
            TeamRow(name, len(reps), sum(r.visits for r in reps), sum(plans) if plans else None)
        )
    return rows


async def build(
    session: AsyncSession, lead: Staff, period: Period, now: datetime, rules: Rules
) -> Report:
    """The lead's report of `period` as of `now`; the scope is worked out again each time."""
    scope = await scope_of(session, lead)
    d = await digest.build(session, lead, period, now, rules)
    report = Report(
        d,
        await ticket_figures(session, scope, period.start, period.end, now),
        await lifecycle(session, scope, period.start, period.end, now, rules),
    )
    if scope.everyone:
        report.teams = _teams(d)
    report.money = await deal_figures.report(session, scope, period, now, rules)
    report.currency = rules.deals.currency
    # The summary's figures carry the monthly targets' completion (digest.build).
    new_targets = {c.staff.id: c.targets.new for c in d.targets}
    report.pipeline = await pipeline(
        session, scope, period.start, period.end, now, rules, new_targets
    )
    return report
