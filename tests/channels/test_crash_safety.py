"""The outbox survives what production does to it: a SIGKILL mid-broadcast, and two replicas at once.

The real `civicbot serve` runs as a subprocess against the fake Bot API in this process; the broadcast
is 2,000 people. Run with `pytest -m slow tests/channels/test_crash_safety.py`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels import outbox
from storage.db import create_engine, session_factory, unit_of_work
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.channels.recipients import Person, add_people, items_for
from tests.e2e.service import civicbot_serve, prepare_database
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

pytestmark = pytest.mark.slow

RECIPIENTS = 2000
CONCURRENCY = 8
_SENT_METRIC = re.compile(
    r'^civicbot_deliveries_total\{channel="telegram",status="sent"\} ([0-9.e+]+)$', re.M
)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(global_limit=1000, paid_limit=1000) as fake:
        yield fake


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await prepare_database(database_url)
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


def _env(telegram: FakeTelegram, database_url: str, rate: int, **extra: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_BASE": telegram.base_url,
        "DATABASE_URL": database_url,
        "TELEGRAM_RATE_PER_SECOND": str(rate),
        "DELIVERY_CONCURRENCY": str(CONCURRENCY),
        "DELIVERY_LEASE_SECONDS": "3",
        "DELIVERY_POLL_SECONDS": "0.2",
        **extra,
    }


async def _broadcast(sessions: async_sessionmaker[AsyncSession], telegram: FakeTelegram) -> list[Person]:
    people = await add_people(sessions, RECIPIENTS)
    for person in people:
        telegram.register_user(int(person.address), "Citizen")
    async with unit_of_work(sessions) as session:
        assert await outbox.enqueue(session, items_for(people)) == RECIPIENTS
    return people


async def _all_recorded(sessions: async_sessionmaker[AsyncSession], within: float = 30.0) -> None:
    """Wait until the service has recorded every outcome (the last sends commit just after arriving)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with sessions() as session:
            sent = await session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.SENT)
            )
        if sent == RECIPIENTS:
            return
        assert asyncio.get_running_loop().time() < deadline, f"only {sent} of {RECIPIENTS} recorded as sent"
        await asyncio.sleep(0.2)


def _dir(base: Path, name: str) -> Path:
    path = base / name
    path.mkdir()
    return path


def _counts(telegram: FakeTelegram, people: list[Person]) -> list[int]:
    return [len(telegram.messages(int(person.address))) for person in people]


async def _sent_by(base_url: str) -> float:
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(base_url + "/metrics", timeout=5)).text
    match = _SENT_METRIC.search(metrics)
    return float(match.group(1)) if match else 0.0


async def test_a_killed_service_resumes_and_doubles_at_most_what_was_in_flight(
    telegram: FakeTelegram, sessions: async_sessionmaker[AsyncSession], database_url: str, tmp_path: Path
) -> None:
    env = _env(telegram, database_url, rate=400)
    async with civicbot_serve(env, _dir(tmp_path, "first")) as first:
        people = await _broadcast(sessions, telegram)
        await telegram.wait_for(lambda: telegram.stats()["sent"] >= RECIPIENTS // 3, timeout=60)
        first.process.kill()
        await asyncio.to_thread(first.process.wait, 10)
    delivered_before = sum(1 for count in _counts(telegram, people) if count)
    assert 0 < delivered_before < RECIPIENTS, "the kill did not land mid-broadcast"

    async with civicbot_serve(env, _dir(tmp_path, "second")):
        await telegram.wait_for(
            lambda: telegram.stats()["sent"] >= RECIPIENTS and all(_counts(telegram, people)), timeout=90
        )
        await _all_recorded(sessions)

    counts = _counts(telegram, people)
    print(f"killed after {delivered_before} deliveries; {sum(counts) - RECIPIENTS} duplicates")
    assert min(counts) == 1, "someone never got the broadcast"
    assert sum(counts) - RECIPIENTS <= CONCURRENCY, f"{sum(counts) - RECIPIENTS} duplicates"


async def test_two_replicas_share_one_broadcast_without_duplicates(
    telegram: FakeTelegram, sessions: async_sessionmaker[AsyncSession], database_url: str, tmp_path: Path
) -> None:
    hook = "http://127.0.0.1:9/telegram/webhook"  # webhook mode: two replicas cannot both long-poll
    env = _env(telegram, database_url, rate=300, TELEGRAM_WEBHOOK_URL=hook)
    async with (
        civicbot_serve(env, _dir(tmp_path, "a")) as one,
        civicbot_serve(env, _dir(tmp_path, "b")) as two,
    ):
        people = await _broadcast(sessions, telegram)
        await telegram.wait_for(lambda: telegram.stats()["sent"] >= RECIPIENTS, timeout=90)
        await _all_recorded(sessions)
        shares = [await _sent_by(one.base_url), await _sent_by(two.base_url)]
    print(f"replica shares: {shares}")
    assert _counts(telegram, people) == [1] * RECIPIENTS
    assert sum(shares) == RECIPIENTS
    assert min(shares) > 0, f"one replica did all the work: {shares}"
