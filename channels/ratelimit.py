"""Pacing for the outbox: a token bucket per channel and one per recipient, both pausable by a 429.

Both are GCRA buckets (a "theoretical arrival time" per bucket): O(1) per send, exact under any clock.
The per-recipient limiter keeps a slot only for addresses sent to in the last few seconds, and never more
than `max_entries`, so a broadcast to a million people holds a few hundred slots, not a million.
The clock and the sleep are parameters, so tests advance time instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """`rate` tokens a second, at most `burst` at once; `pause` stops it for a 429's `retry_after`."""

    def __init__(
        self, rate: float, burst: float = 1.0, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self.interval = 1.0 / rate
        self.tolerance = (max(burst, 1.0) - 1.0) * self.interval
        self.clock = clock
        self.sleep = sleep
        self._tat = clock()
        self._paused_until = float("-inf")

    def delay(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        now = self.clock()
        return max(0.0, max(self._paused_until, self._tat - self.tolerance) - now)

    def take(self) -> None:
        """Spend a token now (call when `delay()` is 0: there is no await in between in one task)."""
        self._tat = max(self._tat, self.clock()) + self.interval

    async def acquire(self) -> None:
        while (wait := self.delay()) > 0:
            await self.sleep(wait)
        self.take()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self.clock())


@dataclass
class _Slot:
    tat: float
    previous: float | None
    last: float


class RecipientLimiter:
    """`rate` messages a second to any one address, `burst` at once; bounded, expiring memory.

    A slot expires once its bucket is full again and `window` has passed since its last send: from then
    on a fresh slot behaves the same, so forgetting it changes nothing.
    """

    def __init__(
        self, rate: float, burst: int = 1, *, clock: Clock = time.monotonic, max_entries: int = 100_000
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.interval = 1.0 / rate
        self.tolerance = (max(burst, 1) - 1) * self.interval
        self.window = 3 * self.interval
        self.clock = clock
        self.max_entries = max_entries
        self._slots: OrderedDict[str, _Slot] = OrderedDict()

    def __len__(self) -> int:
        return len(self._slots)

    def delay(self, address: str) -> float:
        slot = self._slots.get(address)
        if slot is None:
            return 0.0
        return max(0.0, slot.tat - self.tolerance - self.clock())

    def take(self, address: str) -> None:
        now = self.clock()
        slot = self._slots.pop(address, None)
        if slot is None:
            slot = _Slot(tat=now, previous=None, last=now)
        else:
            slot.previous, slot.last = slot.last, now
        slot.tat = max(slot.tat, now) + self.interval
        self._slots[address] = slot
        self._prune(now)

    def pause(self, address: str, seconds: float) -> None:
        now = self.clock()
        slot = self._slots.pop(address, None) or _Slot(tat=now, previous=None, last=now)
        slot.tat = max(slot.tat, now + seconds + self.tolerance)
        self._slots[address] = slot
        self._prune(now)

    def sent_recently(self, address: str) -> bool:
        """Whether the last message to `address` followed another one closely (so a 429 is about it)."""
        slot = self._slots.get(address)
        return bool(slot and slot.previous is not None and slot.last - slot.previous <= self.window)

    def _prune(self, now: float) -> None:
        while self._slots:
            address, slot = next(iter(self._slots.items()))
            if len(self._slots) <= self.max_entries and max(slot.tat, slot.last + self.window) > now:
                break
            del self._slots[address]


class Scope(StrEnum):
    RECIPIENT = "recipient"
    CHANNEL = "channel"


@dataclass(frozen=True)
class ChannelLimit:
    """A channel's pacing: `rate` messages a second overall (`burst` at once), `per_recipient` to one
    address (None: no per-address limit, e.g. SMS, where the sender's throughput is the only limit)."""

    rate: float
    per_recipient: float | None = None
    burst: float | None = None
    recipient_burst: int = 1

    @property
    def effective_burst(self) -> float:
        """A tenth of a second's worth by default: absorbs scheduling jitter, never a flood."""
        return self.burst if self.burst is not None else max(1.0, self.rate / 10)


class ChannelPacer:
    """One channel's limiters together, and the decision which of them a 429 concerns."""

    def __init__(
        self,
        limit: ChannelLimit,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_recipients: int = 100_000,
    ) -> None:
        self.limit = limit
        self.overall = TokenBucket(limit.rate, limit.effective_burst, clock=clock, sleep=sleep)
        self.recipients: RecipientLimiter | None = None
        if limit.per_recipient:
            self.recipients = RecipientLimiter(
                limit.per_recipient, limit.recipient_burst, clock=clock, max_entries=max_recipients
            )

    def recipient_delay(self, address: str) -> float:
        return self.recipients.delay(address) if self.recipients is not None else 0.0

    async def acquire(self, address: str) -> bool:
        """Wait for the channel's token, then take the recipient's; False (and no send) when the
        recipient was paused while we waited: the caller sets the message aside instead."""
        await self.overall.acquire()
        if self.recipients is None:
            return True
        if self.recipients.delay(address) > 0:
            return False
        self.recipients.take(address)
        return True

    def throttled(self, address: str, retry_after: float) -> Scope:
        """Pause what the 429 concerns: the recipient when we had just written to them, else the channel
        (Telegram's answer does not say which limit was hit)."""
        if self.recipients is not None and self.recipients.sent_recently(address):
            self.recipients.pause(address, retry_after)
            return Scope.RECIPIENT
        self.overall.pause(retry_after)
        if self.recipients is not None:
            self.recipients.pause(address, retry_after)
        return Scope.CHANNEL
