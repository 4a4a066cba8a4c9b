"""One record by its id, as a flow asks for it: None when there is no id or no such row (a
stale button, a record deleted since). And a new row saved so that it has its id.

Loading by key goes through the session's identity map: a row already loaded in this update
costs no query. Flows use these instead of the session, so that `handlers/` touch no database
API at all (tests/test_handlers_tidy.py)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import (
    Contract,
    Customer,
    CustomerUser,
    FollowUp,
    Opportunity,
    RepReport,
    ReturnVisit,
    Staff,
    Ticket,
    Visit,
)

Row = TypeVar("Row")


async def _get(session: AsyncSession, model: type[Row], row_id: int | None) -> Row | None:
    return await session.get(model, row_id) if row_id is not None else None


async def staff(session: AsyncSession, staff_id: int | None) -> Staff | None:
    return await _get(session, Staff, staff_id)


async def customer(session: AsyncSession, customer_id: int | None) -> Customer | None:
    return await _get(session, Customer, customer_id)


async def customer_user(session: AsyncSession, cuser_id: int | None) -> CustomerUser | None:
    return await _get(session, CustomerUser, cuser_id)


async def ticket(session: AsyncSession, ticket_id: int | None) -> Ticket | None:
    return await _get(session, Ticket, ticket_id)


async def followup(session: AsyncSession, followup_id: int | None) -> FollowUp | None:
    return await _get(session, FollowUp, followup_id)


async def return_visit(session: AsyncSession, rv_id: int | None) -> ReturnVisit | None:
    return await _get(session, ReturnVisit, rv_id)


async def visit(session: AsyncSession, visit_id: int | None) -> Visit | None:
    return await _get(session, Visit, visit_id)


async def opportunity(session: AsyncSession, opp_id: int | None) -> Opportunity | None:
    return await _get(session, Opportunity, opp_id)


async def contract(session: AsyncSession, contract_id: int | None) -> Contract | None:
    return await _get(session, Contract, contract_id)


async def rep_report(session: AsyncSession, report_id: int | None) -> RepReport | None:
    return await _get(session, RepReport, report_id)


def add(session: AsyncSession, row: Row) -> Row:
    """A new row, written with the update's transaction."""
    session.add(row)
    return row


async def save(session: AsyncSession, row: Row) -> Row:
    """A new row written now, so that it has its id."""
    session.add(row)
    await session.flush()
    return row


async def reload(session: AsyncSession, row: object) -> None:
    """The row as the database has it now (after a statement that changed it in bulk)."""
    await session.refresh(row)
