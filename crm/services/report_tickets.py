"""The complaint analysis of a report: the team's requests of a period by kind and category,
how many missed a time limit, how fast they were answered and resolved, and their rating.

Each request counts where its event fell: received in the period (kind, category), its deadline
in the period (breach rate), answered in it (time to first response), resolved in it (time to
resolution), rated in it (rating). Times are elapsed time from receipt, as the customer waits
it, not business hours; the time limits themselves run on the business calendar (crm/sla.py).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import TicketKind
from crm.models import Ticket
from crm.services import resolutions, return_visits
from crm.services.digest_scope import Scope, between, breached, count
from crm.services.return_visits import VisitFigures


@dataclass
class TicketFigures:
    received: int = 0
    # (kind, n) and (category or None, n), the most frequent first.
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    by_category: list[tuple[str | None, int]] = field(default_factory=list)
    resolved: int = 0
    # Requests with a time limit falling due in the period (up to now), and those that missed it.
    with_deadline: int = 0
    breached: int = 0
    first_response: timedelta | None = None  # the median
    first_responses: int = 0
    resolution: timedelta | None = None  # the median
    resolutions: int = 0
    rating: float | None = None
    ratings: int = 0
    praise: int = 0
    return_visits: VisitFigures = field(default_factory=VisitFigures)

    @property
    def breach_rate(self) -> int | None:
        """Percent of the requests with a deadline in the period that missed it."""
        if not self.with_deadline:
            return None
        return round(self.breached * 100 / self.with_deadline)


def _ranked(counts: Counter[str | None]) -> list[tuple[str | None, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or "~"))


def _median(spans: list[timedelta]) -> timedelta | None:
    # statistics.median of timedeltas averages the middle two, as a median should.
    return statistics.median(spans) if spans else None


async def ticket_figures(
    session: AsyncSession, scope: Scope, start: datetime, end: datetime, now: datetime
) -> TicketFigures:
    mine = scope.tickets()
    until = min(end, now)  # a deadline still ahead has been neither met nor missed
    f = TicketFigures()
    received = (
        await session.execute(
            select(Ticket.kind, Ticket.category).where(mine, between(Ticket.created_at, start, end))
        )
    ).all()
    f.received = len(received)
    f.by_kind = [(k or "", n) for k, n in _ranked(Counter(kind for kind, _ in received))]
    f.by_category = _ranked(Counter(category for _, category in received))

    due = or_(
        between(Ticket.first_response_due, start, until),
        between(Ticket.resolution_due, start, until),
    )
    f.with_deadline = count(await session.scalar(select(func.count(Ticket.id)).where(mine, due)))
    f.breached = count(
        await session.scalar(select(func.count(Ticket.id)).where(mine, breached(start, until)))
    )

    answered = await session.execute(
        select(Ticket.created_at, Ticket.first_response_at).where(
            mine, between(Ticket.first_response_at, start, end)
        )
    )
    spans = [at - created for created, at in answered.all()]
    f.first_response, f.first_responses = _median(spans), len(spans)
    resolved = await session.execute(
        select(Ticket.created_at, Ticket.resolved_at).where(
            mine, between(Ticket.resolved_at, start, end)
        )
    )
    spans = [at - created for created, at in resolved.all()]
    f.resolution, f.resolutions = _median(spans), len(spans)
    f.resolved = f.resolutions

    # Each resolution's rating: a reopened request's earlier rounds count too.
    f.rating, f.ratings = await resolutions.ratings(session, mine, start, end)
    f.praise = sum(n for kind, n in f.by_kind if kind == TicketKind.PRAISE)
    f.return_visits = await return_visits.figures(session, mine, start, end, now)
    return f
