"""Messages the scheduler sends on its own."""

from __future__ import annotations

from bot.types import Button, Lines, Reply, T, Text
from crm.models import Customer, FollowUp


def followup_reminder(fu: FollowUp, customer: Customer, late: bool) -> Reply:
    lines: list[Text] = [
        T("⏰ Follow-up due: <b>{customer}</b>", customer=customer.name),
        T("Planned for {when}", when=fu.due_at),
    ]
    if fu.note:
        lines.append(T("Note: {note}", note=fu.note))
    if late:
        lines.append(T("(sent late: the bot was not running at the due time)"))
    return Reply(
        Lines(*lines),
        buttons=(
            (
                Button(T("✅ Done"), f"fu_done:{fu.id}"),
                Button(T("⏱ In 1 hour"), f"fu_snooze:{fu.id}:1h"),
                Button(T("🌅 Tomorrow 09:00"), f"fu_snooze:{fu.id}:tomorrow"),
            ),
            (
                Button(T("🕐 Pick a time"), f"fu_snooze:{fu.id}:pick"),
                Button(T("📆 Reschedule"), f"fu_resched:{fu.id}"),
                Button(T("📇 Open card"), f"card:{fu.customer_id}"),
            ),
        ),
    )
