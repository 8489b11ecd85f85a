"""Quiet hours, cron next-fire times and step schedules, table-driven with the clock as a parameter.

Asia/Tbilisi is UTC+4 all year (no DST since 2005), so the edges worth testing are the quiet-hour
boundaries, midnight, month ends (including February in a leap year) and the year end.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from campaigns.errors import InvalidDefinition
from campaigns.schedule import (
    ONCE,
    TBILISI,
    QuietHours,
    StepSchedule,
    apply_quiet_hours,
    cron_trigger,
    occurrence_key,
    occurrence_time,
    parse_offset,
)
from storage.models.campaigns import ScheduleKind


def tb(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TBILISI)


QUIET_CASES = [
    ("21:59 is before quiet hours", tb(2026, 11, 25, 21, 59), tb(2026, 11, 25, 21, 59)),
    ("22:00 starts them: next morning", tb(2026, 11, 25, 22, 0), tb(2026, 11, 26, 9, 0)),
    ("23:30", tb(2026, 11, 25, 23, 30), tb(2026, 11, 26, 9, 0)),
    ("midnight: same morning", tb(2026, 11, 26, 0, 0), tb(2026, 11, 26, 9, 0)),
    ("08:59 waits one minute", tb(2026, 11, 26, 8, 59), tb(2026, 11, 26, 9, 0)),
    ("09:00 ends them", tb(2026, 11, 26, 9, 0), tb(2026, 11, 26, 9, 0)),
    ("month end (30 days)", tb(2026, 11, 30, 22, 15), tb(2026, 12, 1, 9, 0)),
    ("month end (31 days)", tb(2027, 1, 31, 23, 0), tb(2027, 2, 1, 9, 0)),
    ("February, common year", tb(2027, 2, 28, 22, 0), tb(2027, 3, 1, 9, 0)),
    ("February, leap year", tb(2028, 2, 28, 22, 0), tb(2028, 2, 29, 9, 0)),
    ("leap day itself", tb(2028, 2, 29, 23, 59), tb(2028, 3, 1, 9, 0)),
    ("year end", tb(2026, 12, 31, 22, 0), tb(2027, 1, 1, 9, 0)),
    ("new year's night", tb(2027, 1, 1, 3, 0), tb(2027, 1, 1, 9, 0)),
    (
        "given in UTC: 18:00Z is 22:00 in Tbilisi",
        datetime(2026, 6, 21, 18, 0, tzinfo=UTC),
        tb(2026, 6, 22, 9, 0),
    ),
    (
        "given in UTC: 17:59Z is 21:59 in Tbilisi",
        datetime(2026, 6, 21, 17, 59, tzinfo=UTC),
        tb(2026, 6, 21, 21, 59),
    ),
]


@pytest.mark.parametrize(("label", "moment", "expected"), QUIET_CASES, ids=[c[0] for c in QUIET_CASES])
def test_quiet_hours_defer_to_their_end(label: str, moment: datetime, expected: datetime) -> None:
    result = apply_quiet_hours(moment, QuietHours())
    assert result == expected
    assert result.tzinfo is not None


@pytest.mark.parametrize(
    ("label", "quiet", "moment", "expected"),
    [
        (
            "daytime window 13:00-15:00, inside",
            QuietHours(time(13), time(15)),
            tb(2026, 5, 1, 14),
            tb(2026, 5, 1, 15),
        ),
        (
            "daytime window, at its end",
            QuietHours(time(13), time(15)),
            tb(2026, 5, 1, 15),
            tb(2026, 5, 1, 15),
        ),
        ("disabled (start == end)", QuietHours(time(0), time(0)), tb(2026, 5, 1, 3), tb(2026, 5, 1, 3)),
        (
            "parsed 23:00-07:30",
            QuietHours.parse("23:00-07:30"),
            tb(2026, 5, 1, 23, 10),
            tb(2026, 5, 2, 7, 30),
        ),
    ],
)
def test_configured_quiet_hours(label: str, quiet: QuietHours, moment: datetime, expected: datetime) -> None:
    assert apply_quiet_hours(moment, quiet) == expected


def test_quiet_hours_setting_must_be_well_formed() -> None:
    with pytest.raises(ValueError, match="22:00-09:00"):
        QuietHours.parse("ten to six")


CRON_CASES = [
    (
        "crontab 1 is Monday (APScheduler alone says Tuesday)",
        "0 9 * * 1",
        tb(2026, 11, 25, 12),
        tb(2026, 11, 30, 9),
    ),
    ("midnight", "0 0 * * *", tb(2026, 11, 25, 23, 59), tb(2026, 11, 26, 0, 0)),
    ("crontab 0 is Sunday", "0 9 * * 0", tb(2026, 11, 25, 12), tb(2026, 11, 29, 9)),
    ("crontab 7 is Sunday too", "0 9 * * 7", tb(2026, 11, 25, 12), tb(2026, 11, 29, 9)),
    ("names work", "0 9 * * fri", tb(2026, 11, 25, 12), tb(2026, 11, 27, 9)),
    ("weekdays range 1-5 from a Saturday", "30 18 * * 1-5", tb(2026, 11, 28, 12), tb(2026, 11, 30, 18, 30)),
    ("every day, later today", "0 18 * * *", tb(2026, 11, 25, 12), tb(2026, 11, 25, 18)),
    ("exactly now is not next", "0 12 * * *", tb(2026, 11, 25, 12), tb(2026, 11, 26, 12)),
    ("31st skips 30-day months", "0 10 31 * *", tb(2026, 11, 1), tb(2026, 12, 31, 10)),
    ("29 February waits for a leap year", "0 10 29 2 *", tb(2026, 3, 1), tb(2028, 2, 29, 10)),
    ("first of the month across the year end", "0 10 1 * *", tb(2026, 12, 15), tb(2027, 1, 1, 10)),
    ("new year's eve", "0 20 31 12 *", tb(2026, 12, 31, 21), tb(2027, 12, 31, 20)),
]


@pytest.mark.parametrize(("label", "expr", "now", "expected"), CRON_CASES, ids=[c[0] for c in CRON_CASES])
def test_cron_next_fire_in_tbilisi(label: str, expr: str, now: datetime, expected: datetime) -> None:
    recurring = StepSchedule(ScheduleKind.RECURRING, cron=expr)
    assert recurring.next_time(tb(2026, 1, 1), after=now) == expected


@pytest.mark.parametrize(
    ("label", "expr", "fragment"),
    [
        ("four fields", "0 9 * *", "is not a crontab expression"),
        ("every minute", "* 9 * * *", "must name the minute"),
        ("day and weekday both", "0 9 1 * 1", "not both"),
        ("bad weekday", "0 9 * * 8", "is not a crontab expression"),
        ("bad hour", "0 25 * * *", "is not a crontab expression"),
        ("backwards range", "0 9 * * 5-1", "is not a crontab expression"),
    ],
)
def test_bad_cron_is_refused(label: str, expr: str, fragment: str) -> None:
    with pytest.raises(InvalidDefinition, match=fragment):
        cron_trigger(expr)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-2d", timedelta(days=-2)),
        ("-1d12h", -timedelta(days=1, hours=12)),
        ("+3h", timedelta(hours=3)),
        ("-30m", timedelta(minutes=-30)),
        ("1d", timedelta(days=1)),
    ],
)
def test_offsets(text: str, expected: timedelta) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize("text", ["", "-", "two days", "-2w"])
def test_bad_offsets(text: str) -> None:
    with pytest.raises(InvalidDefinition):
        parse_offset(text)


SCHEDULED = tb(2026, 11, 25, 12)


@pytest.mark.parametrize(
    ("label", "schedule", "expected"),
    [
        ("now fires when scheduled", StepSchedule(ScheduleKind.NOW), SCHEDULED),
        ("at", StepSchedule(ScheduleKind.AT, send_at=tb(2026, 12, 1, 10)), tb(2026, 12, 1, 10)),
        (
            "two days before a hearing",
            StepSchedule(ScheduleKind.RELATIVE, event_at=tb(2026, 12, 10, 18), offset=timedelta(days=-2)),
            tb(2026, 12, 8, 18),
        ),
        (
            "day after, across the month end",
            StepSchedule(ScheduleKind.RELATIVE, event_at=tb(2026, 11, 30, 18), offset=timedelta(days=1)),
            tb(2026, 12, 1, 18),
        ),
        (
            "recurring: first match after scheduling",
            StepSchedule(ScheduleKind.RECURRING, cron="0 10 * * 1"),
            tb(2026, 11, 30, 10),
        ),
    ],
)
def test_first_fire_time(label: str, schedule: StepSchedule, expected: datetime) -> None:
    assert next(schedule.fire_times(SCHEDULED)) == expected


def test_recurring_stops_at_until_and_collapses_missed_occurrences() -> None:
    weekly = StepSchedule(ScheduleKind.RECURRING, cron="0 10 * * 1", until=tb(2026, 12, 14, 10))
    assert list(weekly.fire_times(SCHEDULED)) == [
        tb(2026, 11, 30, 10),
        tb(2026, 12, 7, 10),
        tb(2026, 12, 14, 10),
    ]
    assert weekly.next_time(SCHEDULED, tb(2026, 12, 14, 10)) is None
    assert weekly.latest_due(SCHEDULED, None, tb(2026, 12, 9)) == tb(2026, 12, 7, 10)
    assert weekly.latest_due(SCHEDULED, tb(2026, 12, 7, 10), tb(2026, 12, 9)) is None


def test_single_steps_have_one_occurrence() -> None:
    at = StepSchedule(ScheduleKind.AT, send_at=tb(2026, 12, 1, 10))
    assert list(at.fire_times(SCHEDULED, after=tb(2026, 12, 1, 10))) == []
    assert ONCE == "once"


def test_occurrence_keys_are_utc_minutes_and_round_trip() -> None:
    moment = tb(2027, 1, 1, 3, 0)
    assert occurrence_key(moment) == "20261231T2300Z"
    assert occurrence_time(occurrence_key(moment)) == moment
