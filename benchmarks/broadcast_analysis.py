"""What the broadcast benchmark reads off the fake's accepted-send times, and the reply-latency probe.

Times are the fake's own monotonic clock at arrival, where a provider counts: the rate between the
first and the last accepted send (from `measure_from` seconds after the first, for a hidden limit
that must first be found), the most sends in any sliding second, how close any `limit + 1` sends came
to one window (the margin the jitter left), and around a flood wait how long after its end the first
send came and the most in any second after it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.broadcast_processes import FakeTelegramProcess


def most_in_any_window(times: Sequence[float], window: float = 1.0) -> int:
    ordered = sorted(times)
    most = start = 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        most = max(most, end - start + 1)
    return most


@dataclass(frozen=True)
class Arrivals:
    rate: float  # accepted sends a second, a flood wait's gap left out
    peak: int  # most accepted sends in any sliding second
    resume_after: float | None = None  # seconds from a flood wait's end to the next accepted send
    peak_after: int | None = None  # most in any second after the flood wait
    slack: float | None = None  # the shortest span of limit + 1 accepted sends, less the window


def slack(ordered: Sequence[float], limit: int, window: float = 1.0) -> float | None:
    """How close the sender came to the limit where it is counted: the shortest time `limit + 1`
    consecutive accepted sends took, less the window (never negative: the fake refuses the one over)."""
    spans = [ordered[k + limit] - ordered[k] for k in range(len(ordered) - limit)]
    return min(spans) - window if spans else None


def analyse(
    times: Sequence[float], flood_until: float | None, measure_from: float = 0.0, limit: int = 0
) -> Arrivals:
    ordered = sorted(times)
    if len(ordered) < 2:
        return Arrivals(0.0, len(ordered))
    start = ordered[0] + measure_from
    counted = [t for t in ordered if t >= start]
    span = counted[-1] - counted[0] if len(counted) > 1 else 0.0
    resume = peak_after = None
    if flood_until is not None:
        before = [t for t in counted if t < flood_until]
        after = [t for t in counted if t >= flood_until]
        if before and after:
            span -= after[0] - before[-1]  # the wait itself is not the sender's pace
            resume = after[0] - flood_until
            peak_after = most_in_any_window(after)
    rate = (len(counted) - 1) / span if span > 0 and len(counted) >= 10 else 0.0  # too few: no rate
    tightest = slack(ordered, limit) if limit else None
    return Arrivals(rate, most_in_any_window(ordered), resume, peak_after, tightest)


def p95(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


async def reply_latencies(
    fake: FakeTelegramProcess, first_user: int, count: int, *, start_after: float, every: float
) -> list[float]:
    """People who are not in the broadcast write /start while it goes out; seconds until the bot's
    first answer reaches each of them (asked of the fake, which records arrival)."""
    await fake.control(
        "POST",
        "users",
        {
            "users": [
                {"id": first_user + n, "first_name": "Asker", "language_code": "en"} for n in range(count)
            ]
        },
    )
    await asyncio.sleep(start_after)

    async def ask(n: int) -> float:
        await asyncio.sleep(n * every)
        user = first_user + n
        asked = time.monotonic()
        await fake.control("POST", "send_text", {"user_id": user, "text": "/start"})
        await fake.control("GET", f"chats/{user}/messages?count=1&timeout=60")
        return time.monotonic() - asked

    return list(await asyncio.gather(*(ask(n) for n in range(count))))
