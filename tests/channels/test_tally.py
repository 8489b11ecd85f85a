"""Where a campaign's or hearing's messages stand, by channel and language."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels import outbox
from channels.tally import Standing, tally
from storage.db import unit_of_work
from storage.models.campaigns import Campaign, CampaignStatus
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.campaigns.people import add_staff
from tests.channels.recipients import add_people, items_for

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # midnight in Tbilisi


async def test_each_message_is_counted_once_where_it_stands(sessions: Sessions) -> None:
    people = await add_people(sessions, 6, channel=Channel.SMS, language="az")
    morning = NOW + timedelta(hours=5)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people[:2], channel=Channel.SMS, language="az"), now=NOW)
        held = [
            replace(item, not_before=morning)
            for item in items_for(people[2:5], channel=Channel.SMS, language="az", step_id=2)
        ]
        await outbox.enqueue(session, held, now=NOW)
        await outbox.enqueue(session, items_for(people[5:], language="ka", step_id=3), now=NOW)
        await session.execute(
            update(Delivery)
            .where(Delivery.step_id == 1, Delivery.contact_id == people[0].contact_id)
            .values(status=DeliveryStatus.DELIVERED)
        )
        await session.execute(
            update(Delivery).where(Delivery.step_id == 3).values(status=DeliveryStatus.FAILED)
        )
        counted = await tally(session, NOW, campaign_id=1)
        other = await tally(session, NOW, campaign_id=2)

    assert counted.counts[("sms", "az")] == {Standing.SENT: 1, Standing.QUEUED: 1, Standing.HELD_QUIET: 3}
    assert counted.counts[("telegram", "ka")] == {Standing.FAILED: 1}
    assert counted.first_release == morning
    assert counted.total[Standing.HELD_QUIET] == 3
    assert other.lines() == ["no messages queued yet"]


async def test_a_paused_campaigns_messages_are_held_by_the_pause(sessions: Sessions) -> None:
    async with unit_of_work(sessions) as session:
        by = await add_staff(session, "ana")
        campaign = Campaign(
            name="Water",
            audience={},
            base_language="ka",
            status=CampaignStatus.PAUSED,
            created_by_id=by.id,
            created_at=NOW,
        )
        session.add(campaign)
        await session.flush()
    people = await add_people(sessions, 1)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people, campaign_id=campaign.id), now=NOW)
        counted = await tally(session, NOW, campaign_id=campaign.id)

    assert counted.total[Standing.HELD_PAUSE] == 1
    assert "held by pause" in counted.lines()[0]
