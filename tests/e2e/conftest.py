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
CONVERSATION_PER_CHAT = 50.0
"""Messages a second to one chat, for the fake Bot API and the service alike, in the tests of what people
and staff see in a conversation. Telegram allows about one (the fake's and the service's default), so
the service's per-chat pacer spaced every reply a second apart and a sign-up of eight messages took 5 s
of waiting; none of these tests is about that limit. The limit and the pacing against it keep their
real values in the tests about them: `tests/channels/telegram/test_pacing.py`,
`tests/channels/test_telegram_delivery.py`, `tests/fakes/` and the benchmarks."""
CONVERSATION_PACE_ENV = {"TELEGRAM_PER_CHAT_PER_SECOND": str(CONVERSATION_PER_CHAT)}


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A PostgreSQL database of its own for every end-to-end test."""
    async with database_for(request, tmp_path) as url:
        yield url


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API at the conversation pace (`CONVERSATION_PER_CHAT`), as `service` is configured."""
    async with FakeTelegram(TOKEN, per_chat_limit=CONVERSATION_PER_CHAT) as fake:
        yield fake


@pytest.fixture
async def service(telegram: FakeTelegram, migrated_url: str, tmp_path: Path) -> AsyncIterator[RunningService]:
    """`civicbot serve` on `telegram`, pacing each chat at the fake's limit (`CONVERSATION_PER_CHAT`)."""
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": telegram.base_url, "DATABASE_URL": migrated_url}
    env |= CONVERSATION_PACE_ENV
    async with civicbot_serve(env, tmp_path) as running:
        yield running
