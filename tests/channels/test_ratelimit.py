"""The pacer on a virtual clock: never over the limit in any window, AIMD, flood waits, replies first."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.ratelimit import ChannelLimit, ChannelPacer, Pace, RecipientLimiter, Scope


class VirtualClock:
    """Time that moves only when every task is waiting: then to the earliest wake-up."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(seconds, 0.0), next(self._seq), future))
        await future

    async def run(self, *coroutines: Awaitable[object]) -> None:
        """Run the coroutines to the end, advancing time whenever all of them are asleep."""
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        while not all(task.done() for task in tasks):
            for _ in range(20):
                await asyncio.sleep(0)
            if self._timers and not all(task.done() for task in tasks):
                at, _, future = heapq.heappop(self._timers)
                self.now = max(self.now, at)
                future.set_result(None)
        for task in tasks:
            task.result()


def most_in_any_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most sends in any window [t, t + window) (sliding, as a provider counts them)."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_sends_are_spaced_evenly_a_headroom_under_the_limit() -> None:
    clock = VirtualClock()
    pace = Pace(30.0, headroom=0.03, clock=clock)
    times = []
    for _ in range(300):
        clock.now = max(clock.now, pace.reserve())
        times.append(clock.now)
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(times)}
    assert gaps == {round(1 / (30 * 0.97), 9)}
    assert most_in_any_window(times) == 30


@pytest.mark.parametrize("idle", [0.5, 3.0, 60.0], ids=["short pause", "idle spell", "long idle"])
def test_no_catch_up_burst_after_an_idle_spell(idle: float) -> None:
    clock = VirtualClock()
    pace = Pace(30.0, clock=clock)
    times = []
    for _ in range(40):
        clock.now = max(clock.now, pace.reserve())
        times.append(clock.now)
    clock.now += idle
    for _ in range(40):
        clock.now = max(clock.now, pace.reserve())
        times.append(clock.now)
    assert min(b - a for a, b in itertools.pairwise(times)) == pytest.approx(pace.interval)
    assert most_in_any_window(times) <= 30


@settings(max_examples=60, deadline=None)
@given(
    arrivals=st.lists(st.floats(min_value=0, max_value=20, allow_nan=False), min_size=1, max_size=300),
    refusals=st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=20, allow_nan=False), st.integers(min_value=1, max_value=40)
        ),
        max_size=10,
    ),
    rate=st.sampled_from([1.0, 30.0, 1000.0]),
)
def test_no_window_is_ever_over_the_limit(
    arrivals: list[float], refusals: list[tuple[float, int]], rate: float
) -> None:
    """Whenever senders ask, and whatever 429s (short or flood waits) come back, a window holds at most
    `rate` sends, also with the 429s' holds ending and the pace climbing back."""
    clock = VirtualClock()
    pace = Pace(rate, clock=clock)
    events = sorted([(t, 0, 0) for t in arrivals] + [(t, 1, r) for t, r in refusals])
    sent: list[float] = []
    for at, kind, retry_after in events:
        clock.now = max(clock.now, 1000.0 + at)
        if kind == 1:
            pace.refused(retry_after)
            continue
        departure = pace.reserve()
        clock.now = max(clock.now, departure)
        sent.append(departure)
        pace.accepted()
    assert most_in_any_window(sent) <= rate
    assert all(b >= a for a, b in itertools.pairwise(sent))


def test_departures_with_jitter_under_the_headroom_still_fit_the_window() -> None:
    """Arrival = departure + a latency varying by up to 25 ms: the 3 % headroom absorbs it at 30/s."""
    clock = VirtualClock()
    pace = Pace(30.0, clock=clock)
    rng = random.Random(7)
    arrivals = []
    for _ in range(3000):
        clock.now = max(clock.now, pace.reserve())
        arrivals.append(clock.now + 0.04 + rng.uniform(0, 0.025))
    assert most_in_any_window(arrivals) <= 30


def simulate_hidden_limit(real: float, configured: float, seconds: float) -> list[float]:
    """A sender at full speed against a provider that accepts `real` sends in any sliding second."""
    clock = VirtualClock()
    pace = Pace(configured, clock=clock)
    accepted: list[float] = []
    window: deque[float] = deque()
    while clock.now < 1000.0 + seconds:
        clock.now = max(clock.now, pace.reserve())
        while window and window[0] <= clock.now - 1.0:
            window.popleft()
        if len(window) >= real:
            pace.refused(1)
        else:
            window.append(clock.now)
            accepted.append(clock.now)
            pace.accepted()
    return accepted


@pytest.mark.parametrize(("real", "configured"), [(24.0, 30.0), (15.0, 30.0), (800.0, 1000.0)])
def test_aimd_finds_a_hidden_lower_limit_and_holds_close_to_it(real: float, configured: float) -> None:
    accepted = simulate_hidden_limit(real, configured, 60.0)
    later = [t for t in accepted if t >= 1010.0]
    rate = len(later) / (accepted[-1] - 1010.0)
    assert rate >= 0.9 * real
    assert most_in_any_window(accepted) <= real


def test_a_long_flood_wait_holds_then_resumes_at_the_pace_without_a_burst() -> None:
    clock = VirtualClock()
    pace = Pace(30.0, clock=clock)
    times = []
    for _ in range(100):
        clock.now = max(clock.now, pace.reserve())
        times.append(clock.now)
    refused_at = clock.now
    pace.refused(30)
    for _ in range(100):
        clock.now = max(clock.now, pace.reserve())
        times.append(clock.now)
        pace.accepted()
    after = [t for t in times if t > refused_at]
    assert after[0] == pytest.approx(refused_at + 30)  # resumes the moment the wait ends
    assert most_in_any_window(after) <= 30  # no catch-up burst
    assert len([t for t in after if t < after[0] + 1.0]) <= 28  # the first second at the decreased pace
    assert pace.rate > 28.5  # climbing back


async def test_a_hold_that_begins_while_waiting_voids_the_reserved_slot() -> None:
    clock = VirtualClock()
    pacer = ChannelPacer(ChannelLimit(rate=1.0), clock=clock, sleep=clock.sleep)
    sent: list[float] = []

    async def lane() -> None:
        for _ in range(3):
            await pacer.acquire("a")
            sent.append(clock.now)

    async def flood() -> None:
        await clock.sleep(0.5)
        pacer.throttled("b", 30)

    await clock.run(lane(), flood())
    assert sent[0] == 1000.0
    assert sent[1] >= 1000.5 + 30


async def test_replies_go_before_a_queued_broadcast() -> None:
    """The lane sends a broadcast flat out; replies asked for meanwhile wait at most two intervals."""
    clock = VirtualClock()
    pacer = ChannelPacer(ChannelLimit(rate=30.0, per_recipient=1.0), clock=clock, sleep=clock.sleep)
    order: list[tuple[str, float]] = []
    waits: list[float] = []

    async def broadcast() -> None:
        for n in range(120):
            if await pacer.acquire(f"b{n}"):
                order.append(("broadcast", clock.now))

    async def person(n: int, at: float) -> None:
        await clock.sleep(at)
        asked = clock.now
        await pacer.acquire_reply(f"r{n}")
        order.append(("reply", clock.now))
        waits.append(clock.now - asked)

    await clock.run(broadcast(), *(person(n, 0.25 + n * 0.3) for n in range(8)))
    assert len(waits) == 8
    assert max(waits) <= 2 * pacer.pace.interval + 1e-9
    assert most_in_any_window([t for _, t in order]) <= 30
    assert order[-1][0] == "broadcast"  # the broadcast took the rest


async def test_a_reply_of_several_messages_may_burst_in_its_chat_a_broadcast_may_not() -> None:
    clock = VirtualClock()
    pacer = ChannelPacer(
        ChannelLimit(rate=30.0, per_recipient=1.0, reply_burst=3), clock=clock, sleep=clock.sleep
    )
    sent: list[float] = []

    async def reply() -> None:
        for _ in range(4):
            await pacer.acquire_reply("7")
            sent.append(clock.now)

    await clock.run(reply())
    assert sent[2] - sent[0] < 0.1  # three back to back
    assert sent[3] - sent[0] >= 1.0  # then the chat's pace
    assert pacer.recipient_delay("7") > 0  # and a broadcast to that chat waits its full interval


def test_a_429_right_after_writing_to_a_chat_holds_only_that_chat() -> None:
    clock = VirtualClock()
    pacer = ChannelPacer(ChannelLimit(rate=30, per_recipient=1), clock=clock, sleep=clock.sleep)
    assert pacer.recipients is not None
    pacer.recipients.take("7")
    clock.now += 1.1
    pacer.recipients.take("7")
    assert pacer.throttled("7", 12) is Scope.RECIPIENT
    assert pacer.recipient_delay("7") == pytest.approx(12)
    assert pacer.recipient_delay("8") == 0.0
    assert pacer.pace.delay() == 0.0
    assert pacer.pace.rate == 30.0
    assert pacer.held_chats() == 1


def test_a_short_429_for_the_channel_slows_it_without_holding_it() -> None:
    clock = VirtualClock()
    pacer = ChannelPacer(ChannelLimit(rate=30, per_recipient=1), clock=clock, sleep=clock.sleep)
    assert pacer.throttled("7", 1) is Scope.CHANNEL
    assert pacer.pace.rate == pytest.approx(28.5)
    assert pacer.held_until is None
    assert pacer.recipient_delay("7") == pytest.approx(1)  # that message waits its retry_after
    assert pacer.throttled("8", 1) is Scope.CHANNEL
    assert pacer.pace.rate == pytest.approx(28.5)  # once per window: the second came from the same one


def test_a_long_429_for_the_channel_holds_it() -> None:
    clock = VirtualClock()
    pacer = ChannelPacer(ChannelLimit(rate=30, per_recipient=1), clock=clock, sleep=clock.sleep)
    pacer.throttled("7", 30)
    assert pacer.held_until == pytest.approx(clock.now + 30)
    assert pacer.pace.delay() == pytest.approx(30)


def test_recipient_limiter_forgets_addresses_it_no_longer_needs() -> None:
    clock = VirtualClock()
    limiter = RecipientLimiter(1.0, clock=clock)
    for address in range(10_000):
        limiter.take(str(address))
        clock.now += 0.001  # a broadcast at 1000/s: ten seconds in all
    assert len(limiter) <= 3 * 1000 + 100  # what the last window (three intervals) touched
    assert limiter.delay("0") == 0.0


def test_recipient_limiter_is_capped_even_when_every_slot_is_fresh() -> None:
    limiter = RecipientLimiter(1.0, clock=VirtualClock(), max_entries=100)
    for address in range(1000):
        limiter.take(str(address))
    assert len(limiter) == 100


def test_a_channel_without_per_recipient_limit_has_no_recipient_state() -> None:
    pacer = ChannelPacer(ChannelLimit(rate=10))
    assert pacer.recipients is None
    assert pacer.recipient_delay("+995555000001") == 0.0
    assert pacer.throttled("+995555000001", 2) is Scope.CHANNEL


@pytest.mark.parametrize("make", [Pace, RecipientLimiter], ids=["pace", "recipients"])
@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_rates_must_be_positive(make: Callable[[float], object], rate: float) -> None:
    with pytest.raises(ValueError):
        make(rate)
