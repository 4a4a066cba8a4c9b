"""What every channel offers the runtime, and the send errors it maps its library's errors to."""

from __future__ import annotations

from typing import Literal, Protocol

from bot.types import Outgoing

ErrorKind = Literal["retry_after", "blocked", "bad_request", "network"]


class SendError(Exception):
    def __init__(self, kind: ErrorKind, detail: str = "", retry_after: float = 0.0) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after


class Channel(Protocol):
    name: str

    async def send(self, out: Outgoing) -> None:
        """Sends one message; raises SendError on failure."""
