"""Time for pacer tests: a clock that moves only when every task waits, and the provider's count."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Sequence


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
