"""Relative times ("in 2 hours", "tomorrow 10:00") resolve against the clock given, on Tbilisi's calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaigns.moments import relative
from campaigns.schedule import TBILISI


def _tbilisi(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TBILISI).astimezone(UTC)


NOON = datetime(2026, 12, 4, 8, 17, 42, tzinfo=UTC)  # 12:17:42 in Tbilisi
LATE = datetime(2026, 12, 31, 21, 30, tzinfo=UTC)  # 1 January 2027, 01:30 in Tbilisi (UTC still in 2026)
FEB = datetime(2027, 2, 28, 19, 30, tzinfo=UTC)  # 23:30 on the last day of February in Tbilisi


@pytest.mark.parametrize(
    ("label", "written", "now", "expected"),
    [
        ("now", "now", NOON, NOON),
        ("hours, to the minute", "in 2 hours", NOON, _tbilisi("2026-12-04 14:17")),
        ("short units", "in 1d12h", NOON, _tbilisi("2026-12-06 00:17")),
        ("weeks", "in 3 weeks", NOON, _tbilisi("2026-12-25 12:17")),
        ("days at a time", "in 14 days at 18:00", NOON, _tbilisi("2026-12-18 18:00")),
        ("tomorrow", "tomorrow 10:00", NOON, _tbilisi("2026-12-05 10:00")),
        ("today, any case and spacing", "  Today   at 18:00 ", NOON, _tbilisi("2026-12-04 18:00")),
        ("tomorrow is Tbilisi's, not UTC's", "tomorrow 10:00", LATE, _tbilisi("2027-01-02 10:00")),
        ("month end", "tomorrow 09:30", FEB, _tbilisi("2027-03-01 09:30")),
        ("over a month end", "in 1 day at 9:00", FEB, _tbilisi("2027-03-01 09:00")),
    ],
)
def test_relative_times_resolve_from_the_clock(
    label: str, written: str, now: datetime, expected: datetime
) -> None:
    assert relative(written, now) == expected


@pytest.mark.parametrize(
    "written", ["2026-12-01 10:00", "tomorrow", "in 0 days", "in 2 fortnights", "in 2h at 25:00", "soon", ""]
)
def test_anything_else_is_not_a_relative_time(written: str) -> None:
    assert relative(written, NOON) is None
