"""How `civicbot serve` runs: webhook mode with its secret, no token at all, clean stop, masked secrets."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from storage.db import create_engine
from tests.e2e import forked
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
        # /healthz answers while the service still connects to Telegram: wait for the webhook it sets
        await telegram.wait_for(lambda: bool(telegram.feed.webhook_info()["url"]), timeout=30)
        registered = telegram.feed.webhook_info()["url"]
        path = registered.removeprefix(service.base_url)
        assert path.startswith("/telegram/webhook/") and len(path) > len("/telegram/webhook/") + 20
        async with httpx.AsyncClient(base_url=service.base_url) as client:
            health = (await client.get("/healthz")).json()
            assert health["telegram"] == "webhook"
            right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            assert (
                await client.post("/telegram/webhook", json={"update_id": 1}, headers=right)
            ).status_code == 404
            guessed = await client.post("/telegram/webhook/guess", json={"update_id": 1}, headers=right)
            assert guessed.status_code == 404
            wrong = await client.post(
                path, json={"update_id": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            assert wrong.status_code == 401
            missing = await client.post(path, json={"update_id": 1})
            assert missing.status_code == 401
            broken = await client.post(
                path, content=b"{not json", headers={**right, "Content-Type": "application/json"}
            )
            assert broken.status_code == 200
            odd = await client.post(path, json={"update_id": "x", "message": 5}, headers=right)
            assert odd.status_code == 200
        telegram.register_user(8001, "Giorgi", language_code="ka")
        telegram.send_text(8001, "/start")
        messages = await telegram.wait_for_messages(8001, 1, timeout=15)
        assert messages[0].reply_markup is not None
        assert telegram.stats()["webhook_failures"] == 0
        assert "malformed update dropped" in service.log()
        assert SECRET not in service.log()
        assert path.rsplit("/", 1)[1] not in service.log()
        assert TOKEN.split(":")[1] not in service.log()


async def test_webhook_without_a_configured_secret_still_requires_one(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    """The forged-admin attack: with no TELEGRAM_WEBHOOK_SECRET, a POST without the secret changes nothing."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    await prepare_database(url)
    port = free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": telegram.base_url,
        "DATABASE_URL": url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "ADMIN_TELEGRAM_IDS": "9001",
    }
    forged = {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/broadcast",
            "chat": {"id": 9001, "type": "private", "first_name": "Admin"},
            "from": {"id": 9001, "is_bot": False, "first_name": "Admin"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
        },
    }
    async with civicbot_serve(env, tmp_path, port=port) as service:
        await telegram.wait_for(lambda: bool(telegram.feed.webhook_info()["url"]), timeout=30)
        path = telegram.feed.webhook_info()["url"].removeprefix(service.base_url)
        async with httpx.AsyncClient(base_url=service.base_url) as client:
            for target in ("/telegram/webhook", path):
                answer = await client.post(target, json=forged)
                assert answer.status_code in (401, 404)
        telegram.register_user(8002, "Nino", language_code="ka")
        telegram.send_text(8002, "/start")  # the real Telegram, with the secret it was given
        await telegram.wait_for_messages(8002, 1, timeout=15)
    assert telegram.messages(9001) == []
    engine = create_engine(url)
    async with engine.connect() as conn:
        handled = (await conn.execute(text("SELECT external_id FROM inbound_events"))).scalars().all()
    await engine.dispose()
    assert "77" not in handled


def test_a_weak_webhook_secret_is_refused_at_start(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.ge/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": "short",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
    }
    done = forked.run(["serve"], env, tmp_path, timeout=60)  # `python -m bot.cli serve`, imports paid
    assert done.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET must be 16 to 256 characters" in done.stderr
    assert "Traceback" not in done.stderr


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
