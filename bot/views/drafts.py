"""A parked draft's buttons, shared by the chat (handlers) and the scheduler's reminders."""

from __future__ import annotations

from bot.types import Button, T

RESUME = T("▶ Resume")
DISCARD = T("🗑 Discard")


def draft_buttons(draft_id: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button(RESUME, f"dr_res:{draft_id}"), Button(DISCARD, f"dr_del:{draft_id}")),)


def discard_only(draft_id: int) -> tuple[tuple[Button, ...], ...]:
    """For a draft that cannot be resumed (its flow changed shape): its words are shown instead."""
    return ((Button(DISCARD, f"dr_del:{draft_id}"),),)
