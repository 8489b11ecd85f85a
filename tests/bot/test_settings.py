"""Settings come from the environment; secrets never appear in reprs or logs."""

from __future__ import annotations

import logging

import pytest

from bot.logging import RedactSecrets
from bot.settings import Settings


def test_environment_names_from_design(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abcdefghijklmnopqrstuvwxyz")
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:8081")
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "1, 2;3")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "zz-twilio-secret-zz")
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", "MG1")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://bot.example.ge")
    monkeypatch.setenv("HTTP_PORT", "9000")
    settings = Settings()
    assert settings.db.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.telegram.enabled
    assert settings.telegram.admin_telegram_ids == [1, 2, 3]
    assert settings.twilio.enabled
    assert settings.http.public_base_url == "https://bot.example.ge"
    assert settings.http.http_port == 9000
    assert "abcdefghijklmnopqrstuvwxyz" not in repr(settings)
    assert "zz-twilio-secret-zz" not in repr(settings.twilio)


def test_telegram_is_off_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    assert not Settings().telegram.enabled


def test_log_records_are_masked() -> None:
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "url %s and %s",
        ("https://api.telegram.org/bot123456:AAE_abcdefghijklmnopqrstuvwxyz/getMe", "twilio-secret-value"),
        None,
    )
    RedactSecrets(["twilio-secret-value"]).filter(record)
    message = record.getMessage()
    assert "AAE_abcdefghijklmnopqrstuvwxyz" not in message
    assert "twilio-secret-value" not in message
