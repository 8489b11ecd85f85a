"""The Redis-shared pacing (channels/shared_limit.py) against the local Redis: two pacers on one key play
two replicas. Sleeps are recorded, not slept: the waits Redis hands out show the shared spacing."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from channels.ratelimit import ChannelLimit, Scope
from channels.shared_limit import SharedLimitSettings, SharedPacer, shared_pacers
from storage.models.contacts import Channel

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError):
        await client.aclose()
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    yield client
    await client.aclose()


@pytest.fixture
async def key(redis: Redis) -> AsyncIterator[str]:
    prefix = f"civicbot-test:{uuid.uuid4().hex}"
    yield f"{prefix}:telegram"
    keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)


class Waits:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def replicas(redis: Redis, key: str, limit: ChannelLimit, n: int = 2) -> tuple[list[SharedPacer], Waits]:
    waits = Waits()
    return [SharedPacer(limit, redis, key, sleep=waits) for _ in range(n)], waits


async def test_two_replicas_share_one_even_spacing(redis: Redis, key: str) -> None:
    (a, b), waits = replicas(redis, key, ChannelLimit(rate=10.0, headroom=0.0))
    started = time.monotonic()
    for i in range(20):
        assert await (a if i % 2 else b).acquire(f"chat{i}")
    elapsed = time.monotonic() - started
    # Slot k departs k intervals (0.1 s) after the first, whichever replica took it; none saved up.
    assert len(waits.waits) == 19
    assert waits.waits == sorted(waits.waits)
    assert 1.9 - elapsed - 0.02 <= waits.waits[-1] <= 1.9 + 0.02
    gaps = [later - earlier for earlier, later in zip(waits.waits, waits.waits[1:], strict=False)]
    assert all(0.1 - 0.03 < gap < 0.1 + 0.03 for gap in gaps), gaps


async def test_a_429_slows_every_replica_once_per_window(redis: Redis, key: str) -> None:
    (a, b), _ = replicas(redis, key, ChannelLimit(rate=30.0))
    assert a.throttled("1", 1.0) is Scope.CHANNEL
    await a.settled()
    assert b.throttled("2", 1.0) is Scope.CHANNEL  # the same window: no second decrease
    await b.settled()
    await b.acquire("3")
    assert b.pace.rate == pytest.approx(30.0 * 0.95)


async def test_accepted_sends_climb_the_shared_pace(redis: Redis, key: str) -> None:
    (a, b), _ = replicas(redis, key, ChannelLimit(rate=30.0, headroom=0.0))
    a.throttled("1", 1.0)
    await a.settled()
    for _ in range(10):
        a.accepted()
    await a.acquire("2")
    expected = 28.5
    for _ in range(10):
        expected = min(30.0, expected + 0.01 * 30.0 / expected)
    await b.acquire("3")
    assert b.pace.rate == pytest.approx(expected, rel=1e-6)


async def test_a_flood_wait_holds_every_replica(redis: Redis, key: str) -> None:
    (a, b), waits = replicas(redis, key, ChannelLimit(rate=30.0))
    a.throttled("1", 30.0)
    await a.settled()
    assert await b.acquire("2")
    assert 29.0 < waits.waits[-1] <= 30.0
    assert 29.0 < b.pace.held_for <= 30.0


async def test_per_chat_spacing_and_holds_are_shared(redis: Redis, key: str) -> None:
    (a, b), _ = replicas(redis, key, ChannelLimit(rate=30.0, per_recipient=1.0))
    assert await a.acquire("42")
    assert not await b.acquire("42")  # a wrote to this chat a moment ago
    assert 0.9 < b.recipient_delay("42") <= 1.1
    assert await b.acquire("43")
    assert a.throttled("43", 1.0) is Scope.CHANNEL  # a never wrote to 43 twice
    await a.settled()
    assert a.throttled("42", 1.0) is Scope.CHANNEL
    await a.settled()
    assert await b.acquire("44")
    assert not await b.acquire("42")


async def test_without_redis_a_replica_paces_in_process() -> None:
    dead = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    waits = Waits()
    pacer = SharedPacer(ChannelLimit(rate=10.0, headroom=0.0), dead, "civicbot-test:dead", sleep=waits)
    try:
        assert await pacer.acquire("1")
        assert await pacer.acquire("2")
        assert waits.waits and 0.05 < waits.waits[-1] <= 0.1
    finally:
        await dead.aclose()


def test_in_process_unless_redis_url_is_set() -> None:
    assert shared_pacers(SharedLimitSettings(redis_url=None)) is None
    make = shared_pacers(SharedLimitSettings(redis_url=REDIS_URL, redis_key_prefix="x:"))
    assert make is not None
    pacer = make(Channel.TELEGRAM, ChannelLimit(rate=30.0))
    assert isinstance(pacer, SharedPacer) and pacer.key == "x:telegram"


async def test_the_window_log_is_shared_and_an_answer_moves_its_send_later(redis: Redis, key: str) -> None:
    (a, b), _ = replicas(redis, key, ChannelLimit(rate=5.0, headroom=0.0))
    first = await a.acquire("chat0")  # goes at once
    assert first is not None and first.seq == 0
    departed = float((await redis.lrange(f"{key}:log", 0, -1))[0])
    a.answered(first, started=a.clock())  # heard now, a little after it left
    assert await a.acquire("chat1")  # the answer reaches Redis with this call
    log = [float(entry) for entry in await redis.lrange(f"{key}:log", 0, -1)]
    assert log[1] > departed  # slot 0 now counts from when it may have arrived
    slots = [await (b if i % 2 else a).acquire(f"chat{i}") for i in range(2, 8)]
    assert [slot.seq for slot in slots if slot is not None] == list(range(2, 8))
    log = [float(entry) for entry in await redis.lrange(f"{key}:log", 0, -1)]
    assert len(log) == 5  # the provider's count per window, newest first
    assert log == sorted(log, reverse=True)
