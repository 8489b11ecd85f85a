"""Fixtures for the SMS handlers: the in-process service with the fake Twilio (see `harness`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import bot.app
from tests.handlers.sms.harness import SmsHarness, sms_harness


@pytest.fixture
async def sms(
    migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SmsHarness]:
    """Background components off: each test delivers the outbox itself, at the moment it chooses."""
    monkeypatch.setattr(bot.app, "BACKGROUND_COMPONENTS", [])
    async with sms_harness(migrated_url, tmp_path / "state") as harness:
        yield harness
