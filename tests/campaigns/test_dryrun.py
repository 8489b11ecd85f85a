"""Dry run: people per channel and language, SMS segments and cost per language, duration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import service
from campaigns.dryrun import Rates, dry_run
from storage.models.deliveries import Delivery
from tests.campaigns.people import add_person, add_staff, draft

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


async def test_segments_and_cost_per_language(sessions: async_sessionmaker[AsyncSession]) -> None:
    texts = {"ka": "ა" * 71, "en": "a" * 160, "az": "Sabah saat 18:00-da ictimai müzakirə."}
    async with sessions() as session, session.begin():
        for lang in ("ka", "ka", "en", "az"):
            await add_person(session, language=lang, telegram=False, sms=True)
        for _ in range(60):
            await add_person(session, language="ka")
        author = await add_staff(session, "a")
        campaign = await service.create(session, draft(texts=texts), author, NOW)
        result = await dry_run(session, campaign, Rates(telegram_per_second=30, sms_per_second=2,
                                                        sms_price_per_segment=Decimal("0.05")))
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
    by_lang = {e.language: e for e in result.languages}
    # 71 Georgian letters: UCS-2, two parts of 67; 160 Latin letters: one GSM-7 segment; ə forces UCS-2.
    assert (by_lang["ka"].sms, by_lang["ka"].sms_segments_per_person, by_lang["ka"].sms_segments) == (2, 2, 4)
    assert (by_lang["en"].sms_segments_per_person, by_lang["az"].sms_segments_per_person) == (1, 1)
    assert by_lang["ka"].telegram == 60
    assert by_lang["ka"].sms_cost == Decimal("0.20")
    assert result.sms_cost == Decimal("0.30")
    assert (result.telegram_messages, result.sms_messages) == (60, 4)
    # 60 Telegram messages at 30/s take 2 s, 4 SMS at 2/s take 2 s: side by side, 2 s.
    assert result.step_duration == timedelta(seconds=2)


async def test_links_and_survey_add_to_the_sms_and_missing_text_is_flagged(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, language="en", telegram=False, sms=True)
        await add_person(session, language="ru", telegram=False, sms=True)
        author = await add_staff(session, "a")
        campaign = await service.create(session, draft(texts={"en": "a" * 150}, survey_id=3), author, NOW)
        result = await dry_run(session, campaign, Rates())
    by_lang = {e.language: e for e in result.languages}
    assert by_lang["en"].sms_segments_per_person == 2  # 150 letters + "1. Take the survey" > 160
    assert (by_lang["ru"].has_text, by_lang["ru"].sms_segments) == (False, 0)
    assert result.step_duration == timedelta(seconds=2)  # 2 SMS at the default 1/s
