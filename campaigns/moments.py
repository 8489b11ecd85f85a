"""Times as staff write them: an absolute Tbilisi time, or one relative to when the file is read.

Relative times ("in 2 hours", "in 14 days at 18:00", "tomorrow 10:00", "today at 18:00") are resolved
once, when a campaign or hearing is created, and stored as the absolute time they named then; so a
shipped example never goes stale, and what is approved is a fixed time, not one that keeps moving.
Whole days are counted on Tbilisi's calendar (UTC+4 all year, no daylight saving time).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from campaigns.schedule import TBILISI

_UNITS = {
    spelling: length
    for length, spellings in (
        (timedelta(minutes=1), ("m", "min", "minute", "minutes")),
        (timedelta(hours=1), ("h", "hour", "hours")),
        (timedelta(days=1), ("d", "day", "days")),
        (timedelta(weeks=1), ("w", "week", "weeks")),
    )
    for spelling in spellings
}
_AMOUNT = re.compile(r"(\d{1,4})\s*([a-z]+)", re.ASCII)
_CLOCK = r"(?:\s+(?:at\s+)?(?P<clock>\d{1,2}:\d{2}))"
_IN = re.compile(rf"^in\s+(?P<amounts>(?:\d{{1,4}}\s*[a-z]+\s*?)+?){_CLOCK}?$", re.ASCII)
_DAY = re.compile(rf"^(?P<day>today|tomorrow){_CLOCK}$", re.ASCII)

EXAMPLES = '"in 2 hours", "in 14 days at 18:00", "tomorrow 10:00"'


def relative(value: Any, now: datetime) -> datetime | None:
    """The moment a relative time names, counted from `now` (UTC, whole minutes); None when `value` is
    not a relative time (an ISO date and time, say). `now` alone is `now`."""
    if isinstance(value, date):
        return None
    text = " ".join(str(value).strip().lower().split())
    if text == "now":
        return now.astimezone(UTC)
    local = now.astimezone(TBILISI)
    if match := _DAY.match(text):
        day = local.date() + timedelta(days=1 if match["day"] == "tomorrow" else 0)
        return _at(day, match["clock"])
    match = _IN.match(text)
    if match is None:
        return None
    delta = timedelta(0)
    for amount, unit in _AMOUNT.findall(match["amounts"]):
        if unit not in _UNITS:
            return None
        delta += int(amount) * _UNITS[unit]
    if delta <= timedelta(0):
        return None
    moment = local + delta
    if match["clock"]:
        return _at(moment.date(), match["clock"])
    return moment.replace(second=0, microsecond=0).astimezone(UTC)


def _at(day: date, clock: str | None) -> datetime | None:
    if clock is None:
        return None
    try:
        wall = time.fromisoformat(clock.zfill(5))
    except ValueError:
        return None
    return datetime.combine(day, wall, tzinfo=TBILISI).astimezone(UTC)
