"""The console demo: a seeded company, people to act as, buttons to press and a clock to move."""

from __future__ import annotations

import re
import secrets
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.sender import OutboxSender
from bot.types import Inbound, Location
from crm.clock import ManualClock
from crm.demo_seed import seed
from crm.models import CustomerUser, Staff
from crm.services import runtime
from scheduler.runner import run_due

CLOCK_KEY = "demo.clock"
DEMO_START = datetime.fromisoformat("2026-12-01T09:00:00+08:00")
STEP = re.compile(r"^\+(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


async def prepare(app: App, clock: ManualClock) -> None:
    """Seeds an empty database and restores the demo clock saved by an earlier run."""
    async with app.sessions() as session, session.begin():
        saved = await runtime.kv_get(session, CLOCK_KEY)
        if saved is None:
            clock.set(DEMO_START)
            await seed(session, clock.now(), app.rules)
            await runtime.kv_set(session, CLOCK_KEY, clock.now().isoformat())
        else:
            clock.set(datetime.fromisoformat(saved))


class Demo:
    def __init__(self, app: App, clock: ManualClock, write: Callable[[str], None]) -> None:
        self.app = app
        self.clock = clock
        self.write = write
        self.handles: dict[int, str] = {}
        self.channel = ConsoleChannel(
            write=write, handle_of=lambda cid: self.handles.get(cid, str(cid))
        )
        self.sender = OutboxSender(app.sessions, self.channel, clock)
        app.engine.files = self.channel
        self.acting = "rep1"

    async def _refresh_handles(self) -> None:
        async with self.app.sessions() as session:
            for tg, handle in (await session.execute(select(Staff.tg_user_id, Staff.handle))).all():
                if tg is not None and handle:
                    self.handles[tg] = handle
            rows = await session.execute(select(CustomerUser.tg_user_id, CustomerUser.handle))
            for tg, handle in rows.all():
                if handle:
                    self.handles[tg] = handle

    def _user_id(self, handle: str) -> int:
        for tg, h in self.handles.items():
            if h == handle:
                return tg
        return 900_000_000 + zlib.crc32(handle.encode()) % 100_000_000

    async def run(self, lines: Iterable[str]) -> None:
        await self._refresh_handles()
        for raw in lines:
            line = raw.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith("#"):
                self.write(line)
                continue
            self.write(f"> {line}")
            await self.step(line.strip())

    async def step(self, line: str) -> None:
        if line.startswith("/as "):
            self.acting = line[4:].strip().lstrip("@")
            self.write(f"(now acting as {self.acting})")
            return
        if line == "/people":
            await self._people()
            return
        if line.startswith("@clock "):
            await self._move_clock(line[7:].strip())
            return
        inbound = self._inbound(line)
        if inbound is None:
            return
        await self.channel.deliver(inbound, await self.app.engine.handle(inbound))
        await self._after_update(inbound.user_id)
        await self.sender.drain()

    async def _after_update(self, user_id: int) -> None:
        """Someone seen for the first time gets the handle the demo knows them by."""
        if user_id in self.handles:
            return
        async with self.app.sessions() as session, session.begin():
            staff = await session.scalar(select(Staff).where(Staff.tg_user_id == user_id))
            cu = await session.scalar(
                select(CustomerUser).where(CustomerUser.tg_user_id == user_id)
            )
            if staff is not None and staff.handle is None:
                staff.handle = self.acting
            elif cu is not None and cu.handle is None:
                cu.handle = self.acting
        self.handles[user_id] = self.acting

    def _inbound(self, line: str) -> Inbound | None:
        uid = self._user_id(self.acting)
        base = dict(
            channel="console",
            update_id=secrets.randbits(62),
            chat_id=uid,
            user_id=uid,
            username=self.acting,
            first_name=self.acting,
        )
        if line.startswith("[") and line.endswith("]"):
            target = self.channel.find(uid, line[1:-1].strip())
            if target is None:
                self.write("(no such button)")
                return None
            if target.payload is not None:
                return Inbound(
                    **base, callback=target.payload, callback_message_id=target.message_id
                )
            if target.kind == "contact":
                return Inbound(**base, contact_phone="+8613800000000", contact_user_id=uid)
            return Inbound(**base, text=target.label)
        if line.startswith("@loc "):
            try:
                lat, lon = (float(p) for p in line[5:].split(","))
            except ValueError:
                self.write("(usage: @loc LAT,LON)")
                return None
            return Inbound(**base, location=Location(lat, lon))
        if line.startswith("@contact "):
            return Inbound(**base, contact_phone=line[9:].strip(), contact_user_id=uid)
        if line.startswith("@photo "):
            # `@photo PATH ALBUM`: photos naming the same ALBUM arrive as one album.
            path, _, album = line[7:].strip().partition(" ")
            return Inbound(
                **base, photo_ids=(f"file:{Path(path).name}",), media_group_id=album or None
            )
        if line.startswith("@voice "):
            return Inbound(**base, voice_id=f"file:{Path(line[7:].strip()).name}")
        if line.startswith("@doc "):
            path = Path(line[5:].strip())
            file_id = f"file:{path.name}"
            self.channel.documents[file_id] = path
            return Inbound(**base, document_id=file_id, document_name=path.name)
        return Inbound(**base, text=line)

    async def _people(self) -> None:
        async with self.app.sessions() as session:
            staff = await session.scalars(
                select(Staff).where(Staff.handle.is_not(None)).order_by(Staff.id)
            )
            for s in staff:
                self.write(f"  {s.handle:<10} {s.role:<8} {s.name}")
            users = await session.scalars(
                select(CustomerUser)
                .where(or_(CustomerUser.handle.is_not(None)))
                .order_by(CustomerUser.id)
            )
            for u in users:
                linked = "linked" if u.customer_id else "not linked"
                self.write(f"  {u.handle:<10} customer {linked}")

    async def _move_clock(self, arg: str) -> None:
        m = STEP.match(arg)
        if m:
            target = self.clock.now() + timedelta(**{UNITS[m.group(2)]: int(m.group(1))})
        else:
            try:
                target = datetime.fromisoformat(arg)
            except ValueError:
                self.write("(usage: @clock +2h | +1d | +30m | 2026-12-01T09:00)")
                return
            if target.tzinfo is None:
                target = target.replace(tzinfo=self.app.settings.tz)
        if target < self.clock.now():
            self.write("(the demo clock only moves forward)")
            return
        self.clock.set(target)
        async with self.app.sessions() as session, session.begin():
            await runtime.kv_set(session, CLOCK_KEY, target.isoformat())
        local = target.astimezone(self.app.settings.tz)
        self.write(f"(clock: {local:%Y-%m-%d %H:%M %Z})")
        await run_due(self.app.sessions, self.clock, self.app.settings.tz, self.app.rulebook)
        await self.sender.drain()
