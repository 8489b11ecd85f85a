"""Hearing calendars: the instant the officer meant, in Tbilisi time, and the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from hearings.calendar import calendar, in_language
from storage.models import Municipality
from storage.models.hearings import Hearing, HearingStatus

START = datetime(2027, 1, 31, 20, 0, tzinfo=UTC)  # 1 February, 00:00 in Tbilisi: the day changes


def _hearing() -> Hearing:
    return Hearing(
        id=7,
        municipality_id=1,
        title={"en": "Budget", "az": "Büdcə"},
        description={},
        place={"en": "Hall"},
        accessibility={"en": "Ramp"},
        fallback_language="en",
        starts_at=START,
        duration_minutes=120,
        interpretation=["hy"],
        status=HearingStatus.ANNOUNCED,
        created_by="x",
        updated_at=START,
    )


def test_the_event_parses_back_to_the_same_instant_in_tbilisi_time() -> None:
    place = Municipality(id=1, code="dmanisi", names={"en": "Dmanisi"}, official_names={})
    parsed = icalendar.Calendar.from_ical(
        calendar([_hearing()], place, "az", name="x", base_url="https://e.ge/")
    )
    [event] = parsed.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == START and start.utcoffset() == timedelta(hours=4) and start.day == 1
    assert event.decoded("dtend") - start == timedelta(hours=2)
    assert str(event["summary"]) == "Büdcə" and str(event["location"]) == "Hall"
    assert str(event["url"]) == "https://e.ge/m/dmanisi#hearing-7"


def test_text_falls_back_to_the_declared_language() -> None:
    assert in_language({"en": "Hall", "ka": "დარბაზი"}, "hy", "ka") == "დარბაზი"
    assert in_language({"en": "Hall"}, "hy", "ka") == "Hall"
