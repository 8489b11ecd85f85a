"""The hearing summary for chat, in each of the five languages: every part is translated (no English left
in another language's summary), numbers and people's words as they are."""

from __future__ import annotations

import shlex
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import staff
from channels.i18n import LANGUAGES, render
from channels.message import Joined
from hearings import officers
from hearings.service import HearingConversation
from hearings.summary import summary
from hearings.summary_chat import SummaryDesk, sections
from storage.models import Channel, Contact, Municipality
from storage.models.campaigns import Role
from storage.models.hearings import HearingQuestion, Moderation
from tests.campaigns.people import add_person
from tests.hearings.builders import NOW, coordinator, hearing, officer

ENGLISH = ("question sent in advance", "Interpretation into", "going or maybe", "Waiting list", "published on",
           "Hearing ", "As a table", "not looked at", "Names given")  # fmt: skip


async def _rendered(sessions: async_sessionmaker[AsyncSession], language: str) -> str:
    async with sessions() as session, session.begin():
        by = await coordinator(session)
        found = await hearing(
            session,
            interpretation=["az", "hy"],
            capacity=40,
            names_required=True,
            accessibility={"ka": "პანდუსი", "en": "A ramp"},
        )
        for lang in ("az", "az", "hy"):
            person = await add_person(session, language=lang)
            await _going_with_a_name(session, found.id, person.id)
            session.add(
                HearingQuestion(
                    hearing_id=found.id, contact_id=person.id, text="Yol?", moderation=Moderation.SHOWN
                )
            )
        found.starts_at = NOW - timedelta(hours=1)  # it took place: feedback can be published
        await officers.publish_feedback(session, found.id, {"ka": "გმადლობთ."}, by, NOW)
        got = await summary(session, found.id, by, NOW)
        place = await session.get_one(Municipality, found.municipality_id)
        return render(Joined(sections(got, place, by.label), "\n\n"), language)


async def _going_with_a_name(session: AsyncSession, hearing_id: int, contact_id: int) -> None:
    person = await session.get_one(Contact, contact_id)
    talk = HearingConversation(session, person, Channel.TELEGRAM, NOW)
    await talk.choose(f"hr:{hearing_id}:go")
    await talk.text(f"Name {contact_id}")


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
async def test_every_part_is_in_the_readers_language(
    sessions: async_sessionmaker[AsyncSession], language: str
) -> None:
    said = await _rendered(sessions, language)
    left = [phrase for phrase in ENGLISH if phrase in said]
    assert not left, f"English left in the {language} summary: {left}\n{said}"
    assert "Yol?" in said and "40" in said


async def test_the_english_summary_names_every_fact(sessions: async_sessionmaker[AsyncSession]) -> None:
    said = await _rendered(sessions, "en")
    for fact in (
        "going: 3 (Azerbaijani 2, Armenian 1)",
        "maybe: 0",
        "Places: 40. Waiting list: 0.",
        "Interpretation into Azerbaijani: 2 people going or maybe read it.",
        "Interpretation into Armenian: 1 person going or maybe reads it.",
        "Accessibility: A ramp",
        "3 questions sent in advance: 0 not looked at, 3 to be shown, 0 hidden.",
        "Feedback 1, published on 1 December 2026, 14:00 by coordinator: 0 sent, 0 not delivered, 3 waiting.",
        "Names given by those going or maybe:",
    ):
        assert fact in said, f"{fact!r} missing from:\n{said}"


async def test_a_hearing_number_that_does_not_exist_is_said_so(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        desk = SummaryDesk(session, await officer(session), NOW)
        [reply] = await desk.command("999")
        assert render(reply.parts[0], "en") == "No hearing 999."
        [reply] = await desk.command("budget")
        assert render(reply.parts[0], "en") == "Send /summary and the hearing's number, like /summary 3."


@pytest.mark.parametrize(
    ("name", "telegram_id"),
    [("Nino Beridze", 5550101), (None, 5550102), ("o'neil", None)],
    ids=["a name with a space", "a Telegram id only", "a quote in the name"],
)
async def test_the_table_command_names_its_reader_as_the_cli_takes_them(
    sessions: async_sessionmaker[AsyncSession], name: str | None, telegram_id: int | None
) -> None:
    """The printed command works as printed: its --as, split as a shell splits it, finds the reader."""
    async with sessions() as session, session.begin():
        reader = await staff.grant(session, Role.COORDINATOR, name=name, telegram_id=telegram_id)
        found = await hearing(session)
        [reply] = await SummaryDesk(session, reader, NOW).command(str(found.id))
        said = render(reply.parts[-1], "en")
        words = shlex.split(said[said.index("civicbot") :])
        assert words[:4] == ["civicbot", "hearing", "summary", str(found.id)]
        assert await staff.by_ref(session, words[words.index("--as") + 1]) is reader


async def test_a_number_only_unicode_calls_a_digit_is_not_taken_for_a_hearing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """ "²" and "①" pass `str.isdigit` but not `int`: they get the hint, not an error in the handler."""
    async with sessions() as session, session.begin():
        desk = SummaryDesk(session, await officer(session), NOW)
        for typed in ("²", "①", "99999999999", "-3"):  # and what no INTEGER id can be
            [reply] = await desk.command(typed)
            assert render(reply.parts[0], "en").startswith("Send /summary and the hearing's number")
            [reply] = await desk.choose(f"hsum:v:{typed}")
            assert render(reply.parts[0], "en") == "This button is no longer active."
