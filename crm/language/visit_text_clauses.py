"""The clauses of a visit report, for visit_text: where they break, the follow-up, the outcome.

The message is cut into clauses at punctuation. The clause with a follow-up word (跟进, 回访,
follow up, call back...) and a date gives the follow-up; what is left of the clauses once the
customer and the people are taken out is the outcome, cleaned of words that carry nothing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from crm.language.dates import FoundWhen, find_when

# Clause breaks: punctuation, line breaks, and a dash or bar between spaces ("Acme - met Li").
# A colon is not one (拜访：华能电厂, 15:00), nor 、 which lists names (张工、李总).
_CLAUSE_BREAK = re.compile(r"[，,。；;！!？?\n]+|\s+[-–—|]+\s+")
_SENTENCE_END = re.compile(r"\.(?=\s|$)")
# "Mr. Li", "Acme Co. Ltd." and "Dec. 3" keep their full stop inside the clause.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "co", "ltd", "inc", "corp", "st", "no", "jr", "sr",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip


def split_clauses(text: str) -> list[str]:
    clauses = []
    for piece in _CLAUSE_BREAK.split(text):
        start = 0
        for stop in _SENTENCE_END.finditer(piece):
            word = re.search(r"[A-Za-z]+$", piece[start : stop.start()])
            if word and word.group().lower() in _ABBREVIATIONS:
                continue
            clauses.append(piece[start : stop.start()])
            start = stop.end()
        clauses.append(piece[start:])
    return [c.strip() for c in clauses if strip_edges(c)]


def strip_edges(text: str) -> str:
    """Without spaces, punctuation, symbols and emoji at either end."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] in "PSZCM":
        if text[start] in "+$¥€£" and text[start + 1 : start + 2].isdigit():
            break  # +7 912…, ¥5000: the sign is part of the number
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PSZCM":
        if text[end - 1] in "%‰" and text[end - 2 : end - 1].isdigit():
            break  # 10%
        end -= 1
    return text[start:end]


# --- the follow-up -------------------------------------------------------------------------------

_FOLLOWUP = re.compile(
    r"再跟进|跟进|回访|再联系|再约|再沟通|复访|再来|再去|再谈|下次拜访"
    r"|(?<![A-Za-z])(?:follow[\s-]?up|call\s+(?:them\s+|him\s+|her\s+)?back|revisit"
    r"|check\s+back|touch\s+base|next\s+(?:visit|meeting|call))(?![A-Za-z])"
    r"|(?<![А-Яа-яЁё])(?:перезвонить|перезвоню|созвониться|созвонимся|связаться|свяжусь"
    r"|повторный\s+визит|следующий\s+визит|следующая\s+встреча|напомнить|вернуться\s+к)"
    r"(?![А-Яа-яЁё])",
    re.IGNORECASE,
)


def take_followup(clause: str, now: datetime, tz: ZoneInfo) -> tuple[FoundWhen, str] | None:
    """The follow-up date of a clause with a follow-up word, and what is left of the clause.

    The date is looked for after the word first ("follow up Friday 3pm", 跟进时间：周五), then
    before it (下周二下午跟进). A follow-up word with no date is no follow-up: the clause stays
    part of the outcome ("需要再跟进").
    """
    word = _FOLLOWUP.search(clause)
    if word is None:
        return None
    before, after = clause[: word.start()], clause[word.end() :]
    found = find_when(after, now, tz)
    if found is not None:
        after = _without(after, found)
    elif (found := find_when(before, now, tz)) is not None:
        before = _without(before, found)
    else:
        return None
    # What comes before stays in the outcome ("they want a quote, so follow up..."), and so does
    # what the follow-up is about (跟进合同, "follow up with Li").
    if clean_outcome(after):
        return found, f"{before} {word.group()}{after}"
    return found, before


def _without(text: str, found: FoundWhen) -> str:
    return text[: found.start] + " " + text[found.start + len(found.phrase) :]


# --- the outcome ---------------------------------------------------------------------------------

# Words that carry nothing once the customer, people and date are gone.
_EMPTY = re.compile(
    r"(?:\s|今天|今早|上午|下午|中午|早上|刚才|刚刚|刚|然后|并且|并|也|还|了|我们|我|需要|要|再"
    r"|(?<![A-Za-z])(?:and|then|so|also|today|this\s+morning|this\s+afternoon|earlier|just"
    r"|we|i|(?:we|i)['’]ll|will|to|with|on|at|by|again|next\s+steps?)(?![A-Za-z])"
    r"|(?<![А-Яа-яЁё])(?:и|потом|затем|также|тоже|сегодня|утром|мы|я|нужно|надо|снова|ещё|еще"
    r"|договорились)(?![А-Яа-яЁё]))*",
    re.IGNORECASE,
)
_LEADING_CONNECTOR = re.compile(
    r"^(?:然后|并且|并|也|还|今天|上午|下午|中午|早上|刚才|刚刚"
    r"|(?:and|then|so|also|but|to|today|this\s+morning|this\s+afternoon)(?![A-Za-z])"
    r"|(?:и|потом|затем|также|но|сегодня)(?![А-Яа-яЁё]))\s*",
    re.IGNORECASE,
)

_TRAILING_CONNECTOR = re.compile(
    r"\s*(?:需要|要|再|然后|我们|(?<![A-Za-z])(?:so|and|then|will|(?:we|i)['’]ll|we|i|need\s+to|to)"
    r"|(?<![А-Яа-яЁё])(?:и|потом|нужно|надо|договорились))$",
    re.IGNORECASE,
)


def clean_outcome(text: str) -> str:
    text = " ".join(strip_edges(text).split())
    if _EMPTY.fullmatch(text):
        return ""
    while (m := _LEADING_CONNECTOR.match(text)) and m.end() < len(text):
        text = strip_edges(text[m.end() :])
    while (m := _TRAILING_CONNECTOR.search(text)) and m.start() > 0:
        text = strip_edges(text[: m.start()])
    return text
