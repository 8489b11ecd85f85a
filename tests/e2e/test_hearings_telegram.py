"""Public hearings through `civicbot serve` and the fake Bot API: a signed-up person lists the hearings of
their municipality, RSVPs, and sends a question in advance that comes back escaped, never as markup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from channels.i18n import format_param
from hearings import officers
from hearings.definition import HearingDraft
from storage.db import create_engine, session_factory, unit_of_work
from storage.models.campaigns import Role
from storage.models.hearings import HearingQuestion, HearingRsvp
from tests.campaigns.people import add_staff
from tests.e2e.conftest import CONVERSATION_PER_CHAT, TOKEN
from tests.e2e.service import RunningService
from tests.e2e.test_telegram_onboarding import Person
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow

QUESTION = "Will the <b>school road</b> & the bridge in Kesalo be repaired in 2027?"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    """Strict HTML: a bare `&` or `<` the bot forgot to escape is refused, as a typo-free proof. At the
    conversation pace, as `service` is configured (`CONVERSATION_PER_CHAT`)."""
    async with FakeTelegram(TOKEN, strict_html=True, per_chat_limit=CONVERSATION_PER_CHAT) as fake:
        yield fake


async def _announced_hearing(database_url: str, starts_at: datetime) -> int:
    engine = create_engine(database_url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            officer = await add_staff(session, "nino", Role.OFFICER, "marneuli")
            draft = HearingDraft.from_dict(
                {
                    "municipality": "marneuli",
                    "title": {"ka": "ბიუჯეტის საჯარო განხილვა", "en": "Public hearing on the 2027 budget"},
                    "place": {"ka": "მარნეულის მერია", "en": "Marneuli City Hall"},
                    "starts_at": starts_at,
                    "duration_minutes": 120,
                    "interpretation": ["az", "hy"],
                }
            )
            hearing = await officers.create(session, draft, officer)
            await officers.announce(session, hearing.id, officer)
            return hearing.id
    finally:
        await engine.dispose()


async def _sign_up(person: Person) -> None:
    await person.say("/start")
    await person.press("lang:en")
    await person.press("mun:marneuli")
    await person.press("cons:yes", expect=2)
    await person.press("topd:")
    await person.press("prof:skip")


async def test_list_rsvp_and_ask_a_question_with_markup_characters(
    service: RunningService, telegram: FakeTelegram, database_url: str
) -> None:
    starts_at = (datetime.now(UTC) + timedelta(days=10)).replace(hour=11, minute=0, second=0, microsecond=0)
    hearing_id = await _announced_hearing(database_url, starts_at)
    person = Person(telegram, 7101, language_code="en")
    await _sign_up(person)

    calendar_file, heading, listed = await person.say("/hearings", expect=3)
    assert calendar_file == "Public hearing on the 2027 budget", (
        "each hearing's .ics, captioned with its title"
    )
    assert [m.kind for m in telegram.messages(person.id)[-3:]] == ["document", "text", "text"]
    assert heading == "Upcoming public hearings (Marneuli):"
    assert "Public hearing: Public hearing on the 2027 budget" in listed
    assert f"When: {format_param(starts_at, 'en')}–17:00 (Tbilisi time)" in listed
    assert ", 15:00–17:00" in listed, "11:00 UTC is 15:00 in Tbilisi"
    assert "Interpretation into Azerbaijani, Armenian is provided." in listed

    (confirmed,) = await person.press(f"hr:{hearing_id}:go")
    assert confirmed.startswith("Thank you! You said you will come to “Public hearing on the 2027 budget”.")

    (prompt,) = await person.press(f"hq:{hearing_id}")
    assert "Please type your question" in prompt
    (help_text,) = await person.say("/help")
    assert help_text.startswith("Here is what I can do:"), "a command is not taken for the question"
    (echo,) = await person.say(QUESTION)
    sent = telegram.messages(person.id)[-1]
    assert echo.endswith(QUESTION), "shown exactly as typed"
    assert sent.source is not None and "&lt;b&gt;school road&lt;/b&gt; &amp; the bridge" in sent.source
    assert sent.entities == []

    _, _, again = await person.say("/hearings", expect=3)  # the .ics, the heading, the hearing
    assert "Your answer: I will come" in again

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rsvp = (await session.scalars(select(HearingRsvp))).one()
            question = (await session.scalars(select(HearingQuestion))).one()
    finally:
        await engine.dispose()
    assert (rsvp.hearing_id, rsvp.answer, rsvp.name, rsvp.channel) == (hearing_id, "going", None, "telegram")
    assert question.text == QUESTION
    assert "Traceback" not in service.log()
