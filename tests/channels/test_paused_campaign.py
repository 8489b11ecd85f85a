"""Pausing a campaign holds the messages it already queued; resuming releases them."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels import outbox
from channels.claims import claim
from storage.base import utcnow
from storage.models.campaigns import Campaign, CampaignStatus, Role, StaffMember
from storage.models.contacts import Channel
from tests.channels.recipients import add_people, items_for


async def test_paused_campaign_rows_are_not_claimed_until_resumed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    people = await add_people(sessions, 3)
    async with sessions() as session, session.begin():
        author = StaffMember(name="coordinator", role=Role.COORDINATOR, active=True)
        session.add(author)
        await session.flush()
        campaign = Campaign(
            name="hearing notice", audience={}, status=CampaignStatus.PAUSED, created_by_id=author.id
        )
        session.add(campaign)
        await session.flush()
        campaign_id = campaign.id
        await outbox.enqueue(session, items_for(people, campaign_id=campaign_id))
    later = utcnow() + timedelta(seconds=1)

    async def claim_now() -> int:
        async with sessions() as session, session.begin():
            rows = await claim(
                session,
                channel=Channel.TELEGRAM,
                limit=10,
                now=later,
                lease=timedelta(seconds=30),
                deadline=time.monotonic() + 25,
            )
            return len(rows)

    assert await claim_now() == 0
    async with sessions() as session, session.begin():
        await session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(status=CampaignStatus.SENDING)
        )
    assert await claim_now() == 3
