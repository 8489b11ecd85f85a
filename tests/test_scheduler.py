"""The campaign scheduler: one leader on PostgreSQL, catch-up from the database, no double sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.scheduler import (
    LEADER_LOCK_KEY,
    AdvisoryLock,
    CampaignScheduler,
    SchedulerNode,
    SchedulerSettings,
    SoleLeader,
    leadership_for,
)
from campaigns import service
from campaigns.schedule import ONCE, TBILISI
from storage.db import create_engine, session_factory, unit_of_work
from storage.models.campaigns import CampaignStatus, StepFiring
from storage.models.deliveries import Delivery
from tests.campaigns.people import add_person, draft, scheduled
from tests.conftest import PG_ADMIN_DSN, drop_pg_database, migrated_pg_database

# APScheduler runs jobs by the real clock, so the tests' "now" is tomorrow at 11:00 in Tbilisi (a fixed date
# became a past one, and its jobs fired at once instead of being planned)
NOW = (datetime.now(TBILISI) + timedelta(days=1)).replace(hour=11, minute=0, second=0, microsecond=0)
FAST = SchedulerSettings(scheduler_leader_retry_seconds=0.1, scheduler_resync_seconds=3600)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A migrated PostgreSQL database of the test's own (the leader lock is PostgreSQL's)."""
    url = await migrated_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(url)


async def _until(condition: Callable[[], bool]) -> None:
    """Poll (at most 10 s) for `condition`: tests wait for a state, they do not sleep a fixed time."""
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in 10 s")


@pytest.mark.postgres
async def test_two_nodes_one_leader_and_a_takeover(pg_url: str) -> None:
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    nodes = [SchedulerNode(sessions, AdvisoryLock(make_url(pg_url)), FAST, lambda: NOW) for _ in range(2)]
    stops = [asyncio.Event(), asyncio.Event()]
    tasks = [asyncio.create_task(node.run(stop)) for node, stop in zip(nodes, stops, strict=True)]
    try:
        await _until(lambda: any(node.is_leader for node in nodes))
        await asyncio.sleep(0.5)  # followers have retried several times by now
        assert [node.is_leader for node in nodes].count(True) == 1
        leader = next(i for i, node in enumerate(nodes) if node.is_leader)
        stops[leader].set()
        await tasks[leader]
        await _until(lambda: nodes[1 - leader].is_leader)
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*tasks)
        await engine.dispose()


async def _terminate_lock_holders(pg_url: str) -> int:
    """Cut the sessions holding the scheduler lock in this test's database (a crash, a network cut)."""
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        return int(
            await admin.fetchval(  # advisory locks are per database: touch only this test's
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = $2) "
                "AND ((classid::bigint << 32) | objid::bigint) = $1",
                LEADER_LOCK_KEY,
                make_url(pg_url).database,
            )
        )
    finally:
        await admin.close()


@pytest.mark.postgres
async def test_a_crashed_leader_is_replaced(pg_url: str) -> None:
    """Another process leads and dies without unlocking: the waiting node takes over."""
    crashed = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    assert await crashed.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK_KEY)
    engine = create_engine(pg_url)
    node = SchedulerNode(session_factory(engine), AdvisoryLock(make_url(pg_url)), FAST, lambda: NOW)
    stop = asyncio.Event()
    task = asyncio.create_task(node.run(stop))
    try:
        await asyncio.sleep(0.5)
        assert not node.is_leader
        assert await _terminate_lock_holders(pg_url) == 1
        await _until(lambda: node.is_leader)
    finally:
        stop.set()
        await task
        await engine.dispose()
        crashed.terminate()


@pytest.mark.postgres
async def test_a_leader_that_loses_its_connection_steps_down_and_competes_again(pg_url: str) -> None:
    engine = create_engine(pg_url)
    lock = AdvisoryLock(make_url(pg_url))
    node = SchedulerNode(session_factory(engine), lock, FAST, lambda: NOW)
    stop = asyncio.Event()
    task = asyncio.create_task(node.run(stop))
    try:
        await _until(lambda: node.is_leader)
        lost = lock.connection
        assert await _terminate_lock_holders(pg_url) == 1
        await _until(lambda: lock.connection is not None and lock.connection is not lost and node.is_leader)
    finally:
        stop.set()
        await task
        await engine.dispose()


async def test_a_lone_node_leads_on_either_database(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    """SQLite: the process is the leader; PostgreSQL: it takes the free lock."""
    leadership = leadership_for(make_url(migrated_url))
    expected = SoleLeader if migrated_url.startswith("sqlite") else AdvisoryLock
    assert isinstance(leadership, expected)
    node = SchedulerNode(sessions, leadership, FAST, lambda: NOW)
    stop = asyncio.Event()
    task = asyncio.create_task(node.run(stop))
    try:
        await _until(lambda: node.is_leader)
    finally:
        stop.set()
        await task
    assert not node.is_leader


async def test_double_fire_sends_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Two schedulers (two leaders for a moment) fire the same occurrence at the same time."""
    async with unit_of_work(sessions) as session:
        for _ in range(30):
            await add_person(session)
        campaign_id = await scheduled(session, draft(), NOW)
        step_id = (await service.get(session, campaign_id)).steps[0].id
    first, second = (CampaignScheduler(sessions, FAST, lambda: NOW) for _ in range(2))
    results = await asyncio.gather(
        first.fire(step_id, ONCE), second.fire(step_id, ONCE), first.sync(), second.sync()
    )
    async with sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(Delivery))
        firings = await session.scalar(select(func.count()).select_from(StepFiring))
        status = (await service.get(session, campaign_id)).status
    assert queued == 30
    assert sorted(results[:2]) == [0, 30]
    assert firings == 1
    assert status == CampaignStatus.DONE


async def test_start_catches_up_and_points_jobs_at_next_occurrences(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Back after downtime: the missed reminder (within grace) goes now, the next one gets a job."""
    steps = ({"texts": {"ka": "ბ"}, "schedule": {"at": (NOW + timedelta(days=3)).isoformat()}},)
    async with unit_of_work(sessions) as session:
        await add_person(session)
        campaign_id = await scheduled(
            session, draft(schedule={"at": (NOW + timedelta(hours=1)).isoformat()}, extra_steps=steps), NOW
        )
        first, second = (s.id for s in (await service.get(session, campaign_id)).steps)
    restarted = NOW + timedelta(hours=3)
    scheduler = CampaignScheduler(sessions, FAST, lambda: restarted)
    await scheduler.start()
    try:
        jobs = {job.id: job for job in scheduler.jobs.get_jobs()}
        assert set(jobs) == {"resync", f"step:{second}"}
        assert jobs[f"step:{second}"].next_run_time == NOW + timedelta(days=3)
        assert jobs[f"step:{second}"].args == (second, ONCE)
    finally:
        scheduler.shutdown()
    async with sessions() as session:
        fired = (await session.scalars(select(StepFiring.step_id))).all()
        rows = await session.scalar(select(func.count()).select_from(Delivery))
    assert (list(fired), rows) == ([first], 1)


async def test_a_cancelled_campaign_loses_its_jobs(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sessions) as session:
        campaign_id = await scheduled(
            session, draft(schedule={"at": (NOW + timedelta(days=1)).isoformat()}), NOW
        )
    scheduler = CampaignScheduler(sessions, FAST, lambda: NOW)
    await scheduler.start()
    try:
        assert len(scheduler.jobs.get_jobs()) == 2
        async with unit_of_work(sessions) as session:
            (await service.get(session, campaign_id)).status = CampaignStatus.CANCELLED
        await scheduler.sync()
        assert [job.id for job in scheduler.jobs.get_jobs()] == ["resync"]
    finally:
        scheduler.shutdown()
