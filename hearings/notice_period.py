"""How much notice people get of a hearing, and the minimum the municipality promised.

The notice period is recorded as the hearing's `announced_at` (set once, at the first announcement) and
its start: benchmarking's "days of notice" figure (`benchmarking.figures._notice_days`) is exactly
`starts_at - announced_at`, so a hearing moved earlier counts with the shorter notice people really had.
The announcement and the move write the same days in their audit entries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.models.hearings import Hearing

MIN_NOTICE_DAYS = 7.0  # the default of HEARING_MIN_NOTICE_DAYS


def notice_days(hearing: Hearing, now: datetime) -> float:
    """Days from the first announcement (or `now`, before it) to the start, as benchmarking counts them."""
    announced = hearing.announced_at or now
    return max(0.0, (hearing.starts_at - announced) / timedelta(days=1))


def too_short(hearing: Hearing, now: datetime, minimum_days: float = MIN_NOTICE_DAYS) -> float | None:
    """The notice in days when it is under `minimum_days`, else None."""
    days = notice_days(hearing, now)
    return days if days < minimum_days else None
