"""How `civicbot serve` runs: webhook mode with its secret, no token at all, clean stop, masked secrets."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import TOKEN
from tests.e2e.service import civicbot_serve, free_port, prepare_database
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow

SECRET = "s3cret_webhook-token"


async def test_webhook_mode_checks_the_secret_and_survives_malformed_updates(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    await prepare_database(url)
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/telegram/webhook"
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": telegram.base_url,
        "DATABASE_URL": url,
        "TELEGRAM_WEBHOOK_URL": webhook,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    async with civicbot_serve(env, tmp_path, port=port) as service:
        async with httpx.AsyncClient(base_url=service.base_url) as client:
            health = (await client.get("/healthz")).json()
            assert health["telegram"] == "webhook"
            wrong = await client.post(
                "/telegram/webhook",
                json={"update_id": 1},
                headers={"X-Telegram-Bot-Api-Secret-Token": "nope"},
            )
            assert wrong.status_code == 401
            broken = await client.post(
                "/telegram/webhook",
                content=b"{not json",
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
            )
            assert broken.status_code == 200
            odd = await client.post(
                "/telegram/webhook",
                json={"update_id": "x", "message": 5},
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert odd.status_code == 200
        telegram.register_user(8001, "Giorgi", language_code="ka")
        telegram.send_text(8001, "/start")
        messages = await telegram.wait_for_messages(8001, 1, timeout=15)
        assert messages[0].reply_markup is not None
        assert telegram.stats()["webhook_failures"] == 0
        assert "malformed update dropped" in service.log()
        assert SECRET not in service.log()
        assert TOKEN.split(":")[1] not in service.log()


async def test_serves_without_a_token_with_telegram_off(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    await prepare_database(url)
    async with (
        civicbot_serve({"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": ""}, tmp_path) as service,
        httpx.AsyncClient(base_url=service.base_url) as client,
    ):
        health = (await client.get("/healthz")).json()
        metrics = await client.get("/metrics")
    assert health == {"status": "ok", "database": "sqlite", "telegram": "off", "sms": "off"}
    assert metrics.status_code == 200
    assert "TELEGRAM_BOT_TOKEN is not set" in service.log()
