"""What the scheduler finds due, missed and upcoming after start-up or downtime."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import service
from campaigns.firing import fire_step
from campaigns.schedule import ONCE, TBILISI, occurrence_key
from campaigns.timetable import record_missed, timetable
from storage.models import AuditEntry
from storage.models.campaigns import CampaignStatus
from tests.campaigns.people import add_person, draft, scheduled

MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=TBILISI)
GRACE = timedelta(hours=6)


async def test_one_off_steps_due_missed_and_upcoming(sessions: async_sessionmaker[AsyncSession]) -> None:
    steps = tuple(
        {"texts": {"ka": "ა"}, "schedule": {"at": (MONDAY + delta).isoformat()}}
        for delta in (timedelta(hours=1), timedelta(hours=14), timedelta(days=2))
    )
    async with sessions() as session, session.begin():
        await add_person(session)
        campaign_id = await scheduled(session, draft(extra_steps=steps), MONDAY)
        ids = [s.id for s in (await service.get(session, campaign_id)).steps]
    later = MONDAY + timedelta(hours=18)  # back after downtime: 18 h, 17 h and 4 h late, one still ahead
    async with sessions() as session:
        plan = await timetable(session, later, GRACE)
    assert [o.step_id for o in plan.due] == [ids[2]]
    assert [o.step_id for o in plan.missed] == [ids[0], ids[1]]  # more than the 6 h grace late
    assert [(o.step_id, o.occurrence) for o in plan.upcoming] == [(ids[3], ONCE)]


async def test_recurring_collapses_missed_occurrences_into_the_latest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session)
        campaign_id = await scheduled(session, draft(schedule={"cron": "0 10 * * *"}), MONDAY)
        step_id = (await service.get(session, campaign_id)).steps[0].id
        await fire_step(session, step_id, occurrence_key(MONDAY.replace(hour=10)), MONDAY.replace(hour=10))
    back = MONDAY.replace(hour=12) + timedelta(days=3)  # Thursday noon: Tue, Wed, Thu all missed
    async with sessions() as session:
        plan = await timetable(session, back, GRACE)
    assert [(o.occurrence, o.at) for o in plan.due] == [
        (occurrence_key(back.replace(hour=10)), back.replace(hour=10))
    ]
    assert plan.missed == ()
    assert [o.at for o in plan.upcoming] == [back.replace(hour=10) + timedelta(days=1)]


async def test_missed_is_recorded_once_and_finishes_the_campaign(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        campaign_id = await scheduled(
            session, draft(schedule={"at": (MONDAY + timedelta(hours=1)).isoformat()}), MONDAY
        )
    later = MONDAY + timedelta(days=1)
    async with sessions() as session, session.begin():
        [missed] = (await timetable(session, later, GRACE)).missed
        assert await record_missed(session, missed, later) is True
        assert await record_missed(session, missed, later) is False
    async with sessions() as session:
        assert (await timetable(session, later, GRACE)).missed == ()
        assert (await service.get(session, campaign_id)).status == CampaignStatus.DONE
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions.count("campaign.step_missed") == 1


async def test_paused_campaigns_are_not_in_the_timetable(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        campaign_id = await scheduled(session, draft(), MONDAY)
        (await service.get(session, campaign_id)).status = CampaignStatus.PAUSED
    async with sessions() as session:
        plan = await timetable(session, MONDAY, GRACE)
    assert (plan.due, plan.missed, plan.upcoming) == ((), (), ())
