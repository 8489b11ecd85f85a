"""Engine and session factory. Nothing connects at import time: the application assembles these."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


# A failed statement's parameters are citizens' answers, names and questions: never in an error or a log.
_PRIVATE = {"hide_parameters": True}


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """SQLite gets WAL, foreign keys, a busy timeout and real transactions; PostgreSQL a bounded pool."""
    if is_sqlite(url):
        return _configure_sqlite(
            create_async_engine(url, echo=echo, connect_args={"timeout": 30}, **_PRIVATE)
        )
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, **_PRIVATE
    )


def create_engine_unpooled(url: str) -> AsyncEngine:
    """For short-lived CLI commands and migrations: no connections kept open."""
    engine = create_async_engine(url, poolclass=NullPool, **_PRIVATE)
    return _configure_sqlite(engine) if is_sqlite(url) else engine


def _configure_sqlite(engine: AsyncEngine) -> AsyncEngine:
    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling starts transactions late and lets a SAVEPOINT opened before
        # any write commit on release. SQLAlchemy's documented recipe: the driver does nothing and we
        # BEGIN ourselves (IMMEDIATE: writers queue on busy_timeout instead of failing on lock upgrade).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block ends normally, rolled back on any error."""
    async with sessions() as session, session.begin():
        yield session
