"""End-to-end fixtures: the fake Bot API in this process, the real service in another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.service import RunningService, civicbot_serve, prepare_database
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456789:AAE_test-token_abcdefghijklmnopqrstuv"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as fake:
        yield fake


@pytest.fixture
async def service(telegram: FakeTelegram, database_url: str, tmp_path: Path) -> AsyncIterator[RunningService]:
    await prepare_database(database_url)
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": telegram.base_url, "DATABASE_URL": database_url}
    async with civicbot_serve(env, tmp_path) as running:
        yield running
