"""Database plumbing: metadata with a naming convention, UTC timestamps, engine factory."""

from __future__ import annotations

import errno
import socket
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Always timezone-aware UTC in Python, whatever the backend stores (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        # How long a statement waits for another connection's lock before giving up.
        kwargs.setdefault("connect_args", {"timeout": 30})
    if url.startswith("sqlite+aiosqlite"):
        from crm import sqlite_async

        # aiosqlite's dialect over our module: one thread trip per statement instead of four.
        kwargs.setdefault("module", sqlite_async.dbapi())
    # A failed statement's message would otherwise carry its parameters (ticket bodies, names,
    # visit outcomes) into the error log.
    kwargs.setdefault("hide_parameters", True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the bot
            # loses nothing and the database stays consistent; only a power cut may undo the
            # last commits. FULL cost an fsync per update.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


# The ORM keeps a loaded object only while something refers to it: a check that loads a row and
# lets it go makes the next `get` of that row read it again. A session that serves one update
# keeps everything it loaded until it closes instead (`hold_loaded`).
_HELD = "db.held"


@event.listens_for(Session, "loaded_as_persistent")
def _hold(session: Session, instance: object) -> None:
    held = session.info.get(_HELD)
    if held is not None:
        held.append(instance)


def hold_loaded(session: AsyncSession) -> None:
    """Objects `session` loads from now on stay in its identity map until it closes: for short
    sessions only (one update's), whose objects are few."""
    session.info[_HELD] = []


def utcnow() -> datetime:
    return datetime.now(UTC)


# SQLite's words for "another connection holds the lock" and "the file is not there (now)".
SQLITE_UNAVAILABLE = ("database is locked", "database is busy", "unable to open", "disk i/o")


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached or used right now - a connection
    lost or refused, the pool exhausted, SQLite's lock held too long - rather than a bug or bad
    data: the same work may succeed in a moment, and nothing of it was committed."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, sa_exc.TimeoutError | sa_exc.DisconnectionError | sa_exc.InterfaceError):
            return True
        if isinstance(e, sa_exc.OperationalError) and (
            "sqlite" not in type(e.orig).__module__
            or any(words in str(e.orig).lower() for words in SQLITE_UNAVAILABLE)
        ):
            return True
        # A refused or reset connection, a connect that timed out (not any OSError: a missing
        # file in a handler is a bug).
        if isinstance(e, ConnectionError | TimeoutError | socket.gaierror) or (
            isinstance(e, OSError) and e.errno in NETWORK_ERRNOS
        ):
            return True
        # asyncpg's own errors for a lost or refused connection and a server shutting down.
        name = type(e).__name__
        if type(e).__module__.startswith("asyncpg") and name in ASYNCPG_UNAVAILABLE:
            return True
        e = e.__cause__ or e.__context__
    return False


NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ETIMEDOUT,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EPIPE,
}
ASYNCPG_UNAVAILABLE = {
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "PostgresConnectionError",
    "CannotConnectNowError",
    "AdminShutdownError",
    "CrashShutdownError",
    "TooManyConnectionsError",
    "InterfaceError",
}
