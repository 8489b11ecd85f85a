"""Telegram down at start-up: the service starts anyway, serves SMS and health, and connects later."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import TOKEN
from tests.e2e.people import Person
from tests.e2e.service import RunningService, civicbot_serve, free_port, prepare_database
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow


async def _logged(service: RunningService, line: str, timeout: float = 30) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while line not in service.log():
        assert loop.time() < deadline, f"not logged: {line!r}"
        await asyncio.sleep(0.1)


async def test_the_service_starts_without_telegram_and_connects_when_it_returns(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    await prepare_database(url)
    api_port = free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": f"http://127.0.0.1:{api_port}",
        "DATABASE_URL": url,
    }
    async with civicbot_serve(env, tmp_path) as service:
        async with httpx.AsyncClient(base_url=service.base_url) as client:
            assert (await client.get("/healthz")).json()["status"] == "ok"
        await _logged(service, "Telegram not reachable")
        telegram = FakeTelegram(TOKEN)
        await telegram.start(port=api_port)
        try:
            person = Person(telegram, 7401, language_code="hy")
            telegram.send_text(person.id, "/start")
            await telegram.wait_for_messages(person.id, 1, timeout=30)
        finally:
            await telegram.stop()
    assert "Telegram bot @civicbot_test_bot connected" in service.log()


async def test_a_refused_token_turns_only_telegram_off(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    await prepare_database(url)
    async with FakeTelegram(TOKEN) as telegram:
        wrong = "987654321:AAE_not-the-token_abcdefghijklmnopqrs"
        env = {"TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_API_BASE": telegram.base_url, "DATABASE_URL": url}
        async with (
            civicbot_serve(env, tmp_path) as service,
            httpx.AsyncClient(base_url=service.base_url) as client,
        ):
            assert (await client.get("/healthz")).json()["status"] == "ok"
            await _logged(service, "Telegram refused TELEGRAM_BOT_TOKEN (401)")
            assert "Traceback" not in service.log()
