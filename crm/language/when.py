"""Which date phrase of a message says when the contact happened, which the follow-up, and
whether the contact happened at all.

The rules (all in the rep's zone):
- The message tells of a contact that happened when it has a deed (见了, 说, visited, был), a
  follow-up word (跟进, 再打, follow up: one follows up on something) or a date gone by (昨天,
  上周五, last Friday, 今天上午). Otherwise, with a date ahead, it only announces a contact: a plan
  (明天给东方钢铁打电话, Meeting Acme tomorrow at 10:30), and that date is the follow-up.
  A date ahead typed first makes what follows it the contact's purpose: 问, 确认, 要, 把…签了
  after it are no deeds (明天给宏达五金打电话问回款 is a plan).
- When it happened: the first date gone by (昨天下午 → yesterday 15:00); or a date that recurs
  (周一, 下午, 12月7号) typed before the deed or just after it (visited on Monday), read back to
  its latest occurrence; 今天 alone, or nothing, means now; 今天下午去了 typed in the morning
  means today, at the latest now. A deadline (周五前, 最晚周五, by Monday) is never that date.
- The follow-up: the rep's own next step (a date next to a follow-up word: 我周五再催, follow
  up Friday), else the first date ahead that is not when it happened; a recurring date right
  before or after a follow-up word is always ahead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from crm.language.date_grammar import Phrase
from crm.language.reading_words import DONE, FOLLOWUP, NOT_DONE, VISIT_DEED, WEAK_DEED

_GAP_BEFORE = re.compile(
    r"^[\s,，:：]*(?:他|她|them|him|her|on|by|at|in|в|до|к)?[\s,，:：]*$", re.I
)
_GAP_AFTER = re.compile(r"^[\s,，]*(?:前|之前|以前|左右|前后|再|\s)*$")
# A deadline (周五前, 最晚周五, by Friday, до пятницы) is always ahead: never when it happened.
_DEADLINE_BEFORE = re.compile(
    r"(?:最晚|最迟|最好|不晚于|不迟于|\b(?:by|before|until|till|no\s+later\s+than)|\bдо|не\s+позже)\s*$",
    re.I,
)
_DEADLINE_AFTER = re.compile(r"\s*(?:之前|以前|前(?![天年]))")


@dataclass(frozen=True)
class Times:
    done: bool
    happened: Phrase | None  # None: now
    happened_at: datetime | None  # local, naive; None: now
    followup: Phrase | None
    followup_at: datetime | None
    guessed_happened: bool  # read back from a recurring phrase


def _attached(p: Phrase, text: str, followups: list[re.Match[str]], tight: bool = False) -> bool:
    """The date goes with a follow-up word (周五再跟进, follow up Monday); tight: with no comma
    between them."""
    for fu in followups:
        gaps = []
        if fu.start() >= p.end and _GAP_AFTER.match(text[p.end : fu.start()]):
            gaps.append(text[p.end : fu.start()])
        if fu.end() <= p.start and _GAP_BEFORE.match(text[fu.end() : p.start]):
            gaps.append(text[fu.end() : p.start])
        if any(not tight or not re.search(r"[,，:：]", gap) for gap in gaps):
            return True
    return False


def classify(text: str, found: list[Phrase], local_now: datetime) -> Times:
    """text is folded, with the customer's name masked; found are its date phrases."""
    followups = list(FOLLOWUP.finditer(text))
    plain = NOT_DONE.sub(lambda m: " " * len(m.group()), text)
    for p in found:  # deeds are looked for outside the dates (前天 is no 刚, 3天前 no deed)
        plain = plain[: p.start] + " " * (p.end - p.start) + plain[p.end :]
    deeds = [m for m in DONE.finditer(plain)]
    today = local_now.date()

    def gone_by(p: Phrase) -> bool:
        return p.ahead <= local_now or (not p.dated and p.back.date() == today)

    def deadline(p: Phrase) -> bool:
        return bool(
            _DEADLINE_BEFORE.search(text, max(0, p.start - 12), p.start)
            or _DEADLINE_AFTER.match(text, p.end)
        )

    # After a date ahead, what someone wants or asks is the planned contact's purpose
    # (明天给宏达五金打电话问回款): only a deed typed before that date tells it happened.
    lead = found[0] if found else None
    if (
        lead
        and not gone_by(lead)
        and (
            deadline(lead)
            or lead.back > local_now
            or lead.ahead - local_now <= local_now - lead.back
        )
    ):
        weak = [m.span() for m in WEAK_DEED.finditer(plain)]
        deeds = [
            d
            for d in deeds
            if d.start() < lead.start or not any(s <= d.start() < e for s, e in weak)
        ]
    first_deed = deeds[0].start() if deeds else None

    done = bool(deeds or followups or any(gone_by(p) for p in found))
    future = [p for p in found if p.ahead > local_now]
    if not done:
        if not future:
            return Times(True, None, None, None, None, False)
        return Times(False, None, None, future[0], future[0].ahead, False)

    happened: Phrase | None = None
    guessed = False
    for p in found:
        if gone_by(p) and not _attached(p, text, followups) and not deadline(p):
            happened = p
            break
    today_ahead = False
    if happened is None:
        for p in found:
            if _attached(p, text, followups) or deadline(p):
                continue
            before_deed = first_deed is not None and p.start < first_deed
            after_deed = VISIT_DEED.search(text, max(0, p.start - 40), p.start) is not None
            if not (before_deed or after_deed):
                continue
            # 今天下午去了… typed before the afternoon: it happened today, at the latest now.
            if p.ahead == p.back and p.dated and p.back.date() == today:
                happened, today_ahead = p, True
                break
            if p.ahead != p.back:
                happened, guessed = p, True
                break
    # The rep's own next step (我周五再催) over a date someone else gave (月底前结清).
    ahead = [p for p in found if p is not happened and p.ahead > local_now]
    followup = (
        next((p for p in ahead if _attached(p, text, followups, tight=True)), None)
        or next((p for p in ahead if _attached(p, text, followups)), None)
        or next(iter(ahead), None)
    )
    at = happened.back if happened is not None else None
    if today_ahead and at is not None:
        at = min(at, local_now)
    if happened is not None and happened.dated and not happened.timed and at and at.date() == today:
        at = None  # 今天 alone: now
    return Times(True, happened, at, followup, followup.ahead if followup else None, guessed)
