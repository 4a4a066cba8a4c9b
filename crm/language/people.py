"""The people a message says the rep met: 王总, 李经理, 校长, 老板娘, Ms Zhou, owner, директор.

Titles and roles are what reps type, so they are what is looked for: a surname with a title, a
role (with a department in front: 采购经理), an English honorific with a name, a first name after
"met"/"with" or before "said"; never a date or the customer's name (those parts of the text are
masked first). Someone named as absent (老板不在, manager not in) was not met.
"""

from __future__ import annotations

import re

from crm.language.reading_words import (
    EN_NAME_AFTER,
    EN_NAME_BEFORE,
    EN_NOT_NAME,
    EN_PERSON,
    RU_PERSON,
    ZH_ABSENT,
    ZH_NOT_MET_BEFORE,
    ZH_PERSON,
)

# Named, but not met: absent (manager not in, 老板不在), not reached (no answer, couldn't get
# through, не застал).
_EN_ABSENT = re.compile(
    r"\s*(?:not\s+in|was\s+out|is\s+out|(?:is\s+|was\s+)?away|absent|off\s+today|sick|ill"
    r"|couldn[’']?t\s+get\s+through|no\s+answer|didn[’']?t\s+(?:answer|pick\s+up)"
    r"|на\s+больничном|в\s+отпуске|не[т]?\s+на\s+месте|в\s+командировке|не\s+застал\w*"
    r"|(?:电话\s*)?(?:不在|没打通|没人接|出差|请假))",
    re.I,
)
# Not reached, said before the person: не дозвонился до прораба, couldn't reach the manager.
_NOT_REACHED = re.compile(
    r"(?:не\s+(?:дозвонил|застал|видел|нашёл|нашел)\w*(?:\s+до)?"
    r"|couldn[’']?t\s+(?:reach|get\s+hold\s+of|find)|didn[’']?t\s+(?:see|meet|reach))"
    r"(?:\s+the)?\s*$",
    re.IGNORECASE,
)
# "manager Mike", "owner Mrs Lopez": a role followed by the person's name; the name is kept.
_NAMED = re.compile(r"(?:Mr|Ms|Mrs|Miss|Dr|Prof)\.?\s+[A-Z][a-z]+|[A-Z][a-z]{1,15}(?![A-Za-z])")
HONORIFIC = re.compile(r"(?<![A-Za-z])(?:Mr|Ms|Mrs|Miss|Dr|Prof)\.?\s+[A-Z][a-z]+(?![A-Za-z])")


def find_people(folded: str, typed: str) -> list[tuple[str, int, int]]:
    """(name as typed, start, end) of each person met, in order; folded has masked parts as
    spaces and the same length as typed."""
    found: list[tuple[int, int]] = []
    for m in ZH_PERSON.finditer(folded):
        before = ZH_NOT_MET_BEFORE.search(folded, max(0, m.start() - 4), m.start())
        if not ZH_ABSENT.match(folded, m.end()) and before is None:
            found.append(m.span("name"))
    for pattern in (EN_PERSON, RU_PERSON):
        for m in pattern.finditer(folded):
            before = _NOT_REACHED.search(folded, max(0, m.start() - 30), m.start())
            if not _EN_ABSENT.match(folded, m.end()) and before is None:
                found.append(m.span("name"))
    for pattern in (EN_NAME_AFTER, EN_NAME_BEFORE):
        for m in pattern.finditer(folded):
            for group in ("name", "name2"):
                name = m.groupdict().get(group)
                if (
                    name
                    and name.lower() not in EN_NOT_NAME
                    and name not in ("Mr", "Ms", "Mrs", "Dr")
                ):
                    found.append(m.span(group))
    for m in EN_PERSON.finditer(folded):  # manager Mike
        after = _NAMED.match(folded, m.end() + 1) if folded[m.end() : m.end() + 1] == " " else None
        if after and after.group().lower() not in EN_NOT_NAME:
            found.append(after.span())
    found.sort()
    # "owner Mrs Lopez": the role names the person who follows; the name is kept.
    found = [
        (s, e)
        for i, (s, e) in enumerate(found)
        if not (
            i + 1 < len(found)
            and 0 < found[i + 1][0] - e <= 1
            and _NAMED.match(typed, found[i + 1][0])
        )
    ]
    people: list[tuple[str, int, int]] = []
    last_end = -1
    for start, end in found:
        if start < last_end:
            continue  # inside a longer name already taken (Mr Li, not Li)
        name = " ".join(typed[start:end].split())
        if name.lower() not in {p[0].lower() for p in people}:
            people.append((name, start, end))
        last_end = end
    return people
