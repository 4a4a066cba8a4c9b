"""Drafts dropped or made unusable without a press still give the person their words back.

Three paths delete or freeze a draft without an explicit Discard: a draft whose flow changed
shape in an update (it cannot be resumed), the oldest draft dropped when a person keeps more than
`MAX_PARKED`, and expiry. Each answers with what the draft held, so nothing typed is lost unseen.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.app import App
from crm.models import ConversationState, ParkedDraft
from crm.services import drafts
from tests.conftest import Transcript


async def _parked(app: App) -> list[ParkedDraft]:
    async with app.sessions() as s:
        return list(await s.scalars(select(ParkedDraft).order_by(ParkedDraft.id)))


async def _age_the_draft_shape(app: App) -> None:
    """As if an update changed the visit draft's shape: the stored version no longer fits."""
    async with app.sessions() as s, s.begin():
        for row in await s.scalars(select(ConversationState)):
            data = dict(row.data or {})
            if data.get("d") is not None:
                data["d"] = {**data["d"], "v": 999}
                row.data = data


async def test_a_draft_from_an_older_shape_quotes_its_words_and_can_only_be_discarded(
    app: App, chat: Transcript
) -> None:
    await chat("/as rep2", "visited Acme Logistics, met Tom, quote accepted")
    await _age_the_draft_shape(app)
    out = await chat("/today")
    assert "cannot be resumed after an update" in out
    assert "quote accepted" in out and "Tom" in out
    parked = await _parked(app)
    assert [p.flow for p in parked] == ["-"]
    # /today lists it again with the words and only a Discard button.
    out = await chat("/today")
    assert "cannot be resumed" in out and "quote accepted" in out
    out = await chat("[Discard]")
    assert "Discarded: Visit to Acme Logistics" in out
    assert await _parked(app) == []


async def test_a_parked_draft_from_an_older_shape_shows_its_words_on_resume_zh(
    app: App, chat: Transcript
) -> None:
    await chat("/as rep1", "拜访了华能电厂，见了王总，报价通过了")
    out = await chat("/today")
    assert "已保存为草稿" in out
    async with app.sessions() as s, s.begin():
        await s.execute(update(ParkedDraft).values(data={"d": {"v": 999, "outcome": "报价通过了"}}))
    out = await chat("[继续]")
    assert "报价通过了" in out
    assert [p.flow for p in await _parked(app)] == ["-"]


async def test_the_oldest_draft_dropped_for_room_is_quoted_back(
    app: App, chat: Transcript, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drafts, "MAX_PARKED", 2)
    await chat("/as rep2", "visited Acme Logistics, met Tom, quote accepted")
    await chat("/followup", "Acme", "[1]")
    await chat("/today")  # parks the follow-up: two kept
    assert len(await _parked(app)) == 2
    await chat("/followup", "Acme", "[1]")
    out = await chat("/today")
    assert "Discarded to make room: Visit to Acme Logistics." in out
    assert "quote accepted" in out
    assert len(await _parked(app)) == 2


async def test_an_expired_draft_quotes_its_words(app: App, chat: Transcript) -> None:
    await chat("/as rep2", "visited Acme Logistics, met Tom, quote accepted")
    await chat("/today")
    out = await chat("@clock +8d")
    assert "was discarded after 7 days" in out
    assert "quote accepted" in out
    assert await _parked(app) == []


def test_words_of_keeps_typed_text_and_leaves_codes_and_ids_out() -> None:
    data = {
        "d": {
            "v": 3,
            "customer_id": 17,
            "customer_name": "华能电厂",
            "kind": "cold_visit",
            "klass": "A",
            "when": "2026-12-06T10:00:00",
            "outcome": "报价通过了",
            "contacts": [{"name": "王总", "phone_id": 5}],
            "returning": False,
        },
        "s": [{"flow": "visit"}],
    }
    assert drafts.words_of(data) == "华能电厂 · 报价通过了 · 王总"
    assert drafts.words_of({}) == ""
    long = drafts.words_of({"d": {"note": "字" * 2000}}, limit=50)
    assert len(long) == 50 and long.endswith("…")
