"""One message typed outside a customer's gate → a visit draft.

    拜访华能电厂，见了张工，谈变压器报价，下周二下午跟进
    visited Acme, met Li, they want a quote, follow up Friday 3pm

The message is cut into clauses at punctuation. The clause with a follow-up word (跟进, 回访,
follow up, call back...) and a date gives the follow-up; the others give the customer (after
拜访, visited, called...), the people met (after 见了, 和, met, saw...), and what is left is the
outcome. Matching the typed customer name against the database is the caller's job.

Pure and synchronous: no database, no bot.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from crm.dates import FoundWhen, find_when, parse_when

MAX_LENGTH = 2000
ONSITE, PHONE, ONLINE = "onsite", "phone", "online"


@dataclass
class VisitDraft:
    customer_query: str | None  # the customer's name as typed, to be matched by the caller
    contacts: list[str]  # people met, e.g. ["张工"] / ["Li"]
    outcome: str  # what was discussed/achieved (the rest of the message, cleaned)
    followup_at: datetime | None  # timezone-aware, in tz
    followup_text: str | None  # the date phrase as typed
    kind: str | None  # "onsite" | "phone" | "online" | None if not said


# --- clauses -------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff]")
# Clause breaks: punctuation, line breaks, and a dash or bar between spaces ("Acme - met Li").
# A colon is not one (拜访：华能电厂, 15:00), nor 、 which lists names (张工、李总).
_CLAUSE_BREAK = re.compile(r"[，,。；;！!？?\n]+|\s+[-–—|]+\s+")
_SENTENCE_END = re.compile(r"\.(?=\s|$)")
# "Mr. Li", "Acme Co. Ltd." and "Dec. 3" keep their full stop inside the clause.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "co", "ltd", "inc", "corp", "st", "no", "jr", "sr",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip


def _clauses(text: str) -> list[str]:
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
    return [c.strip() for c in clauses if _strip_edges(c)]


def _strip_edges(text: str) -> str:
    """Without spaces, punctuation, symbols and emoji at either end."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] in "PSZCM":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PSZCM":
        end -= 1
    return text[start:end]


# --- the follow-up -------------------------------------------------------------------------------

_FOLLOWUP = re.compile(
    r"再跟进|跟进|回访|再联系|再约|再沟通|复访|再来|再去|再谈|下次拜访"
    r"|(?<![A-Za-z])(?:follow[\s-]?up|call\s+(?:them\s+|him\s+|her\s+)?back|revisit"
    r"|check\s+back|touch\s+base|next\s+(?:visit|meeting|call))(?![A-Za-z])",
    re.IGNORECASE,
)


def _followup(clause: str, now: datetime, tz: ZoneInfo) -> tuple[FoundWhen, str] | None:
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
    if _clean_outcome(after):
        return found, f"{before} {word.group()}{after}"
    return found, before


def _without(text: str, found: FoundWhen) -> str:
    return text[: found.start] + " " + text[found.start + len(found.phrase) :]


# --- customers and people ------------------------------------------------------------------------

# Where a Chinese customer's or person's name stops: the next verb or the next person.
_ZH_AFTER_NAME = (
    "见了|见到|约见|约了|见(?![面客])|和|跟|与|一起|谈|聊|沟通|洽谈|讨论|商量|商谈|交流|了解|签|"
    "确认|汇报|介绍|演示|对接|开会|开了|见面|参观|看了|拿了|说|讲|表示|反馈|提出|提到|问|"
    "认为|同意|答应|初步|主要|关于|就|针对|一切|进行"
)
_ZH_NAME = rf"(?!{_ZH_AFTER_NAME})(?P<name>.{{2,40}}?)"
_ZH_NAME_END = rf"(?=\s*$|\s*(?:{_ZH_AFTER_NAME}))"
_ZH_SOON = r"(?:今天|今早|上午|下午|中午|早上|刚才|刚刚|刚|昨天)?\s*"
_ZH_WITH = r"(?:和|跟(?![进踪])|与|同(?![意步时样事]))"  # 跟进 and 同意 are other words
_ZH_MEDIUM = {"线上": ONLINE, "视频": ONLINE, "网络": ONLINE, "腾讯": ONLINE, "钉钉": ONLINE}
_ZH_CUSTOMER = [
    (rf"(?:打电话给|打给|电话联系了?|致电|电话回访了?)\s*{_ZH_NAME}{_ZH_NAME_END}", PHONE),
    (rf"给\s*{_ZH_NAME}\s*打了?(?:个|一个|一通|通)?电话", PHONE),
    (
        rf"^{_ZH_SOON}{_ZH_WITH}\s*{_ZH_NAME}\s*(?:开了?|进行了?|通了?)\s*(?:个|一个|一次)?"
        r"(?P<medium>线上|视频|网络|腾讯|钉钉|电话)(?:会议|会|电话|通话)?",
        None,
    ),
    (
        rf"(?:线上会议|视频会议|网络会议|腾讯会议|视频拜访|线上拜访)\s*[:：]?\s*{_ZH_NAME}{_ZH_NAME_END}",
        ONLINE,
    ),
    (
        rf"(?:上门拜访|拜访|走访|到访|见客户)了?\s*(?:一下)?\s*[:：]?\s*{_ZH_NAME}{_ZH_NAME_END}",
        ONSITE,
    ),
    (rf"回访了?\s*[:：]?\s*{_ZH_NAME}{_ZH_NAME_END}", None),
    (rf"^{_ZH_SOON}(?:去了|到了|去(?!年)|来到)\s*{_ZH_NAME}{_ZH_NAME_END}", ONSITE),
    # 在华能电厂 alone is too vague; 在华能电厂见了张工 is a visit.
    (rf"^{_ZH_SOON}在\s*{_ZH_NAME}(?=\s*(?:{_ZH_AFTER_NAME}))", ONSITE),
]

_EN_NAME = r"(?P<name>.+?)"
_EN_NAME_END = (
    r"(?=\s*$|\s*[-–—:(]|\s+(?:and|to|about|re|regarding|for|today|yesterday|this|earlier|with"
    r"|where|who|on|over|via|met|saw|discussed|talked|spoke|after|before|at(?=\s+\d))(?![A-Za-z]))"
)
_EN = r"(?<![A-Za-z])"
_EN_CUSTOMER = [
    (
        rf"{_EN}(?:video|zoom|teams|online|virtual|webex)\s+(?:call|meeting|chat)\s+(?:with|at)\s+"
        rf"{_EN_NAME}{_EN_NAME_END}",
        ONLINE,
    ),
    (rf"{_EN}(?:zoom|teams)(?:ed)?\s+with\s+{_EN_NAME}{_EN_NAME_END}", ONLINE),
    (rf"{_EN}(?:phone\s+call|call)\s+with\s+{_EN_NAME}{_EN_NAME_END}", PHONE),
    (rf"{_EN}(?:called|phoned|rang)\s+{_EN_NAME}{_EN_NAME_END}", PHONE),
    (
        rf"{_EN}(?:visited|visiting|(?:site\s+)?visit\s+(?:to|at)|visit|went\s+to|dropped\s+by"
        rf"|stopped\s+by|dropped\s+in\s+(?:at|on))\s+{_EN_NAME}{_EN_NAME_END}",
        ONSITE,
    ),
    (rf"{_EN}meeting\s+(?:with|at)\s+{_EN_NAME}{_EN_NAME_END}", None),
]
# "met with X" names the customer only when nothing stronger does, and X is not a list of
# people ("met with Li and Wang"); "met with Li at Acme" names both.
_EN_MET_WITH = re.compile(
    rf"{_EN}met\s+with\s+(?P<name>.+?)(?=\s*$|\s*[-–—:(]|\s+(?:to|about|re|regarding|for|today"
    r"|yesterday|this|earlier|where|who|on|over|via|discussed|talked)(?![A-Za-z]))",
    re.IGNORECASE,
)


def _compile(rules: list[tuple[str, str | None]]) -> list[tuple[re.Pattern[str], str | None]]:
    return [(re.compile(pattern, re.IGNORECASE), kind) for pattern, kind in rules]


_CUSTOMER_RULES = {
    True: _compile(_ZH_CUSTOMER),
    False: _compile(_EN_CUSTOMER),
}

# Where the people's names stop: as a customer's, but 和/跟/与 join names there (张工和李总).
_ZH_AFTER_PEOPLE = _ZH_AFTER_NAME.replace("和|跟|与|", "") + "|去|到|过|在|吃|看|一同"
_ZH_CONTACT = re.compile(
    rf"(?:见了|见到|约见了?|约了|见(?![面客])|^{_ZH_SOON}{_ZH_WITH})\s*"
    rf"(?P<names>.{{1,30}}?)(?=\s*$|\s*(?:{_ZH_AFTER_PEOPLE}))"
    # 张工、李总参加
    rf"|^(?P<present>.{{1,30}}?)(?:也)?(?:参加|出席|在场|参会|陪同)"
)
_EN_CONTACT = re.compile(
    rf"{_EN}(?P<verb>met(?:\s+with)?|saw|spoke\s+(?:to|with)|talked\s+(?:to|with)|chatted\s+with"
    rf"|meeting\s+with)\s+(?P<names>.+?)"
    r"(?=\s*$|\s*[-–—:(]|\s+(?:about|re|regarding|to|who|on|over|via|today|yesterday|this|last"
    r"|and\s+(?:they|he|she|we|i|discussed|talked|agreed|got|went|signed|reviewed|showed"
    r"|presented|gave|it))(?![A-Za-z]))",
    re.IGNORECASE,
)
_NAME_LIST = re.compile(r"\s*(?:[、,，/&+]|以及|和|及|与|跟|还有|(?<![A-Za-z])and(?![A-Za-z]))\s*")
# "Li at Acme", "Li from Acme": a person and the customer.
_EN_PERSON_AT = re.compile(r"^(?P<person>.+?)\s+(?:at|from)\s+(?P<org>.+)$", re.IGNORECASE)
# 华能电厂的张工, 华能电厂张工, 华能电厂 王经理: the customer, then a person (surname + title).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤欧"
)
_TITLES = (
    "工程师|董事长|总经理|总监|经理|主任|科长|处长|部长|所长|厂长|局长|院长|书记|主管|老师|"
    "先生|女士|小姐|老板|助理|工|总|董"
)
_ZH_PERSON_SUFFIX = re.compile(
    rf"^(?P<org>.{{2,}}?)\s*(?:的\s*)?(?P<person>[{_SURNAMES}](?:{_TITLES})|[小老][{_SURNAMES}])$"
)
_ZH_OF_PERSON = re.compile(r"^(?P<org>.{2,}?)的(?P<person>.{1,5})$")
# 李总说…, 张工反馈…: the person who speaks was met; the clause stays the outcome.
_ZH_SPEAKER = re.compile(
    rf"^(?P<person>[{_SURNAMES}](?:{_TITLES})|[小老][{_SURNAMES}])"
    r"(?=说|表示|反馈|认为|同意|答应|提出|讲|称|介绍|确认|希望|要求|想|觉得)"
)
# Not names of people met.
_NOT_PEOPLE = {
    "客户", "对方", "他们", "她们", "我们", "你们", "他", "她", "你", "我", "大家", "领导",
    "you", "him", "her", "them", "us", "me", "everyone", "the customer", "the client",
    "the team", "their team",
}  # fmt: skip


@dataclass
class _Found:
    """What the clauses have given so far."""

    customer: str | None = None
    kind: str | None = None
    contacts: list[str] = field(default_factory=list)
    # People only "saw" ("saw the movie") make no report without a customer; people met do.
    met: bool = False
    outcome: list[str] = field(default_factory=list)

    def add_people(self, names: list[str], met: bool = True) -> None:
        for name in names:
            if name and name.lower() not in _NOT_PEOPLE and name not in self.contacts:
                self.contacts.append(name)
                self.met = self.met or met


def _clean_name(name: str) -> str:
    name = _strip_edges(name)
    name = re.sub(r"^(?:the|our|their)\s+", "", name, flags=re.IGNORECASE)
    return re.sub(r"^了\s*", "", name).strip()


def _split_person(name: str) -> tuple[str, str | None]:
    """A Chinese customer name with a person attached (华能电厂张工) → (customer, person)."""
    m = _ZH_PERSON_SUFFIX.match(name) or _ZH_OF_PERSON.match(name)
    if m:
        return _clean_name(m["org"]), _clean_name(m["person"])
    return name, None


def _take_customer(clause: str, zh: bool, found: _Found) -> str:
    """Finds the customer in the clause; returns what is left of the clause."""
    for pattern, kind in _CUSTOMER_RULES[zh]:
        m = pattern.search(clause)
        if m is None:
            continue
        name = _clean_name(m["name"])
        if not name:
            continue
        person: str | None = None
        if zh:
            name, person = _split_person(name)
        elif kind != ONSITE and (at := _EN_PERSON_AT.match(name)):
            # "called Li at Acme"; but "visited Acme at Pudong" names a place
            person, name = _clean_name(at["person"]), _clean_name(at["org"])
        if "medium" in m.groupdict() and m["medium"]:
            kind = _ZH_MEDIUM.get(m["medium"], PHONE)
        found.customer, found.kind = name, kind
        found.add_people([person] if person else [])
        return clause[: m.start()] + " " + clause[m.end() :]
    return clause


def _take_met_with(clause: str, found: _Found) -> str:
    """The customer of "met with Acme" / "met with Li at Acme", when no stronger word names one."""
    m = _EN_MET_WITH.search(clause)
    if m is None:
        return clause
    name, people = _clean_name(m["name"]), ""
    if at := _EN_PERSON_AT.match(name):
        people, name = at["person"], _clean_name(at["org"])
    elif _NAME_LIST.search(name):
        return clause  # several people: left to _take_contacts
    found.customer = name
    found.add_people([_clean_name(n) for n in _NAME_LIST.split(people)] if people else [])
    return clause[: m.start()] + " " + clause[m.end() :]


def _take_contacts(clause: str, zh: bool, found: _Found) -> str:
    """Adds the people met in the clause; returns what is left of it."""
    clause = clause.strip()
    if zh and (speaker := _ZH_SPEAKER.match(clause)):
        found.add_people([speaker["person"]])
        return clause
    m = (_ZH_CONTACT if zh else _EN_CONTACT).search(clause)
    if m is None:
        return clause
    names = [_clean_name(n) for n in _NAME_LIST.split(m["names"] or m["present"])]
    people = []
    for name in names:
        org: str | None = None
        if zh:
            org, person = _split_person(name)
            if person is None:
                org, person = None, name
        elif at := _EN_PERSON_AT.match(name):
            person, org = _clean_name(at["person"]), _clean_name(at["org"])
        else:
            person = name
        if org and found.customer is None:
            found.customer = org
        people.append(person)
    found.add_people(people, met="verb" not in m.groupdict() or m["verb"].lower() != "saw")
    return clause[: m.start()] + " " + clause[m.end() :]


# --- the outcome ---------------------------------------------------------------------------------

# Words that carry nothing once the customer, people and date are gone.
_EMPTY = re.compile(
    r"(?:\s|今天|今早|上午|下午|中午|早上|刚才|刚刚|刚|然后|并且|并|也|还|了|我们|我|需要|要|再"
    r"|(?<![A-Za-z])(?:and|then|so|also|today|this\s+morning|this\s+afternoon|earlier|just"
    r"|we|i|(?:we|i)['’]ll|will|to|with|on|at|by|again|next\s+steps?)(?![A-Za-z]))*",
    re.IGNORECASE,
)
_LEADING_CONNECTOR = re.compile(
    r"^(?:然后|并且|并|也|还|今天|上午|下午|中午|早上|刚才|刚刚"
    r"|(?:and|then|so|also|but|to|today|this\s+morning|this\s+afternoon)(?![A-Za-z]))\s*",
    re.IGNORECASE,
)

_TRAILING_CONNECTOR = re.compile(
    r"\s*(?:需要|要|再|然后|我们|(?<![A-Za-z])(?:so|and|then|will|(?:we|i)['’]ll|we|i|need\s+to|to))$",
    re.IGNORECASE,
)


def _clean_outcome(text: str) -> str:
    text = " ".join(_strip_edges(text).split())
    if _EMPTY.fullmatch(text):
        return ""
    while (m := _LEADING_CONNECTOR.match(text)) and m.end() < len(text):
        text = _strip_edges(text[m.end() :])
    while (m := _TRAILING_CONNECTOR.search(text)) and m.start() > 0:
        text = _strip_edges(text[: m.start()])
    return text


# --- kinds and bare customer names ---------------------------------------------------------------

_ONLINE = re.compile(
    r"线上|视频|网络会议|腾讯会议|钉钉|飞书|(?<![A-Za-z])(?:online|zoom|teams|webex|google\s+meet"
    r"|video|virtual)(?![A-Za-z])",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"电话|致电|打给|(?<![A-Za-z])(?:called|call|phoned?|rang|by\s+phone)(?![A-Za-z])",
    re.IGNORECASE,
)
_ONSITE = re.compile(
    r"拜访|走访|到访|上门|现场|去了|实地|(?<![A-Za-z])(?:visited|visit|on[- ]?site|in\s+person"
    r"|dropped\s+by|stopped\s+by|went\s+to)(?![A-Za-z])",
    re.IGNORECASE,
)
# A first clause that is only a name ("华能电厂：见了张工", "Acme - met Li") has none of these.
_NOT_A_NAME = re.compile(
    r"谈|聊|说|想|要|需|希望|觉得|认为|同意|确认|准备|打算|计划|报价|合同|问题|没有|已经|我|你|他|她"
    r"|(?<![A-Za-z])(?:they|we|he|she|i|it|you|want|wants|need|needs|asked|discussed|is|are|was"
    r"|were|will|would|has|have|had|quote|price|pricing|ok|okay|thanks|thank|hello|hi)(?![A-Za-z])",
    re.IGNORECASE,
)


def _kind_from_words(text: str) -> str | None:
    for pattern, kind in ((_ONLINE, ONLINE), (_PHONE, PHONE), (_ONSITE, ONSITE)):
        if pattern.search(text):
            return kind
    return None


def _looks_like_name(text: str, zh: bool, now: datetime, tz: ZoneInfo) -> bool:
    if not text or _NOT_A_NAME.search(text):
        return False
    if (len(text) > 20) if zh else (len(text.split()) > 5):
        return False
    return parse_when(text, now, tz) is None


# --- the whole message ---------------------------------------------------------------------------


def parse_visit(text: str, now: datetime, tz: ZoneInfo) -> VisitDraft | None:
    """The visit a one-message report describes, or None if the text is no visit report.

    A report names a customer or a person met; anything else ("hello", "谢谢", a lone date,
    "/start") is not one.
    """
    text = text.strip()
    if not text or text.startswith("/") or len(text) > MAX_LENGTH:
        return None
    zh = _CJK.search(text) is not None
    followup: FoundWhen | None = None
    clauses: list[str] = []
    for clause in _clauses(text):
        if followup is None and (hit := _followup(clause, now, tz)) is not None:
            followup, clause = hit
        clauses.append(clause)

    found = _Found()
    nothing_stronger = not any(p.search(c) for c in clauses for p, _ in _CUSTOMER_RULES[zh])
    first_leftover: str | None = None
    for i, clause in enumerate(clauses):
        rest = clause
        if found.customer is None:
            rest = _take_customer(rest, zh, found)
        if found.customer is None and nothing_stronger and not zh:
            rest = _take_met_with(rest, found)
        rest = _clean_outcome(_take_contacts(rest, zh, found))
        if rest:
            found.outcome.append(rest)
            if i == 0:
                first_leftover = rest

    if found.customer is None and found.contacts and first_leftover is not None:
        if _looks_like_name(first_leftover, zh, now, tz):
            found.customer = first_leftover
            found.outcome.remove(first_leftover)
    if found.customer is None and not found.met:
        return None

    kind = found.kind or _kind_from_words(" ".join(clauses))
    outcome = ("，" if zh else ", ").join(found.outcome) or _strip_edges(text)
    return VisitDraft(
        customer_query=found.customer,
        contacts=found.contacts,
        outcome=outcome,
        followup_at=followup.when if followup else None,
        followup_text=followup.phrase.strip() if followup else None,
        kind=kind,
    )
