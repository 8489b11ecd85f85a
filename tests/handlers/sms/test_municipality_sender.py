"""A municipality's own SMS sender (`civicbot municipality set CODE sms-sender ...`) is the one its people
get messages from; everyone else's come from the service's number."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

import bot.app
from storage.models import Municipality
from tests.handlers.sms.harness import SENDER, SmsHarness, sms_harness
from tests.handlers.sms.test_conversation import PHONE, sign_up
from tests.handlers.sms.test_numbers import announce_hearing

MARNEULI_SENDER = "+995322000099"


@pytest.fixture
async def sms(
    migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SmsHarness]:
    monkeypatch.setattr(bot.app, "BACKGROUND_COMPONENTS", [])
    async with sms_harness(migrated_url, tmp_path / "state", senders=[SENDER, MARNEULI_SENDER]) as harness:
        yield harness


@pytest.mark.parametrize("own", [None, MARNEULI_SENDER], ids=["service-sender", "municipality-sender"])
async def test_a_notice_comes_from_the_municipalitys_sender(sms: SmsHarness, own: str | None) -> None:
    await sign_up(sms)  # a Marneuli resident
    async with sms.sessions() as session, session.begin():
        await session.execute(
            update(Municipality).where(Municipality.code == "marneuli").values(sms_sender=own)
        )

    await announce_hearing(sms)

    notice = sms.fake.sent_to(PHONE)[-1]
    assert "Büdcə müzakirəsi" in notice.body
    assert notice.from_ == (own or SENDER)
