"""Dry run: people per channel and language, SMS segments and cost per language, duration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import service
from campaigns.definition import CampaignDraft
from campaigns.dryrun import Rates, dry_run, sms_text
from campaigns.firing import fire_step, message_for
from channels.payload import load_outgoing
from channels.sms.cost import message_cost
from channels.sms.render import render_sms
from channels.sms.segments import count_segments
from storage.models.campaigns import CampaignStatus
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
        result = await dry_run(
            session,
            campaign,
            Rates(telegram_per_second=30, sms_per_second=2, sms_price_per_segment=Decimal("0.05")),
        )
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


TEXTS = {
    "ka": "ბიუჯეტის საჯარო განხილვა ხვალ 18:00-ზე, მერიის სააქტო დარბაზში. გთხოვთ, დაგვიდასტუროთ მოსვლა.",
    "az": "Büdcənin ictimai müzakirəsi sabah saat 18:00-da meriyanın akt zalında olacaq. Gəlin!",
    "hy": "Բյուջեի հանրային քննարկումը վաղը ժամը 18:00-ին է, քաղաքապետարանի դահլիճում։",
    "ru": "Публичное обсуждение бюджета завтра в 18:00 в актовом зале мэрии. Приходите!",
    "en": "The public budget hearing is tomorrow at 18:00 in the City Hall assembly room. Come!",
}
SHAPES = {
    "plain": {},
    "survey-button": {"survey_id": 7},
    "links": {
        "links": [{"url": "https://marneuli.gov.ge/budget", "label": {"ka": "ბიუჯეტი", "en": "Budget"}}]
    },
    "attachment": {"media_url": "https://marneuli.gov.ge/budget.pdf"},
    "everything": {
        "survey_id": 7,
        "media_url": "https://marneuli.gov.ge/b.pdf",
        "links": [{"url": "https://marneuli.gov.ge/b", "label": "Budget"}],
    },
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("fallback", [False, True], ids=["own-language", "fallback-language"])
async def test_the_dry_run_prices_exactly_the_sms_that_is_sent(
    sessions: async_sessionmaker[AsyncSession], shape: str, fallback: bool
) -> None:
    """For every language, the text priced is the body the SMS sender renders from the queued row."""
    texts = {"ka": TEXTS["ka"], "az": TEXTS["az"]} if fallback else TEXTS
    step = {"texts": texts, "schedule": "now", "urgent": True, **SHAPES[shape]}
    data = {
        "name": "Hearing",
        "audience": {"municipalities": ["marneuli"]},
        "steps": [step],
        "base_language": "ka",
        **({"fallback_language": "az"} if fallback else {}),
    }
    async with sessions() as session, session.begin():
        for lang in TEXTS:
            await add_person(session, language=lang, telegram=False, sms=True)
        author = await add_staff(session, "a")
        campaign = await service.create(session, CampaignDraft.from_dict(data), author, NOW)
        campaign.status = CampaignStatus.SCHEDULED
        result = await dry_run(session, campaign, Rates())
        await fire_step(session, campaign.steps[0].id, now=NOW)
        rows = (await session.execute(select(Delivery.language, Delivery.payload))).all()

    assert sorted(lang for lang, _ in rows) == sorted(TEXTS)
    by_lang = {e.language: e for e in result.languages}
    for lang, payload in rows:
        sent = render_sms(load_outgoing(payload), lang)  # what `channels.sms.sender` sends
        assert sms_text(campaign, campaign.steps[0], lang) == sent, lang
        assert by_lang[lang].sms_segments_per_person == count_segments(sent).segments, lang
        assert message_cost(message_for(campaign, campaign.steps[0]), lang).native == count_segments(sent)
