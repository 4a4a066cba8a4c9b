"""Print the reader's accuracy per part and per language on corpus files, and what it misses:

.venv/bin/python -m tests.language.measure heldout2.yaml [-v]
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

from crm.language import read_visit
from tests.language.corpus import FIELDS, FULL, PARTS, TZ, Entry, customers, load, lost, score


def measure(files: tuple[str, ...]) -> tuple[dict[str, float], dict[str, tuple[int, int]], list]:
    """Per part the share right, per language (fully right, all), and the misses."""
    listed = customers()
    names = dict(listed)
    entries: list[Entry] = load(*files)
    right: Counter[str] = Counter()  # per part, and "fields": the five fields all right
    by_lang: dict[str, list[bool]] = defaultdict(list)
    wrong = []
    for e in entries:
        reading = read_visit(e.text, listed, e.now, TZ, e.lang)
        scored = score(e, reading, names)
        right.update(p for p in PARTS if scored[p])
        right["fields"] += all(scored[p] for p in FIELDS)
        full = all(scored[p] for p in FULL)
        by_lang[e.lang].append(full)
        if not full:
            wrong.append((e, reading, [p for p in FULL if not scored[p]]))
    n = len(entries)
    langs = {k: (sum(v), len(v)) for k, v in sorted(by_lang.items())}
    return {p: right[p] / n for p in (*PARTS, "fields")}, langs, wrong


def report(files: tuple[str, ...], verbose: bool = False) -> str:
    parts, langs, wrong = measure(files)
    n = sum(t for _r, t in langs.values())
    full = n - len(wrong)
    lines = [
        f"{'+'.join(files)}: {n} messages",
        "  " + "  ".join(f"{p} {v:.1%}" for p, v in parts.items()),
        f"  fully right {full}/{n} = {full / n:.1%}; "
        + "  ".join(f"{k} {r}/{t}" for k, (r, t) in langs.items()),
    ]
    if verbose:
        for e, r, bad in wrong:
            fu = r.followup_at.value.strftime("%m-%d %H:%M") if r.followup_at.value else None
            lines.append(
                f"  ✗ {e.text}  [{', '.join(bad)}]\n      got {r.customer_name} {r.kind.value} "
                f"{r.happened_at.value:%m-%d %H:%M} {'plan' if r.plan.value else 'done'} fu {fu} "
                f"{r.contact_names} «{r.outcome}» lost {lost(r)}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    print(report(tuple(args), verbose="-v" in sys.argv))
