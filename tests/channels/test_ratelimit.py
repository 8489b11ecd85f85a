"""Token buckets on a clock the test moves: exact pacing, 429 pauses, bounded per-recipient memory."""

from __future__ import annotations

import asyncio

import pytest

from channels.ratelimit import ChannelLimit, ChannelPacer, RecipientLimiter, Scope, TokenBucket


class FakeClock:
    """Monotonic seconds that move only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("rate", "burst", "sends", "elapsed"),
    [
        (30.0, 1.0, 31, 30 / 30),  # the first goes at once, then one every 1/30 s
        (30.0, 3.0, 32, 29 / 30),  # a burst of three, then the steady rate
        (1000.0, 100.0, 1100, 1000 / 1000),
        (0.5, 1.0, 3, 4.0),  # slower than one a second
    ],
    ids=["telegram free", "with burst", "paid broadcast", "slow SMS sender"],
)
async def test_bucket_paces_to_its_rate(rate: float, burst: float, sends: int, elapsed: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, burst, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(sends):
        await bucket.acquire()
    assert clock.now - start == pytest.approx(elapsed)


async def test_bucket_never_exceeds_rate_in_any_window() -> None:
    clock = FakeClock()
    bucket = TokenBucket(30.0, 3.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(300):
        await bucket.acquire()
        times.append(clock.now)
    for i, start in enumerate(times):
        in_window = sum(1 for t in times[i:] if t < start + 1.0)
        assert in_window <= 30 + 3


async def test_a_pause_holds_the_bucket_for_retry_after() -> None:
    clock = FakeClock()
    bucket = TokenBucket(30.0, 1.0, clock=clock, sleep=clock.sleep)
    await bucket.acquire()
    bucket.pause(7.0)
    assert bucket.paused_for == pytest.approx(7.0)
    before = clock.now
    await bucket.acquire()
    assert clock.now - before == pytest.approx(7.0)


def test_recipient_limiter_spaces_messages_to_one_address_only() -> None:
    clock = FakeClock()
    limiter = RecipientLimiter(1.0, clock=clock)
    limiter.take("1")
    assert limiter.delay("1") == pytest.approx(1.0)
    assert limiter.delay("2") == 0.0
    clock.now += 0.4
    assert limiter.delay("1") == pytest.approx(0.6)


def test_recipient_limiter_forgets_addresses_it_no_longer_needs() -> None:
    clock = FakeClock()
    limiter = RecipientLimiter(1.0, clock=clock)
    for address in range(10_000):
        limiter.take(str(address))
        clock.now += 0.001  # a broadcast at 1000/s: ten seconds in all
    assert len(limiter) <= 3 * 1000 + 10  # what the last window (three intervals) touched
    assert limiter.delay("0") == 0.0


def test_recipient_limiter_is_capped_even_when_every_slot_is_fresh() -> None:
    clock = FakeClock()
    limiter = RecipientLimiter(1.0, clock=clock, max_entries=100)
    for address in range(1000):
        limiter.take(str(address))
    assert len(limiter) == 100


def test_a_429_right_after_writing_to_a_chat_pauses_only_that_chat() -> None:
    clock = FakeClock()
    pacer = ChannelPacer(ChannelLimit(rate=30, per_recipient=1), clock=clock, sleep=clock.sleep)
    assert pacer.recipients is not None
    pacer.recipients.take("7")
    clock.now += 1.0
    pacer.recipients.take("7")
    assert pacer.throttled("7", 12) is Scope.RECIPIENT
    assert pacer.recipient_delay("7") == pytest.approx(12)
    assert pacer.recipient_delay("8") == 0.0
    assert pacer.overall.delay() == 0.0


def test_a_429_for_a_chat_we_had_not_written_to_pauses_the_channel() -> None:
    clock = FakeClock()
    pacer = ChannelPacer(ChannelLimit(rate=30, per_recipient=1), clock=clock, sleep=clock.sleep)
    assert pacer.recipients is not None
    pacer.recipients.take("7")
    assert pacer.throttled("7", 3) is Scope.CHANNEL
    assert pacer.overall.delay() == pytest.approx(3)
    assert pacer.recipient_delay("7") == pytest.approx(3)


async def test_a_recipient_paused_while_waiting_for_the_channel_is_not_sent_to() -> None:
    clock = FakeClock()
    pacer = ChannelPacer(ChannelLimit(rate=1, per_recipient=1, burst=1), clock=clock, sleep=clock.sleep)
    assert await pacer.acquire("1")
    assert pacer.recipients is not None
    pacer.recipients.pause("2", 30)
    assert not await pacer.acquire("2")


def test_a_channel_without_per_recipient_limit_has_no_recipient_state() -> None:
    pacer = ChannelPacer(ChannelLimit(rate=10))
    assert pacer.recipients is None
    assert pacer.recipient_delay("+995555000001") == 0.0
    assert pacer.throttled("+995555000001", 2) is Scope.CHANNEL


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_rates_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate)
    with pytest.raises(ValueError):
        RecipientLimiter(rate)
