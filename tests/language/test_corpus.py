"""The rep-message corpus read by crm.language.read_visit: accuracy per part, and the share of
messages fully right (customer, when it happened, done or planned, follow-up, contacts, the
outcome's words `o`, and nothing the rep typed lost: corpus.lost)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.language.corpus import load
from tests.language.measure import measure, report

ALL = ("batch1_zh.yaml", "batch1_other.yaml", "heldout.yaml", "batch2_rules.yaml")
HELDOUT2 = ("heldout2.yaml",)


def test_the_corpus_is_big_and_mostly_simplified_chinese() -> None:
    for files, least in ((ALL, 300), (HELDOUT2, 250)):
        entries = load(*files)
        langs = Counter(e.lang for e in entries)
        assert len(entries) >= least
        assert langs["zh_CN"] * 2 >= len(entries)
        assert {"zh_TW", "en", "ru", "mixed"} <= set(langs)
    # The held-out batch checks the outcome's words on every message, the rest on a good share.
    assert all(e.outcome is not None for e in load(*HELDOUT2))
    assert sum(e.outcome is not None for e in load(*ALL)) >= 100


# The least share fully right per set: the batches the reader was fixed on, and held-out batch 2
# (measured before any fix: docs/language.md).
LEAST = {ALL: 0.95, HELDOUT2: 0.95}


@pytest.mark.parametrize("files", list(LEAST), ids=["all", "heldout2"])
def test_accuracy_per_part(files: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    parts, langs, wrong = measure(files)
    with capsys.disabled():
        print("\n" + report(files, verbose=True))
    n = sum(t for _r, t in langs.values())
    assert (n - len(wrong)) / n >= LEAST[files]
