"""The SLA warning's share of the time allowed (issue 20, item 5) in /rules: shown, changed by
an admin in chat within 1–99 %, refused otherwise with nothing changed, audited, and used by the
next SLA pass."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.app import App
from crm.models import AuditLog, RuleOverride, Ticket
from tests import helpers
from tests.conftest import Transcript
from tests.test_desk_sla import said

LABEL = "SLA warning (share of the time allowed)"


async def overrides(app: App) -> dict[str, object]:
    async with app.sessions() as s:
        return {r.key: r.value for r in await s.scalars(select(RuleOverride))}


async def test_the_warning_share_is_shown_validated_and_changed(app: App, chat: Transcript) -> None:
    out = await chat("/as admin", "/rules")
    assert "SLA warning: at 80% of the time allowed" in out
    out = await chat("[SLA targets]")
    assert f"{LABEL}: 80%" in out
    out = await chat(f"[{LABEL}: 80%]")
    assert "is now 80%. Type the new share as a whole percentage from 1 to 99, e.g. 80." in out
    refusal = f"{LABEL} must be a whole percentage from 1 to 99. Nothing was changed."
    for bad in ("0", "100", "abc", "80.5", "-5", "0.8", "8" * 3000, "50 %%"):
        out = await chat(bad)
        assert refusal in out, bad
    assert await overrides(app) == {}
    out = await chat("７５％")  # full-width, as a Chinese keyboard types it
    assert f"{LABEL}: 80% → 75%. In effect now." in out
    assert await overrides(app) == {"sla.warn_share": 0.75}
    out = await chat("/rules")
    assert "SLA warning: at 75% of the time allowed" in out
    out = await chat("[SLA targets]", f"[{LABEL}: 75%]", "75")
    assert f"{LABEL} is already 75%. Nothing was changed." in out
    out = await chat("/rules", "[History]")
    assert f"Admin Wang · {LABEL}: 80% → 75%" in out
    async with app.sessions() as s:
        entry = await s.scalar(select(AuditLog).where(AuditLog.action == "rules.change"))
        assert entry is not None and entry.changes == {"sla.warn_share": [0.8, 0.75]}


async def test_only_an_admin_changes_it(app: App, chat: Transcript) -> None:
    out = await chat("/as manager", "/rules")
    assert "SLA warning" not in out
    assert await overrides(app) == {}


async def test_the_next_sla_pass_warns_at_the_new_share(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Ticket).values(status="closed"))
    await chat("/as admin", "/rules", "[SLA targets]", f"[{LABEL}: 80%]", "50")
    await chat(
        "/as customer2", "/new", "[Complaint]", "[Service]", "No notice.", "[Done]", "[Send]"
    )
    await chat("/as agent", "[接单]")
    t = await helpers.ticket(app, "T-2026-000004")
    allowed = t.first_response_due - t.created_at
    out = await chat(f"@clock +{int(allowed.total_seconds() * 0.5 // 60) - 1}m")
    assert not said(out, "agent", "T-2026-000004")
    # Past half the time allowed (long before 80%): warned now.
    out = await chat("@clock +2m")
    assert said(out, "agent", "⏳", "T-2026-000004", "首次答复")
