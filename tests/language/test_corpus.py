"""The rep-message corpus read by crm.language.read_visit: accuracy per part, and at least 95%
of the messages fully right (customer, when it happened, done or planned, follow-up, contacts)."""

from __future__ import annotations

from collections import Counter

import pytest

from crm.language import read_visit
from tests.language.corpus import FULL, NOW, PARTS, TZ, customers, load, score

ALL = ("batch1_zh.yaml", "batch1_other.yaml", "heldout.yaml")


def _accuracy(files: tuple[str, ...]) -> tuple[dict[str, float], float, list[str]]:
    listed = customers()
    names = dict(listed)
    entries = load(*files)
    right: Counter[str] = Counter()
    full, wrong = 0, []
    for e in entries:
        scored = score(e, read_visit(e.text, listed, NOW, TZ, e.lang), names)
        right.update(p for p in PARTS if scored[p])
        if all(scored[p] for p in FULL):
            full += 1
        else:
            wrong.append(f"{e.text}  ({', '.join(p for p in FULL if not scored[p])})")
    n = len(entries)
    return {p: right[p] / n for p in PARTS}, full / n, wrong


def test_the_corpus_is_big_and_mostly_simplified_chinese() -> None:
    entries = load(*ALL)
    langs = Counter(e.lang for e in entries)
    assert len(entries) >= 300
    assert langs["zh_CN"] * 2 >= len(entries)
    assert {"zh_TW", "en", "ru", "mixed"} <= set(langs)


@pytest.mark.parametrize("files", [ALL, ("heldout.yaml",)], ids=["all", "heldout"])
def test_accuracy_per_part(files: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    parts, full, wrong = _accuracy(files)
    with capsys.disabled():
        print(f"\n{'+'.join(files)}: " + "  ".join(f"{p} {v:.1%}" for p, v in parts.items()))
        print(f"fully right {full:.1%}; wrong:\n  " + "\n  ".join(wrong))
    assert full >= 0.95 or files == ("heldout.yaml",), wrong
    assert full >= 0.90, wrong


def test_each_language_reads(capsys: pytest.CaptureFixture[str]) -> None:
    listed = customers()
    names = dict(listed)
    by_lang: dict[str, list[bool]] = {}
    for e in load(*ALL):
        scored = score(e, read_visit(e.text, listed, NOW, TZ, e.lang), names)
        by_lang.setdefault(e.lang, []).append(all(scored[p] for p in FULL))
    with capsys.disabled():
        print("\n" + "  ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(by_lang.items())))
    assert all(sum(v) / len(v) >= 0.9 for v in by_lang.values())
