"""Pacing for the outbox and the replies: even spacing under the provider's limit, learned from its 429s.

- Providers count accepted sends in a sliding window at arrival (Telegram: 30 in any second; Twilio:
  the sender's messages per second). A bucket with a burst lets a whole burst land in one window on top
  of the steady rate, so sends here are spaced evenly, `1 / (pace × (1 − headroom))` apart, with no
  saved-up credit: after an idle spell, a hold or a restart the next send goes at once and the one after
  it a full interval later. At 30/s a window then holds at most 30 sends, and the headroom (3 %) leaves
  ~30 ms a window for jitter between our clock and the arrival at the server.
- The real limit can be lower than the configured one (a shared token, a throttled account) and the
  provider does not say what it is, only 429. So the pace is learned with AIMD, as TCP learns an unknown
  capacity from loss: a 429 that concerns the whole channel multiplies the pace by `decrease` (0.95), at
  most once per window (sends in flight left at the old pace); every accepted send adds back a little,
  so the pace climbs by `increase` (1 %) of the configured rate per second of sending, never above it.
  Multiplicative decrease finds a lower limit within a few windows from any start (30/s to 24/s in about
  five) and lets several senders on one limit converge to fair shares; a gentle decrease with a slow
  additive climb keeps the pace within ~5 % under the limit (a 429 every two seconds or so) instead of
  swinging around it, and a lone 429 from jitter on the way costs only a few sends.
- A 429 concerns one chat when we had just written to it twice (the per-chat limit), else the channel.
  A `retry_after` above `hold_after` (2 s) is a flood wait: the channel or the chat is held until it
  ends, then resumes at the even pace, never with a catch-up burst.
- Replies first: a slot is reserved only by someone ready to send. The delivery lane reserves its next
  slot only once it holds the next message, so a reply asking meanwhile gets the slot after it: a reply
  waits at most about two intervals for the channel, and broadcasts take the rest.
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

HEADROOM = 0.03  # default share of the limit left unused for jitter between our clock and arrival
HOLD_AFTER = 2.0  # a retry_after longer than this holds the channel (or chat): a flood wait


class Pace:
    """One channel's learned pace: evenly spaced departures, AIMD on 429s, holds for flood waits."""

    def __init__(
        self,
        rate: float,
        *,
        headroom: float = HEADROOM,
        decrease: float = 0.95,
        increase: float = 0.01,
        floor: float = 0.05,
        window: float = 1.0,
        clock: Clock = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        if not 0 <= headroom < 1:
            raise ValueError(f"headroom must be in [0, 1), got {headroom}")
        self.configured = rate
        self.rate = rate  # the limit as learned so far; sends go at rate × (1 − headroom)
        self.headroom = headroom
        self.decrease = decrease
        self.increase = increase
        self.floor = floor * rate
        self.window = window
        self.clock = clock
        self._next = float("-inf")
        self._held_until = float("-inf")
        self._last_decrease = float("-inf")

    @property
    def interval(self) -> float:
        return 1.0 / (self.rate * (1.0 - self.headroom))

    @property
    def held_until(self) -> float:
        return self._held_until

    @property
    def held_for(self) -> float:
        return max(0.0, self._held_until - self.clock())

    def delay(self) -> float:
        """Seconds until the next slot is free (0 when it is)."""
        return max(0.0, max(self._next, self._held_until) - self.clock())

    def reserve(self) -> float:
        """Take the next free slot; returns its time (now or later). Nothing is ever saved up."""
        at = max(self.clock(), self._next, self._held_until)
        self._next = at + self.interval
        return at

    def accepted(self) -> None:
        """Additive increase: `increase` × configured per second of sending, up to the configured rate."""
        if self.rate < self.configured:
            step = self.increase * self.configured * self.interval
            self.rate = min(self.configured, self.rate + step)

    def refused(self, retry_after: float) -> bool:
        """Multiplicative decrease (once per window); holds the channel on a long wait. True if decreased."""
        now = self.clock()
        if retry_after > HOLD_AFTER:
            self.hold(retry_after)
        if now - self._last_decrease < self.window:
            return False
        self._last_decrease = now
        self.rate = max(self.floor, self.rate * self.decrease)
        return True

    def hold(self, seconds: float) -> None:
        self._held_until = max(self._held_until, self.clock() + seconds)


@dataclass
class _Slot:
    next: float
    previous: float | None
    last: float


class RecipientLimiter:
    """`rate` messages a second to any one address, evenly spaced; bounded, expiring memory.

    `delay(address, burst=n)` lets up to `n` go back to back (a reply of several messages; Telegram
    tolerates short bursts in a private chat); broadcasts ask with the default, `burst=1`. A slot is
    forgotten once it is free again and `window` has passed since its last send: a fresh slot then
    behaves the same, so forgetting it changes nothing.
    """

    def __init__(
        self,
        rate: float,
        *,
        headroom: float = HEADROOM,
        clock: Clock = time.monotonic,
        max_entries: int = 100_000,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.interval = 1.0 / (rate * (1.0 - headroom))
        self.window = 3 * self.interval
        self.clock = clock
        self.max_entries = max_entries
        self._slots: OrderedDict[str, _Slot] = OrderedDict()

    def __len__(self) -> int:
        return len(self._slots)

    def delay(self, address: str, *, burst: int = 1) -> float:
        slot = self._slots.get(address)
        if slot is None:
            return 0.0
        return max(0.0, slot.next - (max(burst, 1) - 1) * self.interval - self.clock())

    def take(self, address: str) -> None:
        now = self.clock()
        slot = self._slots.pop(address, None)
        if slot is None:
            slot = _Slot(next=now, previous=None, last=now)
        else:
            slot.previous, slot.last = slot.last, now
        slot.next = max(slot.next, now) + self.interval
        self._slots[address] = slot
        self._prune(now)

    def hold(self, address: str, seconds: float) -> None:
        now = self.clock()
        slot = self._slots.pop(address, None) or _Slot(next=now, previous=None, last=now)
        slot.next = max(slot.next, now + seconds)
        self._slots[address] = slot
        self._prune(now)

    def held(self) -> int:
        """How many addresses are held beyond their normal spacing (a chat's flood wait)."""
        now = self.clock()
        return sum(1 for slot in self._slots.values() if slot.next - now > self.interval)

    def sent_recently(self, address: str) -> bool:
        """Whether the last message to `address` followed another one closely (so a 429 is about it)."""
        slot = self._slots.get(address)
        return bool(slot and slot.previous is not None and slot.last - slot.previous <= self.window)

    def _prune(self, now: float) -> None:
        while self._slots:
            address, slot = next(iter(self._slots.items()))
            if len(self._slots) <= self.max_entries and max(slot.next, slot.last + self.window) > now:
                break
            del self._slots[address]


class Scope(StrEnum):
    RECIPIENT = "recipient"
    CHANNEL = "channel"


@dataclass(frozen=True)
class ChannelLimit:
    """A channel's limits: `rate` messages a second overall, `per_recipient` to one address (None: no
    per-address limit, e.g. SMS, where the sender's throughput is the only one), both paced
    `headroom` under the limit; `reply_burst` messages of one reply may go to a chat back to back."""

    rate: float
    per_recipient: float | None = None
    headroom: float = HEADROOM
    reply_burst: int = 3


class ChannelPacer:
    """One channel's pace and per-recipient spacing together, shared by the delivery lane and the
    replies, and the decision which of them a 429 concerns."""

    def __init__(
        self,
        limit: ChannelLimit,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_recipients: int = 100_000,
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.sleep = sleep
        self.pace = Pace(limit.rate, headroom=limit.headroom, clock=clock)
        self.recipients: RecipientLimiter | None = None
        if limit.per_recipient:
            self.recipients = RecipientLimiter(
                limit.per_recipient, headroom=limit.headroom, clock=clock, max_entries=max_recipients
            )

    def recipient_delay(self, address: str, *, reply: bool = False) -> float:
        if self.recipients is None:
            return 0.0
        return self.recipients.delay(address, burst=self.limit.reply_burst if reply else 1)

    async def acquire(self, address: str, *, reply: bool = False) -> bool:
        """Wait for the channel's next slot, then take the recipient's; False (and no send) when the
        recipient was held while we waited: the caller sets the message aside instead."""
        while True:
            at = self.pace.reserve()
            if (wait := at - self.clock()) > 0:
                await self.sleep(wait)
            if self.pace.held_for <= 0:
                break  # else a flood wait began while we waited: this slot is void
        if self.recipients is None:
            return True
        if self.recipient_delay(address, reply=reply) > 0:
            return False
        self.recipients.take(address)
        return True

    async def acquire_reply(self, address: str) -> None:
        """A reply's turn: its chat's spacing (short bursts allowed), then the channel's next slot."""
        while True:
            if (wait := self.recipient_delay(address, reply=True)) > 0:
                await self.sleep(wait)
            if await self.acquire(address, reply=True):
                return

    def accepted(self) -> None:
        self.pace.accepted()

    def throttled(self, address: str, retry_after: float) -> Scope:
        """Act on a 429: hold the recipient when we had just written to it, else slow (and on a long
        wait hold) the channel. Telegram's answer does not say which limit was hit."""
        if self.recipients is not None and self.recipients.sent_recently(address):
            self.recipients.hold(address, retry_after)
            return Scope.RECIPIENT
        self.pace.refused(retry_after)
        if self.recipients is not None:
            self.recipients.hold(address, retry_after)
        return Scope.CHANNEL

    @property
    def held_until(self) -> float | None:
        """The channel's flood wait's end on the monotonic clock, None when it is not held."""
        return self.pace.held_until if self.pace.held_for > 0 else None

    def held_chats(self) -> int:
        return self.recipients.held() if self.recipients is not None else 0
