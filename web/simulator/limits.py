"""How often one browser may talk to the simulator: a sliding window per key, in this process.

The simulator is open to anyone, so each client address and each simulated person is bounded (a
script cannot fill the database with simulated people or spin the conversation engine). Several
replicas each keep their own windows, which only makes the bound a little looser.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SlidingWindow:
    """At most `limit` events per key in any `seconds`; keys with no recent event are forgotten."""

    limit: int
    seconds: float
    clock: Callable[[], float] = time.monotonic
    _events: dict[str, deque[float]] = field(default_factory=dict)

    def allow(self, key: str) -> bool:
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.seconds:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self._events) > 10_000:  # forget idle keys now and then, so memory stays bounded
            for stale in [k for k, v in self._events.items() if not v or v[-1] <= now - self.seconds]:
                del self._events[stale]
        return True


@dataclass
class SimulatorLimits:
    """Messages per simulated person and per client address, and new people per client address."""

    per_person: SlidingWindow = field(default_factory=lambda: SlidingWindow(30, 60.0))
    per_client: SlidingWindow = field(default_factory=lambda: SlidingWindow(120, 60.0))
    new_people: SlidingWindow = field(default_factory=lambda: SlidingWindow(20, 3600.0))

    def message(self, client: str, person: str) -> bool:
        return self.per_client.allow(client) and self.per_person.allow(person)

    def new_person(self, client: str) -> bool:
        return self.new_people.allow(client)
