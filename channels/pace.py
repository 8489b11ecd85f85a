"""A channel's pace: sends on an even grid under the provider's window, learned from its 429s.

- Providers count accepted sends in a sliding window at arrival (Telegram: 30 in any second; Twilio:
  the sender's messages per second). Two rules decide when a send may go:
  1. a grid of slots `1 / (pace × (1 − headroom))` apart: the next slot is the previous *slot* plus an
     interval, not the previous departure plus one, so a sender that fell behind (a stall of its event
     loop, a slow claim) makes the lost time up by going at once, up to `catch_up` seconds of it; a sender
     later than that (an idle spell, a hold, a restart) starts a fresh grid at once, with no burst;
  2. the window itself: a log of the last sends, where no send may go while the `allowed` before it
     (the whole sends a window holds at the learned limit: 30 at 30/s) are less than a window (plus a
     0.5 % `MARGIN`) old. Each entry moves to the latest time its send can have arrived once its answer
     is in (answer time less the shortest round trip seen lately), so a send slow on its way, or
     stamped late by the provider, holds back the one a window later instead of becoming a 429.
  The grid sets the pace, the log guarantees the window: the headroom (2 %) is what lets the log's
  slack absorb a catch-up, and the log, not the headroom, is what keeps jitter from the provider.
- The real limit can be lower than the configured one (a shared token, a throttled account) and the
  provider does not say what it is, only 429. So the pace is learned with AIMD, as TCP learns an unknown
  capacity from loss: a 429 that concerns the whole channel multiplies the pace by `decrease` (0.95), at
  most once per window (sends in flight left at the old pace); every accepted send adds back a little,
  so the pace climbs by `increase` (1 %) of the configured rate per second of sending, never above it.
  This finds a lower limit within a few windows (30/s to 24/s in about five); the log then holds each
  window to the whole sends the learned limit allows, so the pace settles just under the real limit
  (a 429 every few seconds) instead of swinging around it.
- A `retry_after` above `HOLD_AFTER` (2 s) is a flood wait: the channel is held until it ends, then
  resumes on a fresh grid, never with a catch-up burst.
`channels.ratelimit` adds the per-chat limit, which limit a 429 concerns, and replies first.
The clock and the sleep are parameters, so tests advance time instead of waiting for it.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

HEADROOM = 0.02  # default share of the limit left unused, for what the arrival estimate cannot see
HOLD_AFTER = 2.0  # a retry_after longer than this holds the channel (or chat): a flood wait
CATCH_UP = 0.1  # seconds of lateness a sender may make up by going at once (bounded by the window)
MARGIN = 0.005  # share of a window the log adds for what answers cannot show (clock reads, the reply)
TRIP_EPOCH = 10.0  # the shortest round trip is the least seen in the last 10 to 20 seconds


@dataclass(frozen=True, slots=True)
class Slot:
    """A reserved departure: `seq` numbers the channel's reservations, `at` is when it may go."""

    seq: int
    at: float


class Pace:
    """One channel's learned pace: a grid of slots under a window log, AIMD on 429s, flood-wait holds."""

    def __init__(
        self,
        rate: float,
        *,
        headroom: float = HEADROOM,
        decrease: float = 0.95,
        increase: float = 0.01,
        floor: float = 0.05,
        window: float = 1.0,
        catch_up: float = CATCH_UP,
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
        self.catch_up = catch_up
        self.clock = clock
        self.count = max(1, math.floor(rate * window + 1e-9))  # what the provider allows in a window
        self._log: deque[float] = deque(maxlen=self.count)  # the last `count` sends, oldest first
        self._seq = 0  # reservations so far: the newest in the log is number `_seq - 1`
        self._trip_epoch = float("-inf")
        self._trip_floor = self._trip_floor_before = math.inf
        self._next = float("-inf")
        self._held_until = float("-inf")
        self._last_decrease = float("-inf")

    @property
    def interval(self) -> float:
        return 1.0 / (self.rate * (1.0 - self.headroom))

    @property
    def allowed(self) -> int:
        """Sends a window may hold at the learned limit (the configured one's `count` at most)."""
        return max(1, min(self.count, math.floor(self.rate * self.window + 1e-9)))

    @property
    def span(self) -> float:
        """The least time `allowed + 1` sends may take: a window (longer when fewer than one send a
        window is allowed), plus `MARGIN` for what the answers cannot show."""
        return max(self.window, self.allowed / self.rate) + MARGIN * self.window

    @property
    def held_until(self) -> float:
        return self._held_until

    @property
    def held_for(self) -> float:
        return max(0.0, self._held_until - self.clock())

    def _slots(self, now: float) -> tuple[float, float]:
        """The grid's next slot (a fresh grid at `now` after an idle spell or a long stall), and when
        a send may go: that slot, no earlier than a hold and the window log allow."""
        grid = max(self._next, self._held_until)
        if now - grid > self.catch_up:
            grid = now
        at = max(now, grid)
        if len(self._log) >= (allowed := self.allowed):
            at = max(at, self._log[-allowed] + self.span)
        return grid, at

    def delay(self) -> float:
        """Seconds until the next slot is free (0 when it is)."""
        now = self.clock()
        return max(0.0, self._slots(now)[1] - now)

    def reserve(self) -> Slot:
        """Take the next slot: now when it is due or overdue (catching up), else its time. The grid
        stays where it was when the window log holds a send back, so the sends after it catch up,
        but it never lags the departures by more than `catch_up` (the bound on any burst)."""
        grid, at = self._slots(self.clock())
        self._next = max(grid, at - self.catch_up) + self.interval
        self._log.append(at)
        self._seq += 1
        return Slot(self._seq - 1, at)

    def answered(self, slot: Slot, round_trip: float) -> None:
        """The answer to `slot`'s send is in after `round_trip` seconds: its log entry moves to the
        latest time it can have arrived (now, less the shortest round trip seen lately)."""
        arrived = self.clock() - self.shortest_trip(round_trip)
        index = slot.seq - (self._seq - len(self._log))
        if 0 <= index < len(self._log) and arrived > self._log[index]:
            self._log[index] = arrived

    def shortest_trip(self, round_trip: float) -> float:
        """Note a send's round trip; the shortest seen in the last 10 to 20 s: the way there and back
        with no queue on either. A send's way back plus a later send's way there take at least that,
        so a send leaving a window after `answer - shortest` arrives a window after the answered one."""
        now = self.clock()
        if now - self._trip_epoch >= TRIP_EPOCH:
            stale = now - self._trip_epoch >= 2 * TRIP_EPOCH
            self._trip_floor_before = math.inf if stale else self._trip_floor
            self._trip_floor, self._trip_epoch = math.inf, now
        self._trip_floor = min(self._trip_floor, max(0.0, round_trip))
        return min(self._trip_floor, self._trip_floor_before)

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
