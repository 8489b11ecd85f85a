"""The public pages in Chromium against `civicbot serve`: every page in every language, accessible, with
no personal data in them; hearing calendars that parse back to the same instant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import LANGUAGES, t
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus, Municipality
from storage.models.hearings import Hearing, HearingQuestion, HearingRsvp, HearingStatus, Rsvp
from storage.models.surveys import ResponseStatus, SurveyAnswer, SurveyResponse
from surveys import lifecycle
from surveys.publication import publish
from tests.web.conftest import WebServer, assert_accessible, start_server, stop_server

pytestmark = pytest.mark.slow
POLL = Path(__file__).resolve().parents[2] / "surveys" / "examples" / "budget_flash_poll.yaml"
NAME, PHONE, QUESTION = (
    "Nino Beridze-Kvaratskhelia",
    "+995599123456",
    "Is the bridge on Rustaveli street safe?",
)
STARTS = datetime(2031, 3, 14, 11, 30, tzinfo=UTC)  # 15:30 in Tbilisi (UTC+4, no daylight saving)
PAGES = (
    "/",
    "/m/batumi",
    "/m/chokhatauri",
    "/m/dmanisi",
    "/m/marneuli",
    "/m/marneuli/plan",
    "/privacy",
    "/try",
)


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    server = start_server(tmp_path_factory.mktemp("web"), env={"PUBLIC_PAGES_CACHE_SECONDS": "0"})
    try:
        server.db(_seed)
        yield server
    finally:
        stop_server(server)


async def _seed(session: AsyncSession) -> int:
    """A hearing with named RSVPs and questions, and a public poll answered by eleven real people."""
    place = await session.scalar(select(Municipality).where(Municipality.code == "marneuli"))
    assert place is not None
    now = datetime.now(UTC)
    hearing = Hearing(
        municipality_id=place.id,
        title={"ka": "ბიუჯეტის განხილვა", "en": "Budget hearing", "hy": "Բյուջեի քննարկում"},
        description={"en": "The draft budget for next year."},
        place={"en": "Sakrebulo hall, Rustaveli 1"},
        accessibility={"en": "Step-free entrance."},
        fallback_language="en",
        starts_at=STARTS,
        duration_minutes=90,
        interpretation=["az", "hy"],
        names_required=True,
        status=HearingStatus.ANNOUNCED,
        created_by="test",
        announced_at=now,
    )
    session.add(hearing)
    survey, source = lifecycle.load_survey_file(POLL)
    record, _ = await lifecycle.import_survey(session, survey, source)
    await lifecycle.open_survey(session, record.code, municipalities=["marneuli"])
    await publish(session, record.code, public=True, actor="test")
    await session.flush()
    for n in range(11):
        person = Contact(
            language="hy",
            status=ContactStatus.ACTIVE,
            municipality_id=place.id,
            consent_at=now,
            consent_version="2026-11",
            created_at=now,
            last_seen_at=now,
        )
        person.identities.append(ChannelIdentity(channel=Channel.SMS, address=PHONE[:-1] + str(n)))
        session.add(person)
        await session.flush()
        session.add(
            HearingRsvp(
                hearing_id=hearing.id,
                contact_id=person.id,
                answer=Rsvp.GOING,
                name=f"{NAME} {n}",
                channel="sms",
            )
        )
        session.add(HearingQuestion(hearing_id=hearing.id, contact_id=person.id, text=f"{QUESTION} {n}"))
        response = SurveyResponse(
            survey_id=record.id,
            contact_id=person.id,
            channel="sms",
            language="hy",
            status=ResponseStatus.COMPLETED,
            position=3,
            completed_at=now,
        )
        session.add(response)
        await session.flush()
        session.add(SurveyAnswer(response_id=response.id, question="priority", value=_answer(n)))
    return hearing.id


def _answer(n: int) -> str:
    return "water" if n < 6 else "roads" if n < 8 else "kindergartens"  # 6, 2 and 3 people


def _hearing_id(server: WebServer) -> int:
    async def work(session: AsyncSession) -> int:
        found = await session.scalar(select(Hearing.id))
        assert found is not None
        return found

    return server.db(work)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pages_carry_no_personal_data(web_server: WebServer, lang: str) -> None:
    with httpx.Client(base_url=web_server.base_url, headers={"Accept-Language": lang}) as client:
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 200, path
            html = response.text
            assert f'<html lang="{lang}">' in html, path
            for secret in (NAME, PHONE[:-1], QUESTION, "sim:"):
                assert secret not in html, (path, secret)


def test_results_are_protected_and_hearings_listed(page: Any, web_server: WebServer) -> None:
    page.goto("/m/marneuli?lang=en")
    bars = page.locator("#survey-budget-flash-poll .result-bars").first.inner_text()
    assert "Water supply and sewerage\n6 (54.5%)" in bars
    assert "Roads and streets\nfewer than 5" in bars and "Kindergartens\nfewer than 5" in bars
    hearing = page.locator(".hearing").first.inner_text()
    assert "Budget hearing" in hearing and "15:30" in hearing and "Step-free entrance." in hearing
    assert "Azerbaijani" in hearing and "Armenian" in hearing
    assert_accessible(page)
    for path in ("/", "/privacy", "/m/marneuli/plan", "/m/dmanisi"):
        page.goto(path)
        assert_accessible(page)


def test_language_is_chosen_by_accept_language_and_switchable(browser: Any, web_server: WebServer) -> None:
    context = browser.new_context(base_url=web_server.base_url, locale="az-AZ")
    try:
        _switch_language(context.new_page())
    finally:
        context.close()


def _switch_language(page: Any) -> None:
    page.goto("/m/dmanisi")
    assert page.locator("html").get_attribute("lang") == "az"
    assert t("az", "Upcoming public hearings") in page.content()
    page.get_by_role("link", name="Հայերեն").click()
    assert page.locator("html").get_attribute("lang") == "hy"
    page.goto("/privacy")
    assert page.locator("html").get_attribute("lang") == "hy"  # remembered


@pytest.mark.parametrize("path", ["/m/marneuli/hearings/{id}.ics?lang=hy", "/m/marneuli/calendar.ics"])
def test_calendar_parses_back_to_the_same_instant(web_server: WebServer, path: str) -> None:
    response = httpx.get(web_server.base_url + path.format(id=_hearing_id(web_server)))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    start = events[0].decoded("dtstart")
    assert start == STARTS and start.utcoffset() == timedelta(hours=4)  # written in Tbilisi time
    assert events[0].decoded("dtend") - start == timedelta(minutes=90)
    assert NAME not in response.text and QUESTION not in response.text
    assert calendar.walk("VTIMEZONE"), "the Tbilisi zone travels with the file"
