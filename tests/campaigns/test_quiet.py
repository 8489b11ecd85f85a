"""Municipality settings honoured: quiet hours (the service's, or the municipality's own) and its privacy
contact."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns.quiet import next_allowed, next_allowed_for, quiet_hours_of, release
from campaigns.schedule import QuietHours
from channels.i18n import render
from contacts.privacy import PrivacyPolicy, short_notice
from handlers.sms import texts
from storage.models.places import Municipality

SERVICE = QuietHours(time(22), time(9))


def place(quiet: str | None) -> Municipality:
    return Municipality(code="marneuli", names={"en": "Marneuli"}, official_names={}, quiet_hours=quiet)


@pytest.mark.parametrize(
    ("own", "utc", "expected"),
    [
        pytest.param(
            None,
            datetime(2026, 12, 4, 3, 0, tzinfo=UTC),
            datetime(2026, 12, 4, 5, 0, tzinfo=UTC),
            id="service-default-07:00-waits-to-09:00",
        ),
        pytest.param(
            None,
            datetime(2026, 12, 4, 6, 0, tzinfo=UTC),
            datetime(2026, 12, 4, 6, 0, tzinfo=UTC),
            id="service-default-10:00-goes",
        ),
        pytest.param(
            "21:00-10:30",
            datetime(2026, 12, 4, 6, 0, tzinfo=UTC),
            datetime(2026, 12, 4, 6, 30, tzinfo=UTC),
            id="own-longer-morning",
        ),
        pytest.param(
            "off",
            datetime(2026, 12, 4, 0, 0, tzinfo=UTC),
            datetime(2026, 12, 4, 0, 0, tzinfo=UTC),
            id="own-off-at-04:00",
        ),
        pytest.param(
            "20:00-08:00",
            datetime(2026, 12, 31, 17, 0, tzinfo=UTC),
            datetime(2027, 1, 1, 4, 0, tzinfo=UTC),
            id="new-years-eve-21:00",
        ),
    ],
)
def test_next_allowed_honours_the_municipalitys_own_quiet_hours(
    own: str | None, utc: datetime, expected: datetime
) -> None:
    assert next_allowed(utc, place(own), default=SERVICE) == expected
    assert next_allowed(utc, place(own), default=SERVICE, urgent=True) == utc


def test_an_unreadable_setting_falls_back_to_the_service_never_to_none() -> None:
    assert quiet_hours_of(place("nonsense"), SERVICE) == SERVICE


def test_the_release_sentence_says_how_many_and_when() -> None:
    now = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    held = release(8, now, [datetime(2026, 12, 4, 5, 0, tzinfo=UTC)])
    assert held.sentence("notice", "notices", "Tbilisi") == (
        "8 notices queued; quiet hours in Tbilisi until 09:00, they go out from 09:00 (2026-12-04, Tbilisi time)"
    )
    assert (
        release(1, now, [now]).sentence("notice", "notices", "Tbilisi") == "1 notice queued; it goes out now"
    )
    assert (
        release(0, now, []).sentence("notice", "notices", "Tbilisi")
        == "0 notices queued (nobody new to tell)"
    )


@pytest.mark.parametrize(
    "own", [None, "dpo@marneuli.gov.ge"], ids=["service-contact", "municipality-contact"]
)
def test_the_municipalitys_privacy_contact_is_the_one_citizens_are_given(own: str | None) -> None:
    policy = PrivacyPolicy(notice_version="1", controller_contact="dpo@civicbot.ge")
    marneuli = Municipality(
        code="marneuli", names={"en": "Marneuli"}, official_names={"en": "Marneuli"}, privacy_contact=own
    )
    expected = own or "dpo@civicbot.ge"

    assert expected in render(short_notice(marneuli, policy), "en")
    assert any(expected in render(part, "en") for part in texts.privacy_details(marneuli, policy).parts)


def test_a_caller_without_quiet_hours_of_its_own_gets_the_services_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The console announced hearings with the built-in 22:00-09:00 whatever QUIET_HOURS said: every
    path that passes no quiet hours now reads the operator's setting."""
    monkeypatch.setenv("QUIET_HOURS", "20:00-10:00")
    at_nine_tbilisi = datetime(2026, 12, 4, 5, 0, tzinfo=UTC)
    assert quiet_hours_of(None) == QuietHours(time(20), time(10))
    assert next_allowed(at_nine_tbilisi, place(None)) == datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    assert next_allowed(at_nine_tbilisi, place("off")) == at_nine_tbilisi  # its own setting still wins
    monkeypatch.setenv("QUIET_HOURS", "off")
    assert next_allowed(at_nine_tbilisi, place(None)) == at_nine_tbilisi


async def test_several_municipalities_without_quiet_hours_of_their_own_read_the_setting(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What campaign firing asks (`next_allowed_for`, no quiet hours passed) follows QUIET_HOURS."""
    monkeypatch.setenv("QUIET_HOURS", "off")
    at_night = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # midnight in Tbilisi
    async with sessions() as session:
        assert await next_allowed_for(session, [], at_night) == at_night
    monkeypatch.setenv("QUIET_HOURS", "23:00-10:00")
    async with sessions() as session:
        assert await next_allowed_for(session, [], at_night) == datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
