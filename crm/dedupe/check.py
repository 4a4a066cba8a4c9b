"""The duplicate check against the database: the customers a new registration probably is."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.dedupe.names import core, plain_address, similarity, sound
from crm.models import Contact, Customer, CustomerAlias
from crm.rules import Dedupe

# Why a customer was found, strongest first: the order the rep is told them in.
REASONS = ("phone", "contact_phone", "name", "alias", "address")


@dataclass
class Match:
    customer: Customer
    reason: str  # one of REASONS
    score: float  # 0-100; a phone is 100


async def find(
    session: AsyncSession,
    rules: Dedupe,
    name: str,
    phone: str | None = None,
    address: str | None = None,
    *,
    exclude: int | None = None,
    limit: int = 3,
) -> list[Match]:
    """Likely duplicates of a customer named `name` (with a normalised phone and an address, when
    given), strongest first; `exclude` is the customer itself when an existing one is checked."""
    found: dict[int, tuple[str, float]] = {}

    def note(cid: int | None, reason: str, score: float) -> None:
        if cid is None or cid == exclude:
            return
        old = found.get(cid)
        if old is None or REASONS.index(reason) < REASONS.index(old[0]):
            found[cid] = (reason, score)

    if phone:
        for cid in await session.scalars(select(Customer.id).where(Customer.phone == phone)):
            note(cid, "phone", 100)
        for cid in await session.scalars(select(Contact.customer_id).where(Contact.phone == phone)):
            note(cid, "contact_phone", 100)
        for cid in await session.scalars(
            select(CustomerAlias.customer_id).where(CustomerAlias.phone == phone)
        ):
            note(cid, "alias", 100)
    rows = (await session.execute(select(Customer.id, Customer.name, Customer.address))).all()
    for cid, score in _alike_names(rules, name, {cid: cname for cid, cname, _a in rows}):
        note(cid, "name", score)
    aliases = (await session.execute(select(CustomerAlias.customer_id, CustomerAlias.name))).all()
    for i, score in _alike_names(rules, name, dict(enumerate(a for _c, a in aliases))):
        note(aliases[i][0], "alias", score)
    if address and len(plain_address(address)) >= 6:
        mine = plain_address(address)
        for cid, cname, their in rows:
            if not their or cid in found:
                continue
            if fuzz.ratio(mine, plain_address(their)) >= rules.address_threshold and (
                max(similarity(name, cname)) >= rules.name_with_address
            ):
                note(cid, "address", fuzz.ratio(mine, plain_address(their)))
    ordered = sorted(found.items(), key=lambda kv: (REASONS.index(kv[1][0]), -kv[1][1]))[:limit]
    customers = {
        c.id: c
        for c in await session.scalars(
            select(Customer).where(Customer.id.in_([cid for cid, _ in ordered]))
        )
    }
    return [
        Match(customers[cid], reason, score) for cid, (reason, score) in ordered if cid in customers
    ]


def _alike_names(rules: Dedupe, name: str, names: dict[int, str]) -> list[tuple[int, float]]:
    """(key, score) of the names alike `name`: by the cores' characters, then by their sound."""
    mine = core(name)
    if not mine:
        return []
    cores = {key: core(n) for key, n in names.items()}
    out = {
        key: score
        for _c, score, key in process.extract(
            mine, cores, scorer=fuzz.ratio, limit=None, score_cutoff=rules.name_threshold
        )
    }
    if len(mine) >= 4:
        # Sounds at least this alike come from names of about the same length: only those
        # are read out (pypinyin is the slow part).
        sounds = {
            key: sound(c)
            for key, c in cores.items()
            if len(c) >= 4 and abs(len(c) - len(mine)) <= 1 and key not in out
        }
        for _s, score, key in process.extract(
            sound(mine), sounds, scorer=fuzz.ratio, limit=None, score_cutoff=rules.sound_threshold
        ):
            out[key] = score
    return sorted(out.items(), key=lambda kv: -kv[1])
