"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contacts.privacy import PrivacyPolicy
from contacts.vault import DataVault
from storage.db import create_engine, session_factory, unit_of_work
from storage.migrate import upgrade
from storage.seed import seed_municipalities

PG_ADMIN_DSN = os.environ.get("CIVICBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def _pg_available() -> bool:
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def create_pg_database() -> str:
    """A new empty PostgreSQL database; returns its SQLAlchemy URL. CI fails (not skips) without PostgreSQL."""
    if not await _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_DSN}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_DSN}")
    name = f"civicbot_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each kind, new for every test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'civicbot.sqlite3'}"
        return
    url = await create_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(url)


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    await upgrade(database_url)
    engine = create_engine(database_url)
    async with unit_of_work(session_factory(engine)) as session:
        await seed_municipalities(session)
    await engine.dispose()
    return database_url


@pytest.fixture
async def sessions(migrated_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def vault(tmp_path: Path) -> DataVault:
    return DataVault.from_key_or_file(None, tmp_path / "state")


@pytest.fixture
def policy() -> PrivacyPolicy:
    return PrivacyPolicy("2026-11", "dpo@example.ge")


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real tokens from the environment."""
    for name in ("TELEGRAM_BOT_TOKEN", "TWILIO_AUTH_TOKEN", "TELEGRAM_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
