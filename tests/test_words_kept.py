"""A stateful property test of issue 16's rule: nothing a person typed is lost.

Hypothesis drives random sequences of inputs for a rep, a customer and an agent: texts, commands,
menu buttons, location pins, photos, and presses of buttons (the latest message's, and stale ones
from older messages). Every text typed carries a unique word. After the sequence, each such word
must be somewhere it can be found again:

- in a domain row (a visit, a follow-up, a request or its thread, a customer, a contact...), or
- in a draft: the conversation's current one or a parked one, or
- the person discarded it explicitly later (✖ Cancel, 🗑 Discard, /cancel), or
- the step refused it or searched with it and said so, quoting it back (a date it could not
  read, "customers matching …"): a query is not data, and the person sees their words.

And no answer tells a person "not available to you" about their own data: every press made here
is of a button the bot itself showed them.

SQLite only, like the other fuzz suite: a few hundred updates with a database search each.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import String, Text, select

from bot.app import App
from bot.demo import Demo, prepare
from crm.db import Base
from tests.test_fuzz_flows import load_app, rules_file

ACTORS = ["rep2", "customer2", "agent"]
COMMANDS = {
    "rep2": ["/visit", "/followup", "/today", "/customers", "/newcustomer", "/help", "/cancel"],
    "customer2": ["/new", "/my", "/help", "/cancel"],
    "agent": ["/tickets", "/help", "/cancel"],
}
PHRASES = [
    "visited Acme Logistics, met Tom, they want a quote",
    "called Lotus Spa about the invoice",
    "Acme budget next Tuesday",
    "the meter reading looks wrong",
    "tomorrow 10:00",
    "Acme",
    "quote",
    "please call me back",
    "13800138000",
]
DISCARD_WORDS = ("Discarded", "已丢弃", "已捨棄", "Удалено", "Удалён")
DENIED_WORDS = ("not available to you", "无权", "無權", "недоступно")


class WordsKept(RuleBasedStateMachine):
    """One demo company per example; inputs as three people; a unique word in every text."""

    template: Path
    where: Path

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        path = self.where / f"words-{id(self)}.db"
        shutil.copyfile(self.template, path)
        self.app, clock = load_app(path, rules_file(self.where))
        self.lines: list[str] = []
        self.demo = Demo(self.app, clock, self.lines.append)
        self.loop.run_until_complete(prepare(self.app, clock))
        self.run(["/people"])
        self.n = 0
        # (word, index of the input, who) for every text typed; indexes of discards and denials.
        self.typed: list[tuple[str, int, str]] = []
        self.discards: dict[str, list[int]] = {a: [] for a in ACTORS}
        self.echoed: set[str] = set()
        self.denied: list[str] = []
        self.inputs = 0
        self.old_buttons: dict[str, list[str]] = {a: [] for a in ACTORS}

    def run(self, inputs: list[str]) -> str:
        start = len(self.lines)
        self.loop.run_until_complete(self.demo.run(inputs))
        return "\n".join(self.lines[start:])

    def teardown(self) -> None:
        self.loop.run_until_complete(self.app.close())
        self.loop.close()

    def _as(self, who: str, line: str) -> str:
        self.inputs += 1
        uid = self.demo._user_id(who)
        target = self.demo.channel.find(uid, line[1:-1]) if line.startswith("[") else None
        pressed = f" ({target.payload})" if target is not None else ""
        out = self.run([f"/as {who}", line])
        if any(w in out for w in DISCARD_WORDS):
            self.discards[who].append(self.inputs)
        if any(w in out for w in DENIED_WORDS):
            self.denied.append(f"{who}: {line}{pressed} -> {out[-300:]}")
        labels = [t.payload for t in self.demo.channel.last_buttons.get(uid, []) if t.payload]
        self.old_buttons[who] = (self.old_buttons[who] + labels)[-30:]
        return out

    @rule(who=st.sampled_from(ACTORS), phrase=st.sampled_from(PHRASES))
    def type_text(self, who: str, phrase: str) -> None:
        self.n += 1
        word = f"zq{self.n}x"
        line = f"{phrase} {word}"
        out = self._as(who, line)
        self.typed.append((word, self.inputs, who))
        if word in out.split(line, 1)[-1]:
            # Quoted back in the answer: a refusal ("could not read … as a date") or a search
            # ("customers matching …"): the person has their words on screen, nothing is stored.
            self.echoed.add(word)

    @rule(who=st.sampled_from(ACTORS), data=st.data())
    def command(self, who: str, data: st.DataObject) -> None:
        self._as(who, data.draw(st.sampled_from(COMMANDS[who])))

    @rule(who=st.sampled_from(ACTORS), data=st.data())
    def press_latest(self, who: str, data: st.DataObject) -> None:
        uid = self.demo._user_id(who)
        targets = self.demo.channel.last_buttons.get(uid, []) + self.demo.channel.keyboards.get(
            uid, []
        )
        if not targets:
            return
        i = data.draw(st.integers(1, len(targets)))
        self._as(who, f"[{i}]")

    @rule(who=st.sampled_from(ACTORS), data=st.data())
    def press_stale(self, who: str, data: st.DataObject) -> None:
        """A button of an older message, pressed again (Telegram keeps old keyboards)."""
        if not self.old_buttons[who]:
            return
        payload = data.draw(st.sampled_from(self.old_buttons[who]))
        self.inputs += 1
        uid = self.demo._user_id(who)
        self.loop.run_until_complete(_press(self.demo, uid, payload))

    @rule(who=st.sampled_from(["rep2", "customer2"]))
    def pin(self, who: str) -> None:
        self._as(who, "@loc 31.2312,121.4712")

    @rule(who=st.sampled_from(ACTORS))
    def photo(self, who: str) -> None:
        self._as(who, "@photo meter.jpg")

    @invariant()
    def no_refusal_of_own_data(self) -> None:
        assert not self.denied, self.denied

    def check_words(self) -> None:
        stored = self.loop.run_until_complete(_all_text(self.app))
        lost = []
        for word, at, who in self.typed:
            if word in stored or word in self.echoed:
                continue
            if any(d > at for d in self.discards[who]):
                continue
            lost.append((word, at, who))
        assert not lost, f"lost: {lost}\n" + "\n".join(self.lines[-80:])


async def _press(demo: Demo, uid: int, payload: str) -> None:
    import secrets

    from bot.types import Inbound

    inbound = Inbound(
        channel="console",
        update_id=secrets.randbits(62),
        chat_id=uid,
        user_id=uid,
        callback=payload,
        callback_message_id=1,
    )
    for out in await demo.app.engine.handle(inbound):
        await demo.channel.send(out)


async def _all_text(app: App) -> str:
    """Every text and JSON column of every table, as one string to search."""
    parts: list[str] = []
    async with app.sessions() as s:
        for table in Base.metadata.sorted_tables:
            cols = [
                c
                for c in table.columns
                if isinstance(c.type, String | Text) or c.type.__class__.__name__ == "JSON"
            ]
            if not cols:
                continue
            for row in (await s.execute(select(*cols))).all():
                for value in row:
                    if value is not None:
                        parts.append(
                            value
                            if isinstance(value, str)
                            else json.dumps(value, ensure_ascii=False)
                        )
    return "\n".join(parts)


@pytest.mark.slow
def test_nothing_typed_is_lost(sqlite_template: Path, tmp_path: Path) -> None:
    WordsKept.template = sqlite_template
    WordsKept.where = tmp_path
    (tmp_path / "meter.jpg").write_bytes(b"\xff\xd8\xff\xe0fake")

    class Checked(WordsKept):
        def teardown(self) -> None:
            try:
                self.check_words()
            finally:
                super().teardown()

    run_state_machine_as_test(
        Checked,
        settings=settings(
            max_examples=12,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            # Shrinking a stateful run of a whole company takes minutes; the printed steps are
            # readable as they are.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
