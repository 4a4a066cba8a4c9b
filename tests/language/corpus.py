"""The corpus of rep messages (tests/language/*.yaml) and how a reading is scored against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from crm.demo_seed import CUSTOMERS
from crm.language import Reading

HERE = Path(__file__).parent
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 9, 17, 30, tzinfo=TZ)  # a Wednesday
PARTS = ("customer", "kind", "happened", "plan", "followup", "contacts")
# What "fully right" asks (the list); the kind is reported but not part of it.
FULL = ("customer", "happened", "plan", "followup", "contacts")


def customers() -> list[tuple[int, str]]:
    extra = yaml.safe_load((HERE / "customers.yaml").read_text(encoding="utf-8"))["extra"]
    names = [c[0] for c in CUSTOMERS] + list(extra)
    return list(enumerate(names, start=1))


@dataclass
class Entry:
    text: str
    lang: str
    customer: str | list[str] | None
    kind: str
    happened: datetime | None  # None: now
    plan: bool
    followup: datetime | None
    contacts: list[str] = field(default_factory=list)
    source: str = ""


def _when(value: object) -> datetime | None:
    if value in (None, "now"):
        return None
    return datetime.fromisoformat(str(value)).replace(tzinfo=TZ)


def load(*names: str) -> list[Entry]:
    files = [HERE / n for n in names] if names else sorted(HERE.glob("batch*.yaml"))
    entries = []
    for path in files:
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
            entries.append(
                Entry(
                    text=str(raw["t"]),
                    lang=raw.get("l", "zh_CN"),
                    customer=raw["c"],
                    kind=raw.get("k", "onsite"),
                    happened=_when(raw.get("at")),
                    plan=bool(raw.get("plan", False)),
                    followup=_when(raw.get("fu")),
                    contacts=[str(p) for p in raw.get("p", [])],
                    source=path.name,
                )
            )
    return entries


def score(entry: Entry, reading: Reading, names: dict[int, str]) -> dict[str, bool]:
    if isinstance(entry.customer, list):
        got_customer = reading.ambiguous_customer and sorted(
            n for _i, n in reading.candidates
        ) == sorted(entry.customer)
    else:
        got_customer = reading.customer_name == entry.customer
    happened = reading.happened_at.value
    expected_happened = entry.happened or NOW
    return {
        "customer": bool(got_customer),
        "kind": reading.kind.value == entry.kind,
        "happened": entry.plan or happened == expected_happened,
        "plan": reading.plan.value == entry.plan,
        "followup": reading.followup_at.value == entry.followup,
        "contacts": sorted(reading.contact_names) == sorted(entry.contacts),
    }
