"""/rules: business rules shown, changed in chat, validated, audited, and in effect at once for
the flows and the scheduler; only admins."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from bot.app import App
from crm.clock import ManualClock
from crm.models import AuditLog, RuleOverride
from crm.rules import Rules
from crm.services import rule_overrides as svc
from scheduler import runner
from tests import helpers
from tests.conftest import Transcript

SLA_KEY = "sla.complaint.first_response_minutes"


async def overrides(app: App) -> dict[str, object]:
    async with app.sessions() as s:
        return {r.key: r.value for r in await s.scalars(select(RuleOverride))}


async def test_view_change_validate_and_audit(app: App, chat: Transcript) -> None:
    out = await chat("/as admin", "/rules")
    for line in (
        "• Complaint: 60 min · 24 h",
        "Visit cadence: A every 14 days · B 30 · C 90",
        "Claims: 60 days, warned 7 days before",
        "Digest times: morning agenda 08:30 · managers' summary 18:00",
        "Quiet hours: 21:00–08:00",
    ):
        assert line in out, line
    await chat("[SLA targets]")
    out = await chat("[Complaint: first response]")
    assert "is now 60. Type the new value: a whole number from 1 to 10,080." in out
    refusal = "Complaint: first response (minutes) must be a whole number from 1 to 10,080."
    for bad in ("abc", "0", "10081", "🙂", "12.5", "-5", "9" * 5000, "60 minutes"):
        out = await chat(bad)
        assert refusal in out and "Nothing was changed." in out, bad
    # A file where a number is expected is not an answer: the change is kept as a draft and the
    # file is read as what it is outside the flow (an import, refused for its type).
    out = await chat(f"@doc {__file__}")
    assert "📝 Change of the rule “Complaint: first response (minutes)” — kept as a draft." in out
    assert "Please send a .csv or .xlsx file." in out
    out = await chat("[Resume]")
    assert "Type the new value" in out
    assert await overrides(app) == {}
    out = await chat("１２０")  # full-width digits, as a Chinese keyboard may type them
    assert "Complaint: first response (minutes): 60 → 120. In effect now." in out
    assert await overrides(app) == {SLA_KEY: 120}
    out = await chat("/rules")
    assert "• Complaint: 120 min · 24 h" in out
    out = await chat("[History]")
    assert "Admin Wang · Complaint: first response (minutes): 60 → 120" in out
    async with app.sessions() as s:
        entry = await s.scalar(select(AuditLog).where(AuditLog.action == "rules.change"))
        admin = await helpers.staff(app, "admin")
        assert entry is not None and entry.actor_id == admin.id
        assert entry.changes == {SLA_KEY: [60, 120]}


async def test_values_that_do_not_fit_the_other_rules(app: App, chat: Transcript) -> None:
    await chat("/as admin", "/rules", "[Claims]", "[Claim warning]")
    out = await chat("60")
    assert "fewer warning days than the claim period (now 60 days" in out
    out = await chat("[Back]", "[Claim period]", "5")
    assert "fewer warning days than the claim period" in out
    await chat("/rules", "[Quiet hours]", "[Quiet hours start]")
    out = await chat("25:00")
    assert "Please type a time as HH:MM, e.g. 08:30. Nothing was changed." in out
    out = await chat("08:00")  # the end of the quiet hours
    assert "Quiet hours must start and end at different times. Nothing was changed." in out
    assert await overrides(app) == {}
    out = await chat("22：30")
    assert "Quiet hours start: 21:00 → 22:30. In effect now." in out
    assert await overrides(app) == {"quiet_hours.start": "22:30"}


async def test_a_changed_sla_target_sets_a_new_tickets_deadline(app: App, chat: Transcript) -> None:
    await chat("/as admin", "/rules", "[SLA targets]", "[Complaint: first response]", "120")
    out = await chat(
        "/as customer1",
        "/new",
        "[投诉]",
        "[服务]",
        "本周停电两次，都没有提前通知",
        "[完成]",
        "[提交]",
    )
    # A class-A customer gets half the target: 60 minutes from 09:00, not the default's 30.
    assert "我们将在12月1日 周二 10:00前答复您" in out


async def test_a_changed_cadence_changes_losing_touch(app: App, chat: Transcript) -> None:
    out = await chat("/as rep2", "/losing")
    assert "Acme Logistics · Class A · 77 days since the last visit" in out
    await chat("/as admin", "/rules", "[Visit cadence]", "[class A]", "100")
    out = await chat("/as rep2", "/losing")
    assert "(A every 100 days, B every 30, C every 90)" in out
    assert "Acme Logistics" not in out


async def test_the_scheduler_follows_a_changed_digest_time(
    app: App, chat: Transcript, clock: ManualClock
) -> None:
    assert app.rules.digest.morning_agenda == time(8, 30)
    out = await chat("/as admin", "/rules", "[Digest times]", "[Morning agenda]", "7:00")
    assert "Morning agenda: 08:30 → 07:00. In effect now." in out
    out = await chat("/as rep1", "@clock 2026-12-02T07:05")
    assert "[to rep1] ☀️ 张伟，早上好！" in out


async def test_the_scheduler_reads_the_rules_in_effect_and_moves_its_cron_jobs(
    app: App,
) -> None:
    sched = runner.build(app.sessions, app.clock, app.settings.tz, app.rulebook, 30)
    seen: list[Rules] = []

    async def job(sessions, clock, tz, rules):  # type: ignore[no-untyped-def]
        seen.append(rules)
        return 0

    async with app.sessions() as s, s.begin():
        await svc.change(
            s, app.rulebook, "digest.morning_agenda", "07:15", actor_id=1, now=app.clock.now()
        )
    await runner._run_job(
        "due-work",
        job,
        sched.jobs_lock,
        app.sessions,
        app.clock,
        app.settings.tz,
        app.rulebook,
        sched=sched,
    )
    assert seen[0].digest.morning_agenda == time(7, 15)
    trigger = sched.get_job("due-work-at-agenda-time").trigger
    fields = {f.name: str(f) for f in trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("7", "15")


async def test_every_process_sees_a_change_and_caches_otherwise(app: App) -> None:
    other = svc.RuleBook(app.rules)  # another replica's book
    async with app.sessions() as s:
        first = await other.current(s)
        assert await other.current(s) is first  # no change: the cached rules
    async with app.sessions() as s, s.begin():
        await svc.change(s, app.rulebook, "cadence_days.B", 45, actor_id=1, now=app.clock.now())
    async with app.sessions() as s:
        assert (await other.current(s)).cadence_days.B == 45


def test_an_override_that_no_longer_fits_is_skipped(app: App) -> None:
    base = app.rules
    rules = svc.effective(base, {"claims.warn_days": 100, "cadence_days.C": 120, "no.such.rule": 1})
    assert rules.claims.warn_days == base.claims.warn_days  # 100 is not below the period
    assert rules.cadence_days.C == 120


async def test_only_admins(app: App, chat: Transcript) -> None:
    for handle in ("manager", "rep1", "agent"):
        out = await chat(f"/as {handle}", "/rules")
        assert "SLA" not in out and "/rules —" not in out, handle
        out = await helpers.press(chat, app, handle, "~rules.group:sla")
        assert "该按钮已失效，未做任何更改。" in out
    # An admin made a manager halfway through: the typed value changes nothing.
    await chat("/as admin", "/rules", "[SLA targets]", "[Complaint: first response]")
    async with app.sessions() as s, s.begin():
        admin = await helpers.staff(app, "admin")
        merged = await s.merge(admin)
        merged.role = "manager"
    out = await chat("30")
    assert "In effect now" not in out
    assert await overrides(app) == {}
