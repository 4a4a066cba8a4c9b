"""Outbound: 3,000 outbox messages to 1,000 chats through the real outbox sender and aiogram
adapter, over loopback HTTP, into the fake Bot API (tests/fake_botapi.py) enforcing Telegram's
limits: 30 messages/s overall and 1/s per chat (a message over a limit gets 429, and is not
delivered). The sender keeps the limits configured in the rules (25/s overall by default, a
margin under Telegram's 30; 1/s per chat with its own 10 % margin).

Prints the achieved rate ÷ the configured limit, the 429s, duplicates, losses and per-chat
violations (from the fake's refusals and from the delivery times themselves).

Run: `make bench`, or `.venv/bin/python bench/bench_outbound.py [--quick]` (300 to 100 chats).
Targets: at least 95 % of the configured limit, no per-chat violation, nothing lost.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import logs_counted, quick_flag, verdict

from bot.channels.aiogram import AiogramChannel
from bot.logging import setup as setup_logging
from bot.migrate import upgrade
from bot.sender import OutboxSender, SendLimits
from bot.settings import load
from bot.types import Outgoing
from crm.clock import SystemClock
from crm.db import make_engine, make_sessionmaker
from crm.services import outbox
from tests.fake_botapi import FakeBotAPI, Limits

TOKEN = "123456:" + "B" * 35
FIRST_CHAT = 900_000
# A run that has not finished by then has lost something: stop and count.
DEADLINE_FACTOR = 2.0


async def run(url: str, messages: int, chats: int) -> list[str]:
    _settings, rules = load(_env_file=None)
    limits = SendLimits.from_rules(rules.rate_limits)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    keys: dict[str, int] = {}
    async with sessions() as s, s.begin():
        for i in range(messages):
            chat_id = FIRST_CHAT + i % chats
            key = f"bench:{i:05d}"
            await outbox.enqueue(
                s,
                chat_id=chat_id,
                payload=Outgoing(chat_id, key).to_payload(),
                dedupe_key=key,
                due_at=now - timedelta(seconds=1),
                priority=outbox.PRIORITY_BULK,
            )
            keys[key] = chat_id

    # Telegram's limits as the fake enforces them: 30/s overall, 1 message a second per chat.
    fake_limits = Limits(per_chat=(1, 1.0), overall=(30, 1.0))
    deadline = messages / limits.overall_per_second * DEADLINE_FACTOR + 10
    async with FakeBotAPI(TOKEN, limits=fake_limits) as api:
        channel = AiogramChannel(TOKEN, api.base_url)
        sender = OutboxSender(sessions, channel, SystemClock(), limits=limits)
        began = time.monotonic()
        try:
            with logs_counted():
                while time.monotonic() - began < deadline:
                    await sender.drain()
                    async with sessions() as s:
                        st = await outbox.stats(s, datetime.now(UTC) + timedelta(seconds=5))
                    if st.by_status["pending"] == st.by_status["sending"] == 0:
                        break
        finally:
            await channel.close()
        elapsed = time.monotonic() - began
    await engine.dispose()

    calls = api.calls_of("sendMessage")
    ok = [c for c in calls if c.status == 200]
    refused = [c for c in calls if c.status == 429]
    texts = Counter(c.params["text"] for c in ok)
    duplicates = sum(n - 1 for n in texts.values() if n > 1)
    lost = sum(1 for k in keys if k not in texts)
    by_chat: dict[int, list[float]] = defaultdict(list)
    for c in ok:
        by_chat[c.params["chat_id"]].append(c.at)
    # Two deliveries to a chat less than a second apart (the fake's clock, as Telegram's).
    close = sum(
        1
        for stamps in by_chat.values()
        for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)
        if b - a < 1.0
    )
    per_chat_refusals = sum(1 for v in api.violations if v.limit == "per_chat")
    span = max(c.at for c in ok) - min(c.at for c in ok) if len(ok) > 1 else float("nan")
    # Sends per second over the run: n messages span n-1 intervals.
    rate = (len(ok) - 1) / span if len(ok) > 1 else 0.0
    ratio = rate / limits.overall_per_second
    print(
        f"  {len(ok)} of {messages} delivered to {len(by_chat)} chats in {elapsed:.1f} s "
        f"(sending span {span:.1f} s)"
    )
    print(
        f"  achieved {rate:.2f} msg/s ÷ configured {limits.overall_per_second:g}/s = {ratio:.1%}"
        f"  (Telegram's 30/s enforced by the fake)"
    )
    print(
        f"  429s {len(refused)} (per chat {per_chat_refusals}, overall "
        f"{sum(1 for v in api.violations if v.limit == 'overall')}), duplicates {duplicates}, "
        f"lost {lost}, same-chat sends under 1 s apart {close}"
    )
    print("targets:")
    return [
        verdict(ratio >= 0.95, f"rate {ratio:.1%} of the configured limit (≥ 95 %)"),
        verdict(
            per_chat_refusals == 0 and close == 0,
            f"per-chat violations {per_chat_refusals + close} (0)",
        ),
        verdict(lost == 0 and duplicates == 0, f"lost {lost}, duplicates {duplicates} (0, 0)"),
    ]


def main(argv: list[str]) -> int:
    messages, chats = (300, 100) if quick_flag(argv) else (3000, 1000)
    setup_logging("INFO", json=True)
    print(f"outbound: {messages} messages to {chats} chats on SQLite")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'outbound.db'}"
        upgrade(url)
        asyncio.run(run(url, messages, chats))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
