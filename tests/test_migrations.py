"""The Alembic head matches the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import crm.models  # noqa: F401
from bot.app import App
from crm.db import Base


async def test_schema_at_head_matches_models(app: App) -> None:
    def diff(sync_conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": False})
        return compare_metadata(ctx, Base.metadata)

    async with app.db.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []
