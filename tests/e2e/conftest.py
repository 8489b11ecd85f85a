"""End-to-end fixtures: the fake Bot API in this process, the real service in another.

End to end runs on PostgreSQL only, the production database: what SQLite changes (locking, concurrency,
crash safety) is tested on both by the storage and channel tests and `tests/channels/test_crash_safety.py`,
and the embedded SQLite service by `test_serving.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import database_for
from tests.e2e.service import RunningService, civicbot_serve
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456789:AAE_test-token_abcdefghijklmnopqrstuv"


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A PostgreSQL database of its own for every end-to-end test."""
    async with database_for(request, tmp_path) as url:
        yield url


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as fake:
        yield fake


@pytest.fixture
async def service(telegram: FakeTelegram, migrated_url: str, tmp_path: Path) -> AsyncIterator[RunningService]:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": telegram.base_url, "DATABASE_URL": migrated_url}
    async with civicbot_serve(env, tmp_path) as running:
        yield running
