"""A rep's message → a Reading: the customer, the kind of contact, when it happened, whether it
happened or is only planned, the people met, the follow-up, and what is left as the outcome.

    城东小学 电话沟通 校长说月底前定
    后天下午三点半去国际会展中心签合同
    visited 长江水泥, 谈了 pricing, follow up 12/15 3:30pm
    Вчера был в Ромашке директор хочет скидку

Nothing depends on word order: the customer is looked for anywhere among the customers given
(crm.language.customers), the dates are all found first (crm.language.date_grammar) and then
told apart (crm.language.when), the people are found by their titles (crm.language.people).
Traditional Chinese is folded to Simplified first (crm.language.zh_hant), keeping positions, so
every span points into the text as typed.

Pure and synchronous: no database, no bot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from crm.language.customers import Match, find_customers, nearest
from crm.language.date_grammar import Phrase, phrases
from crm.language.people import HONORIFIC, find_people
from crm.language.reading import Part, Reading
from crm.language.reading_words import FOLLOWUP, KIND_WORDS, ONSITE
from crm.language.visit_text import parse_visit
from crm.language.visit_text_clauses import clean_outcome, split_clauses, strip_edges
from crm.language.when import classify
from crm.language.zh_hant import fold

MAX_LENGTH = 2000
_SLASH = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})(?![\d/])")


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = " "
    return "".join(chars)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _pick_customer(matches: list[Match]) -> tuple[Match | None, list[Match]]:
    """The best match, or None and the equally good ones when they disagree."""
    if not matches:
        return None, []
    best = matches[0]
    rivals = [
        m
        for m in matches[1:]
        if m.customer_id != best.customer_id
        and abs(m.score - best.score) < 0.05
        and _overlaps((m.start, m.end), (best.start, best.end))
    ]
    if rivals:
        tied = [best, *rivals]
        return None, list({m.customer_id: m for m in tied}.values())
    return best, []


def _kind(
    folded: str, masked_fu: list[tuple[int, int]], plan: bool
) -> tuple[str, tuple[int, int] | None]:
    hits: list[tuple[int, int, str]] = []
    for kind, pattern in KIND_WORDS:
        for m in pattern.finditer(folded):
            if not plan and any(_overlaps(m.span(), fu) for fu in masked_fu):
                continue
            hits.append((m.start(), m.end(), kind))
    if not hits:
        return ONSITE, None
    start, end, kind = min(hits)
    return kind, (start, end)


def read_visit(
    text: str,
    customers: Iterable[tuple[int, str]],
    now: datetime,
    tz: ZoneInfo,
    locale: str = "zh_CN",
) -> Reading:
    """The reading of one message; customers are (id, name) of those the rep may see."""
    typed = text[:MAX_LENGTH]
    folded = fold(typed)
    local_now = now.astimezone(tz).replace(tzinfo=None)
    people_first = [m.span() for m in HONORIFIC.finditer(typed)]  # "Mr Sun" is no Sunday
    found: list[Phrase] = [
        p
        for p in phrases(typed, local_now)
        if not any(_overlaps((p.start, p.end), s) for s in people_first)
    ]
    date_mask = [False] * len(typed)
    for p in found:
        for i in range(p.start, p.end):
            date_mask[i] = True

    listed = list(customers)
    customer_typed: str | None = None
    matches = find_customers(folded, date_mask, listed)
    best, tied = _pick_customer(matches)
    customer_span = (
        (best.start, best.end) if best else (tied[0].start, tied[0].end) if tied else None
    )
    if customer_span is not None:  # a date inside a customer's name is part of the name
        found = [p for p in found if not _overlaps((p.start, p.end), customer_span)]

    masked = _mask(folded, [customer_span] if customer_span else [])
    times = classify(masked, found, local_now)

    fu_spans = [m.span() for m in FOLLOWUP.finditer(masked)]
    fu_spans = [(s, min(e + 3, len(masked))) for s, e in fu_spans]  # 再打 + 电话
    kind, kind_span = _kind(masked, fu_spans, plan=not times.done)

    date_spans = [(p.start, p.end) for p in found]
    people = find_people(_mask(masked, date_spans), typed)

    if best is not None:
        customer = Part(
            best.customer_id, (best.start, best.end), guessed=best.how not in ("name", "part")
        )
        name, candidates = best.name, ()
    elif tied:
        customer = Part(None, customer_span, guessed=True)
        name, candidates = None, tuple((m.customer_id, m.name) for m in tied)
    else:
        customer = Part(None, None, guessed=True)
        # The clause grammar knows where a name stands when it is none of the list's.
        draft = parse_visit(typed, now, tz)
        customer_typed = draft.customer_query if draft else None
        name, candidates = None, tuple(nearest(customer_typed or typed, listed))

    happened_at = (times.happened_at or local_now).replace(tzinfo=tz)
    happened_span = (times.happened.start, times.happened.end) if times.happened else None
    fu_span = (times.followup.start, times.followup.end) if times.followup else None
    followup_at = times.followup_at.replace(tzinfo=tz) if times.followup_at else None

    # Taken out: what stands as a word of its own (华能电厂 | 王总 | 下周二下午跟进); kept: what a
    # sentence needs (校长说月底前定 stays whole, talked to the ops manager about…), and every
    # word that says what to do next (给答复, 再打, call back): nothing the rep typed is lost.
    removed: list[tuple[int, int]] = []
    if customer_span:  # 给东方钢铁, визит в Acme: the word before the name goes with it
        before = _TO.search(folded, 0, customer_span[0])
        of = folded[customer_span[1] : customer_span[1] + 1] == "的" and any(
            s == customer_span[1] + 1 for _n, s, _e in people
        )  # 城东小学的校长 (not Acme的人)
        end = customer_span[1] + (1 if of else 0)
        removed.append((before.start() if before else customer_span[0], end))
    if happened_span is None and times.happened is None:  # 刚才, just now: the visit's time, now
        just = _JUST.search(folded)
        happened_span = just.span() if just else None
    removed += [happened_span] if happened_span else []  # kept apart, as the visit's time
    if fu_span:  # 下周二跟进, follow up 12/15: the word only says "follow up", the field holds it
        after = _MARKER_AFTER.match(folded, fu_span[1])
        before_fu = _MARKER_BEFORE.search(folded, 0, fu_span[0])
        fu_span = (
            before_fu.start() if before_fu else fu_span[0],
            after.end() if after else fu_span[1],
        )
        if _bounded(folded, fu_span, removed):  # 说十号再谈 stays whole
            removed.append(fu_span)
    for _name, start, end in people:  # 见了张工, met Mr Li: the verb goes with the name
        verb = _MET.search(folded, 0, start)
        if verb or _bounded(folded, (start, end), removed):
            removed.append((verb.start() if verb else start, end))
    if kind_span:  # 打了个电话, 拜访了: the verb's parts are the kind's words too
        lead = _DIAL.search(folded, 0, kind_span[0])
        tail = _KIND_TAIL.match(folded, kind_span[1])
        kind_span = (lead.start() if lead else kind_span[0], tail.end() if tail else kind_span[1])
        said = folded[kind_span[0] : kind_span[1]]
        # Taken out when it stands alone, or right after the customer or person taken out
        # (给宏达五金打电话问回款: the purpose stays); 现场勘查, 去现场看 stay whole.
        glued = any(e == kind_span[0] for _s, e in removed)
        if not any(w in said for w in _SAYS_MORE) and (
            glued or _bounded(folded, kind_span, removed)
        ):
            removed.append(kind_span)
    outcome = _outcome(typed, removed, zh=bool(re.search(r"[\u3400-\u9fff]", typed)))

    return Reading(
        text=typed,
        customer=customer,
        customer_name=name,
        candidates=candidates,
        kind=Part(kind, kind_span, guessed=kind_span is None),
        happened_at=Part(happened_at, happened_span, guessed=times.guessed_happened),
        plan=Part(not times.done, None, guessed=False),
        contacts=tuple(Part(n, (s, e)) for n, s, e in people),
        outcome=outcome,
        followup_at=Part(followup_at, fu_span),
        date_choices=_date_choices(
            typed,
            times.happened or times.followup,
            times.happened_at if times.happened else times.followup_at,
            locale,
            local_now,
            tz,
        ),
        customer_typed=customer_typed,
        tied=bool(tied) and best is None,
    )


_TO = re.compile(
    r"(?:给|去|到|在|和|跟|从|(?<![A-Za-z])(?:to|at|with|of)|(?<![А-Яа-яЁё])(?:в|во|на|к|у|с))\s*$",
    re.IGNORECASE,
)
_MET = re.compile(
    r"(?:见了|见到了?|见着了?|约见了?|约了|找了|见|和|跟|与|同|"
    r"(?<![A-Za-z])(?:met(?:\s+with)?|with|w/?|saw|called|phoned|texted|emailed)(?:\s+the)?"
    r"|(?<![А-Яа-яЁё])встретил(?:ся|ась|ись)?\s+с)\s*$",
    re.IGNORECASE,
)


_CJK = re.compile(r"[\u3400-\u9fff]")
_JUST = re.compile(
    r"刚刚|刚才|(?<![才])刚(?=[去和跟给见打到在从拜聊视微通])|(?<![A-Za-z])just(?:\s+now)?(?![A-Za-z])"
    r"|(?<![А-Яа-яЁё])только\s+что(?![А-Яа-яЁё])",
    re.IGNORECASE,
)
_MARKER_AFTER = re.compile(r"\s*(?:再)?(?:跟进|(?<![A-Za-z])follow[\s-]?up(?![A-Za-z]))", re.I)
_MARKER_BEFORE = re.compile(r"(?<![A-Za-z])follow[\s-]?up(?:\s+(?:on|by|at))?\s*$", re.I)
_DIAL = re.compile(r"打(?:了)?(?:个|一个|一通)?\s*$")  # 打了个 电话
_KIND_TAIL = re.compile(
    r"(?:沟通|会议|联系|通话)?(?:了一下|了下|一下|了一趟|了趟|一趟|趟|了|过)?(?![没吗])"
)
# Kind words that say more than how the contact was made: they stay in the outcome.
_SAYS_MORE = {"吃饭", "参观", "来公司"}
# перезвонить в следующий вторник, follow up on Friday: the date after a follow-up word.
_AFTER_FOLLOWUP = re.compile(
    rf"(?:{FOLLOWUP.pattern})(?:\s+(?:в|во|on|by|at|in|до))?\s*$", re.IGNORECASE
)
_PUNCT = set(" \t\n，,。；;！!？?、:：()（）[]【】-–—|/")


def _bounded(
    text: str,
    span: tuple[int, int],
    removed: list[tuple[int, int]],
    left: bool = True,
    right: bool = True,
) -> bool:
    """The span stands as a word: what is next to it (on the sides asked) is the text's edge,
    a space or punctuation, a part taken out already, or a follow-up word (下周二跟进)."""
    start, end = span
    # Between Latin or Cyrillic words a space does not end a phrase (talked to the ops manager
    # about…); between Chinese ones it does.
    spaced = not _CJK.match(text, start) and not _CJK.match(text, max(start, end - 1))

    def edge(i: int, step: int) -> bool:
        while spaced and 0 <= i < len(text) and text[i] == " ":
            i += step
        return (
            i < 0
            or i >= len(text)
            or (text[i] in _PUNCT and text[i] != " ")
            or (text[i] == " " and not spaced)
            or not (text[i].isalnum() or _CJK.match(text[i]))
            or (spaced and _CJK.match(text[i]) is not None)
            or any(s <= i < e for s, e in removed)
        )

    ok_left = (
        not left
        or edge(start - 1, -1)
        or _AFTER_FOLLOWUP.search(text, max(0, start - 40), start) is not None
    )
    ok_right = not right or edge(end, 1) or FOLLOWUP.match(text, end) is not None
    return ok_left and ok_right


# What is left alone once the parts around it are out: particles (的, 了, 哈), 我.
_LONE = re.compile(r"[的了吧哈呢啊嗯呀嘛啦哦么我]+|就是|然后|那个")


def _outcome(typed: str, removed: list[tuple[int, int]], zh: bool) -> str:
    """What the message says once its recognised parts are taken out, clause by clause."""
    rest = " ".join(w for w in _mask(typed, removed).split(" ") if not _LONE.fullmatch(w))
    clauses = [clean_outcome(c) for c in split_clauses(rest)]
    return ("，" if zh else ", ").join(c for c in clauses if c)


def _date_choices(
    typed: str,
    phrase: Phrase | None,
    used: datetime | None,
    locale: str,
    local_now: datetime,
    tz: ZoneInfo,
) -> tuple[datetime, ...]:
    """5/12 typed by someone who may write day/month (ru, en outside the US): both readings."""
    if phrase is None or locale.startswith("zh"):
        return ()
    m = _SLASH.search(typed, phrase.start, phrase.end)
    if m is None:
        return ()
    first, second = int(m[1]), int(m[2])
    if first > 12 or second > 12 or first == second:
        return ()
    base = phrase.back if phrase.back <= local_now and phrase.ahead != phrase.back else phrase.ahead
    if used is not None:
        base = used
    try:
        swapped = base.replace(month=second, day=first)
    except ValueError:
        return ()
    # The same direction as the phrase read: the next such day ahead, or the last gone by.
    swapped = swapped.replace(year=local_now.year)
    if base > local_now and swapped <= local_now:
        swapped = swapped.replace(year=swapped.year + 1)
    elif base <= local_now and swapped > local_now:
        swapped = swapped.replace(year=swapped.year - 1)
    return tuple(d.replace(tzinfo=tz) for d in (base, swapped))


def read_when_happened(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """A visit's time typed alone (昨天下午3点, last Friday, 2026-12-05 15:00), read back: the
    latest such time, which may still be ahead of now if the text names a future day (明天) —
    the caller refuses that. None if the text is not one date phrase."""
    local_now = now.astimezone(tz).replace(tzinfo=None)
    typed = text.strip()
    found = list(phrases(typed, local_now))
    if len(found) != 1 or strip_edges(typed[: found[0].start] + typed[found[0].end :]):
        return None
    p = found[0]
    at = p.back
    if p.dated and not p.timed and at.date() == local_now.date():
        return now.astimezone(tz)
    return at.replace(tzinfo=tz)
