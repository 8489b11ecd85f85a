"""The channel pacer on a virtual clock: holds, replies first, per-chat spacing, which limit a 429 hit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from channels.pace import Pace
from channels.ratelimit import ChannelLimit, ChannelPacer, RecipientLimiter, Scope
from tests.channels.virtual_clock import VirtualClock, most_in_any_window


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
