"""Firing a step: idempotent, one message per person, quiet hours, survey invitations, done at the end."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import service
from campaigns.firing import fire_step
from campaigns.schedule import ONCE, TBILISI, occurrence_key
from channels.payload import load_outgoing
from channels.telegram.render import render_telegram
from storage.models.campaigns import Campaign, CampaignStatus, StepFiring
from storage.models.deliveries import Delivery
from tests.campaigns.people import add_person, add_staff, draft, scheduled

DAY = datetime(2026, 11, 25, 11, 0, tzinfo=TBILISI)  # a Wednesday, 11:00 in Tbilisi


async def _rows(session: AsyncSession) -> list[Delivery]:
    return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())


async def test_firing_twice_enqueues_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        people = [await add_person(session, language=lang) for lang in ("ka", "ka", "az")]
        await add_person(session, municipality="batumi")
        campaign_id = await scheduled(session, draft(texts={"ka": "ხვალ", "az": "Sabah"}), DAY)
        step_id = (await service.get(session, campaign_id)).steps[0].id
    async with sessions() as session, session.begin():
        assert await fire_step(session, step_id, ONCE, DAY) == 3
    async with sessions() as session, session.begin():
        assert await fire_step(session, step_id, ONCE, DAY + timedelta(minutes=1)) == 0
        rows = await _rows(session)
        firings = (await session.scalars(select(StepFiring))).all()
    assert sorted(r.contact_id for r in rows) == sorted(p.id for p in people)
    assert {r.dedupe_key for r in rows} == {f"c{campaign_id}:s{step_id}:p{p.id}:telegram" for p in people}
    assert [(f.occurrence, f.enqueued) for f in firings] == [(ONCE, 3)]


async def test_recurring_occurrences_are_distinct(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        person = await add_person(session)
        campaign_id = await scheduled(session, draft(schedule={"cron": "0 10 * * 1"}), DAY)
        step_id = (await service.get(session, campaign_id)).steps[0].id
    first, second = DAY.replace(day=30, hour=10), DAY.replace(day=30, hour=10) + timedelta(days=7)
    for moment in (first, second, first):
        async with sessions() as session, session.begin():
            await fire_step(session, step_id, occurrence_key(moment), moment)
    async with sessions() as session:
        keys = [r.dedupe_key for r in await _rows(session)]
        campaign = await session.get_one(Campaign, campaign_id)
    base = f"c{campaign_id}:s{step_id}:p{person.id}:telegram"
    assert keys == [f"{base}:r20261130T0600Z", f"{base}:r20261207T0600Z"]
    assert campaign.status == CampaignStatus.SENDING  # open-ended: never done by itself


@pytest.mark.parametrize(
    ("label", "fired_at", "urgent", "expected"),
    [
        ("daytime: now", DAY, False, DAY),
        ("21:59: now", DAY.replace(hour=21, minute=59), False, DAY.replace(hour=21, minute=59)),
        ("22:00: next morning", DAY.replace(hour=22), False, DAY.replace(day=26, hour=9)),
        ("08:59: at nine", DAY.replace(hour=8, minute=59), False, DAY.replace(hour=9)),
        ("urgent at midnight: now", DAY.replace(hour=0), True, DAY.replace(hour=0)),
        ("month end, late", DAY.replace(day=30, hour=23), False, DAY.replace(month=12, day=1, hour=9)),
    ],
)
async def test_quiet_hours_set_not_before(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    fired_at: datetime,
    urgent: bool,
    expected: datetime,
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session)
        campaign_id = await scheduled(session, draft(urgent=urgent), fired_at)
        step_id = (await service.get(session, campaign_id)).steps[0].id
        await fire_step(session, step_id, ONCE, fired_at)
        [row] = await _rows(session)
    assert row.not_before == expected
    assert row.urgency == ("urgent" if urgent else "normal")


async def test_message_is_the_step_text_with_fallback_and_survey_button(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, language="hy")
        await add_person(session, language="ka")
        campaign_id = await scheduled(
            session, draft(texts={"ka": "გამოკითხვა <ბიუჯეტი>"}, fallback="ka", survey_id=7), DAY
        )
        step_id = (await service.get(session, campaign_id)).steps[0].id
        await fire_step(session, step_id, ONCE, DAY)
        rows = await _rows(session)
    for row in rows:
        rendered = render_telegram(load_outgoing(row.payload), row.language)
        assert rendered.text == "გამოკითხვა &lt;ბიუჯეტი&gt;"
        assert rendered.reply_markup is not None
        [[button]] = rendered.reply_markup.inline_keyboard
        assert button.callback_data == "sv:7:go"


async def test_people_without_a_readable_text_are_skipped_not_failed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        reader = await add_person(session, language="ka")
        campaign_id = await scheduled(session, draft(), DAY)
        await add_person(session, language="ru")  # signed up after approval, no ru text, no fallback
        step_id = (await service.get(session, campaign_id)).steps[0].id
        assert await fire_step(session, step_id, ONCE, DAY) == 1
        assert [r.contact_id for r in await _rows(session)] == [reader.id]


async def test_last_step_marks_the_campaign_done_and_first_marks_it_sending(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    later = {"texts": {"ka": "შეხსენება"}, "schedule": {"at": (DAY + timedelta(days=1)).isoformat()}}
    async with sessions() as session, session.begin():
        await add_person(session)
        campaign_id = await scheduled(session, draft(extra_steps=(later,)), DAY)
        first, second = (s.id for s in (await service.get(session, campaign_id)).steps)
        await fire_step(session, first, ONCE, DAY)
        assert (await service.get(session, campaign_id)).status == CampaignStatus.SENDING
        await fire_step(session, second, ONCE, DAY + timedelta(days=1))
        assert (await service.get(session, campaign_id)).status == CampaignStatus.DONE


@pytest.mark.parametrize("status", [CampaignStatus.PAUSED, CampaignStatus.CANCELLED, CampaignStatus.APPROVED])
async def test_campaigns_not_live_do_not_fire(
    sessions: async_sessionmaker[AsyncSession], status: CampaignStatus
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session)
        campaign_id = await scheduled(session, draft(), DAY)
        campaign = await service.get(session, campaign_id)
        campaign.status = status
        assert await fire_step(session, campaign.steps[0].id, ONCE, DAY) == 0
        assert await session.scalar(select(func.count()).select_from(StepFiring)) == 0


async def test_pause_then_resume_fires_the_step_later(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await add_person(session)
        campaign_id = await scheduled(session, draft(), DAY)
        boss = await add_staff(session, "boss")
        step_id = (await service.get(session, campaign_id)).steps[0].id
        await service.pause(session, campaign_id, boss, DAY)
        assert await fire_step(session, step_id, ONCE, DAY) == 0
        await service.resume(session, campaign_id, boss, DAY)
        assert await fire_step(session, step_id, ONCE, DAY) == 1


async def test_large_audience_goes_in_batches(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        for _ in range(25):
            await add_person(session, sms=True, telegram=False)
        campaign_id = await scheduled(session, draft(), DAY)
        step_id = (await service.get(session, campaign_id)).steps[0].id
        assert await fire_step(session, step_id, ONCE, DAY, batch=4) == 25
        assert {r.channel for r in await _rows(session)} == {"sms"}
