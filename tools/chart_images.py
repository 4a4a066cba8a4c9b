"""The chart images of the README (docs/images/), drawn from the demo company.

Run: `make chart-images` or `.venv/bin/python tools/chart_images.py [OUT_DIR]`. On a throw-away
SQLite database it seeds the demo (as `crm-bot demo` does) and draws, through the same views the
bot sends them with (bot/views/digest.py, bot/views/report.py):

- summary-30-reps.png: the weekly team summary (the week before the demo's day, as Monday's
  push has it) of a manager with 30 reps: the demo's two and 28 more, with visits over the last
  two weeks and a November plan for a third of them, zh_CN;
- report-month.png: /report for November of the demo team, visits and the requests by kind,
  zh_CN;
- summary-week-en.png: the demo team's weekly summary as an English-speaking manager reads it.

The extra reps and their visits are made with a seeded random: the images change only when the
drawing does.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import build_app
from bot.demo import DEMO_START, prepare
from bot.i18n import Renderer
from bot.migrate import upgrade
from bot.settings import load
from bot.views import digest as summary_view
from bot.views import report as report_view
from crm.clock import ManualClock
from crm.enums import Role
from crm.language.date_ranges import MONTH, DateRange
from crm.models import Customer, Staff, Visit, VisitPlan
from crm.services import digest as svc
from crm.services import report as report_svc

SHANGHAI = ZoneInfo("Asia/Shanghai")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟"]
# A name longer than the axis holds: cut with an ellipsis on the chart.
LONG_NAME = "Alexandra Konstantinovna Rozhdestvenskaya"


async def _thirty_reps(app, manager: Staff, now: datetime) -> None:  # type: ignore[no-untyped-def]
    rnd = random.Random(23)
    async with app.sessions() as s, s.begin():
        customers = list(await s.scalars(select(Customer.id)))
        for i in range(28):
            name = LONG_NAME if i == 27 else SURNAMES[i] + rnd.choice(GIVEN)
            rep = Staff(
                handle=f"rep_extra{i}",
                name=name,
                role=Role.SALES,
                manager_id=manager.id,
                locale="zh_CN",
            )
            s.add(rep)
            await s.flush()
            if i % 3 == 0:
                s.add(VisitPlan(staff_id=rep.id, month="2026-11", customer_class="B", target=30))
            busy = rnd.randint(0, 24)
            for _ in range(busy):
                day = now.date() - timedelta(days=rnd.randint(0, 13))
                at = datetime.combine(day, time(rnd.randint(9, 17)), tzinfo=SHANGHAI)
                s.add(
                    Visit(
                        customer_id=rnd.choice(customers),
                        staff_id=rep.id,
                        kind="onsite",
                        visited_at=at,
                    )
                )


async def draw(out: Path, url: str) -> list[Path]:
    settings, rules = load(database_url=url, _env_file=None)
    clock = ManualClock(DEMO_START)
    app = build_app(settings, rules, clock)
    try:
        await prepare(app, clock)
        now = clock.now()
        async with app.sessions() as s:
            manager = await s.scalar(select(Staff).where(Staff.handle == "manager"))
        assert manager is not None
        zh, en = Renderer("zh_CN", SHANGHAI), Renderer("en", SHANGHAI)
        written: list[Path] = []

        def save(name: str, data: bytes | None) -> None:
            assert data is not None, f"{name}: nothing drawn"
            path = out / name
            path.write_bytes(data)
            written.append(path)

        # November's report and today's summary of the demo team as it is seeded.
        november = report_svc.period_of(
            DateRange(MONTH, date(2026, 11, 1), date(2026, 11, 30)), SHANGHAI
        )
        async with app.sessions() as s:
            report = await report_svc.build(s, manager, november, now, rules)
            week = svc.previous(svc.WEEK, now.astimezone(SHANGHAI).date(), SHANGHAI)
            last_week = await svc.build(s, manager, week, now, rules)
        save("report-month.png", report_view.chart(report, zh))
        save("summary-week-en.png", summary_view.chart(last_week, en))

        await _thirty_reps(app, manager, now)
        async with app.sessions() as s:
            team = await svc.build(s, manager, week, now, rules)
        assert len(team.reps) == 30, len(team.reps)
        save("summary-30-reps.png", summary_view.chart(team, zh))
        return written
    finally:
        await app.close()


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'charts.db'}"
        upgrade(url)  # before the event loop: migrations run their own
        for path in asyncio.run(draw(out, url)):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
