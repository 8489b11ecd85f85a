"""Shared fixtures: a database of its own per test on SQLite and on PostgreSQL, cloned from one migrated,
seeded template per backend and session (`tests/databases.py`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contacts.privacy import PrivacyPolicy
from contacts.vault import DataVault
from storage.db import create_engine, session_factory
from tests.databases import PG_ADMIN_DSN, TEMPLATES, TEST_PREFIX, Templates, create_empty, pg_url

__all__ = ["PG_ADMIN_DSN", "create_pg_database", "database_for", "drop_pg_database", "migrated_pg_database"]


async def require_pg() -> None:
    """Skip without PostgreSQL, but fail in CI, where .ci/run starts it."""
    if not await TEMPLATES.pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_DSN}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_DSN}")


async def create_pg_database() -> str:
    """A new empty PostgreSQL database; returns its SQLAlchemy URL. CI fails (not skips) without PostgreSQL."""
    await require_pg()
    name = f"{TEST_PREFIX}{uuid.uuid4().hex[:12]}"
    await create_empty(name)
    return pg_url(name)


async def migrated_pg_database() -> str:
    """A new PostgreSQL database, migrated to every head and seeded (a clone of the session's template)."""
    await require_pg()
    return await TEMPLATES.pg_clone()


async def drop_pg_database(url: str) -> None:
    """Done with the database at `url`: a clone is reset for another test, anything else dropped."""
    await TEMPLATES.discard(url)


@pytest.fixture(scope="session", autouse=True)
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """The session's templates, made on first use; clones not taken yet are dropped at the end."""
    TEMPLATES.sqlite.place_in(tmp_path_factory.mktemp("templates"))
    yield TEMPLATES
    TEMPLATES.close()


@pytest.fixture(scope="session", autouse=True)
def _cli_command_built_once() -> Iterator[None]:
    """typer's `CliRunner.invoke` rebuilds the click command of a Typer app from every command's signature
    on each call, about 0.12 s for `bot.cli.app` (12 of the 17 s of the CLI permission matrix's 105 calls):
    build it once per process and app. The app's commands are all registered at import, so it never goes
    stale, and click makes a new context for every call."""
    built: dict[int, tuple[typer.Typer, Any]] = {}

    def command_of(app: typer.Typer) -> Any:
        if id(app) not in built:  # the app is kept in the value, so its id is not reused
            built[id(app)] = (app, typer.main.get_command(app))
        return built[id(app)][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", command_of)
        yield


@asynccontextmanager
async def database_for(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The database of kind `request.param` for one test: empty, or already migrated and seeded (a clone
    of the template) when the test also asks for `migrated_url`, which would migrate this very database."""
    migrated = "migrated_url" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "civicbot.sqlite3"
        url = await TEMPLATES.sqlite_clone(path) if migrated else f"sqlite+aiosqlite:///{path}"
        try:
            yield url
        finally:
            TEMPLATES.prepared.discard(url)
        return
    url = await migrated_pg_database() if migrated else await create_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database of each kind, new for every test (see `database_for`)."""
    async with database_for(request, tmp_path) as url:
        yield url


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """`database_url` at every migration head with the pilot municipalities (already so when cloned)."""
    await TEMPLATES.prepare(database_url)
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
