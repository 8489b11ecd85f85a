"""Scheduler leader failover with two real `civicbot serve` replicas on one PostgreSQL.

The leader is SIGKILLed a few seconds before a campaign step is due: the other replica must take the lead
within 30 s and the step must fire exactly once (one firing, one outbox row per person, none twice).
Run with `pytest -m slow tests/deploy/test_failover.py`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import service
from storage.base import utcnow
from storage.db import create_engine, session_factory, unit_of_work
from storage.models.campaigns import StepFiring
from storage.models.deliveries import Delivery
from tests.campaigns.people import add_person, draft, scheduled
from tests.conftest import drop_pg_database, migrated_pg_database
from tests.e2e.service import RunningService, civicbot_serve
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PEOPLE = 25
TAKEOVER_LIMIT = 30.0
_LEADER = re.compile(r"^civicbot_scheduler_leader ([0-9.]+)$", re.M)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    url = await migrated_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(url)


async def is_leader(replica: RunningService) -> bool:
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(replica.base_url + "/metrics", timeout=5)).text
    match = _LEADER.search(metrics)
    return bool(match and float(match.group(1)) == 1.0)


async def leader_among(replicas: list[RunningService], within: float) -> RunningService:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        leaders = [r for r in replicas if r.process.poll() is None and await is_leader(r)]
        if leaders:
            assert len(leaders) == 1, "two replicas lead at once"
            return leaders[0]
        assert asyncio.get_running_loop().time() < deadline, "no replica took the lead in time"
        await asyncio.sleep(0.2)


async def counts(sessions: async_sessionmaker[AsyncSession], campaign_id: int) -> tuple[int, int]:
    async with sessions() as session:
        rows = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.campaign_id == campaign_id)
        )
        firings = await session.scalar(select(func.count()).select_from(StepFiring))
    return int(rows or 0), int(firings or 0)


async def test_a_killed_leader_is_replaced_and_the_step_fires_once(pg_url: str, tmp_path: Path) -> None:
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    async with FakeTelegram() as telegram, AsyncExitStack() as stack:
        env = {
            "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
            "TELEGRAM_API_BASE": telegram.base_url,
            "DATABASE_URL": pg_url,
            "TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:9/telegram/webhook",  # two replicas cannot both poll
            "SCHEDULER_LEADER_RETRY_SECONDS": "2",
            "SCHEDULER_RESYNC_SECONDS": "2",
            "QUIET_HOURS": "00:00-00:00",
        }
        replicas = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            replicas.append(await stack.enter_async_context(civicbot_serve(env, tmp_path / name)))
        leader = await leader_among(replicas, within=30)
        follower = next(r for r in replicas if r is not leader)

        due = utcnow() + timedelta(seconds=8)
        async with unit_of_work(sessions) as session:
            for _ in range(PEOPLE):
                await add_person(session)
            campaign_id = await scheduled(session, draft(schedule={"at": due.isoformat()}), utcnow())
            assert (await service.get(session, campaign_id)).steps

        leader.process.kill()
        killed_at = asyncio.get_running_loop().time()
        await asyncio.to_thread(leader.process.wait, 10)
        assert await counts(sessions, campaign_id) == (0, 0), "the step fired before the kill"

        assert await leader_among([follower], within=TAKEOVER_LIMIT) is follower
        takeover = asyncio.get_running_loop().time() - killed_at
        loop = asyncio.get_running_loop()
        for _ in range(300):  # at most 60 s for the step to come due and its rows to commit
            if (await counts(sessions, campaign_id))[0] >= PEOPLE:
                break
            await asyncio.sleep(0.2)
        # A few more resyncs (every 2 s): a second firing would show up now.
        settle = loop.time() + 5
        while loop.time() < settle:
            assert await counts(sessions, campaign_id) == (PEOPLE, 1)
            await asyncio.sleep(0.5)
        print(f"takeover after {takeover:.1f} s")
        assert takeover < TAKEOVER_LIMIT
    await engine.dispose()
