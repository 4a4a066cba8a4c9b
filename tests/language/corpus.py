"""The corpus of rep messages (tests/language/*.yaml) and how a reading is scored against it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from crm.demo_seed import CUSTOMERS
from crm.language import Reading
from crm.language.zh_hant import fold

HERE = Path(__file__).parent
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 9, 17, 30, tzinfo=TZ)  # a Wednesday
PARTS = ("customer", "kind", "happened", "plan", "followup", "contacts", "outcome", "kept")
# What "fully right" asks (the list, and the rep's words kept); the kind is reported but
# not part of it.
FIELDS = ("customer", "happened", "plan", "followup", "contacts")
FULL = (*FIELDS, "outcome", "kept")


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
    # Words the stored outcome (for a plan, the follow-up's note) must hold, whole.
    outcome: list[str] | None = None
    now: datetime = NOW


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
                    outcome=[str(w) for w in raw["o"]] if "o" in raw else None,
                    now=_when(raw.get("now")) or NOW,
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
    expected_happened = entry.happened or entry.now
    return {
        "customer": bool(got_customer),
        "kind": reading.kind.value == entry.kind,
        "happened": entry.plan or happened == expected_happened,
        "plan": reading.plan.value == entry.plan,
        "followup": reading.followup_at.value == entry.followup,
        "contacts": sorted(reading.contact_names) == sorted(entry.contacts),
        "outcome": entry.outcome is None
        or all(_squash(w) in _squash(reading.outcome) for w in entry.outcome),
        "kept": not lost(reading),
    }


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


# What may go from a message without losing anything: particles, and the little words that tie a
# recognised part to the sentence (给东方钢铁, 跟李工, met with, visited at, в Ромашке).
_FILLER = set("了过的吧哈呢啊嗯呀嘛啦哦么给去到在和跟与同从找约见就是那个然后我")
_FILLER_WORDS = {
    "to", "at", "with", "w", "the", "a", "an", "re", "on", "in", "by", "and", "of", "for",
    "i", "we", "met", "visited", "called", "saw", "в", "во", "на", "с", "со", "к", "у", "по",
    "встретился", "встретилась", "встретились",
}  # fmt: skip
_CONTENT = re.compile(r"[A-Za-z0-9\u0400-\u04ff%.+]+|[\u3400-\u9fff]+")


def lost(reading: Reading) -> list[str]:
    """The rep's words that are in no recognised part and not in the outcome (nothing a rep
    typed may be lost), and the outcome's pieces cut out of a word (打 left of 打电话)."""
    text = reading.text
    covered = [False] * len(text)
    spans = [reading.customer.span, reading.kind.span, reading.happened_at.span]
    spans += [reading.followup_at.span] + [c.span for c in reading.contacts]
    for span in spans:
        if span:
            for i in range(*span):
                covered[i] = True
    outcome = _squash(reading.outcome)
    missing = []
    for m in _CONTENT.finditer(text):
        piece = "".join(ch if not covered[m.start() + i] else " " for i, ch in enumerate(m[0]))
        for word in piece.split():
            bare = fold(word).strip("".join(_FILLER)) if not word.isascii() else word
            if not bare or word.lower() in _FILLER_WORDS or word.strip(".+") == "":
                continue
            if _squash(bare) not in fold(outcome) and _squash(word) not in outcome:
                missing.append(word)
    typed_alone = set(text.split())
    for token in reading.outcome.replace("，", " ").replace(",", " ").split():
        if len(token) == 1 and "\u3400" <= token <= "\u9fff" and token not in typed_alone:
            missing.append(f"cut:{token}")
    return missing
