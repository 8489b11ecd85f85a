"""A channel's limits together: its pace (`channels.pace`), each chat's spacing, and replies first.

- Telegram also limits each chat (about one message a second; a reply of a few may go back to back), so
  every send takes the channel's slot and then its chat's. A 429 concerns one chat when we had just
  written to it twice, else the channel: Telegram's answer does not say which limit was hit.
- Replies first: a slot is reserved only by someone ready to send. The delivery lane reserves its next
  slot only once it holds the next message, so a reply asking meanwhile gets the slot after it: a reply
  waits at most about two intervals for the channel, and broadcasts take the rest.
- Whoever sends tells the pacer when the answer came (`answered`), so the window log knows the latest
  each send can have arrived, and whether it was accepted (`accepted`, `throttled`).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

from channels.pace import HEADROOM, Clock, Pace, Sleep, Slot


@dataclass
class _ChatSlot:
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
        self._slots: OrderedDict[str, _ChatSlot] = OrderedDict()

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
            slot = _ChatSlot(next=now, previous=None, last=now)
        else:
            slot.previous, slot.last = slot.last, now
        slot.next = max(slot.next, now) + self.interval
        self._slots[address] = slot
        self._prune(now)

    def hold(self, address: str, seconds: float) -> None:
        now = self.clock()
        slot = self._slots.pop(address, None) or _ChatSlot(next=now, previous=None, last=now)
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

    async def acquire(self, address: str, *, reply: bool = False) -> Slot | None:
        """Wait for the channel's next slot, then take the recipient's; None (and no send) when the
        recipient was held while we waited: the caller sets the message aside instead."""
        while True:
            slot = self.pace.reserve()
            if (wait := slot.at - self.clock()) > 0:
                await self.sleep(wait)
            if self.pace.held_for <= 0:
                break  # else a flood wait began while we waited: this slot is void
        if self.recipients is None:
            return slot
        if self.recipient_delay(address, reply=reply) > 0:
            return None
        self.recipients.take(address)
        return slot

    async def acquire_reply(self, address: str) -> Slot:
        """A reply's turn: its chat's spacing (short bursts allowed), then the channel's next slot."""
        while True:
            if (wait := self.recipient_delay(address, reply=True)) > 0:
                await self.sleep(wait)
            if (slot := await self.acquire(address, reply=True)) is not None:
                return slot

    def answered(self, slot: Slot, started: float) -> None:
        """The provider answered the send of `slot`, begun at `started` (whatever the answer was)."""
        self.pace.answered(slot, self.clock() - started)

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
