"""The citizen's side: the list in each language, RSVP and changing one's mind, names only when needed,
questions sent in advance (stored as typed), and the edges (stale buttons, closed hearings, limits)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.i18n import LANGUAGES, render
from channels.message import Outgoing, Reply
from channels.telegram.render import render_telegram
from hearings import officers
from hearings.service import NAME_MAX, QUESTION_MAX, QUESTIONS_PER_PERSON, HearingConversation
from storage.models import Channel, Contact
from storage.models.hearings import HearingQuestion, HearingRsvp, Rsvp
from tests.campaigns.people import add_person
from tests.hearings.builders import NOW, STARTS, coordinator, hearing, hours


def text_of(reply: Reply, lang: str = "en") -> str:
    return "\n\n".join(render(part, lang) for message in reply for part in message.parts)


def talk(session: AsyncSession, contact: Contact, now: datetime = NOW) -> HearingConversation:
    return HearingConversation(session, contact, Channel.TELEGRAM, now)


async def rsvps(session: AsyncSession) -> list[tuple[int, Rsvp, str | None]]:
    rows = (await session.scalars(select(HearingRsvp).order_by(HearingRsvp.id))).all()
    return [(row.contact_id, Rsvp(row.answer), row.name) for row in rows]


@pytest.mark.parametrize(
    ("label", "starts_at", "expected"),
    [
        (
            "winter afternoon",
            STARTS,
            {
                "ka": "15 დეკემბერი 2026, 15:00",
                "az": "15 dekabr 2026, 15:00",
                "hy": "15 դեկտեմբերի 2026, 15:00",
                "ru": "15 декабря 2026, 15:00",
                "en": "15 December 2026, 15:00",
            },
        ),
        (
            "UTC evening is the next day in Tbilisi",
            datetime(2026, 12, 31, 20, 30, tzinfo=UTC),
            {
                "ka": "1 იანვარი 2027, 00:30",
                "az": "1 yanvar 2027, 00:30",
                "hy": "1 հունվարի 2027, 00:30",
                "ru": "1 января 2027, 00:30",
                "en": "1 January 2027, 00:30",
            },
        ),
        (
            "summer: still UTC+4, Georgia has no DST",
            datetime(2027, 7, 1, 11, 0, tzinfo=UTC),
            {
                "ka": "1 ივლისი 2027, 15:00",
                "az": "1 iyul 2027, 15:00",
                "hy": "1 հուլիսի 2027, 15:00",
                "ru": "1 июля 2027, 15:00",
                "en": "1 July 2027, 15:00",
            },
        ),
    ],
)
async def test_list_shows_tbilisi_time_in_each_language(
    sessions: async_sessionmaker[AsyncSession], label: str, starts_at: datetime, expected: dict[str, str]
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(
            session,
            starts_at=starts_at,
            interpretation=["az", "hy"],
            accessibility={"en": "Ramp at the entrance", "ka": "პანდუსი"},
        )
        for lang in LANGUAGES:
            person = await add_person(session, language=lang)
            reply = await talk(session, person).list_upcoming()
            shown = text_of(reply, lang)
            assert expected[lang] in shown, (label, lang, shown)
            assert found.title.get(lang, found.title["ka"]) in shown
            assert [c.data for c in reply[1].choices] == [
                f"hr:{found.id}:go",
                f"hr:{found.id}:maybe",
                f"hr:{found.id}:no",
                f"hq:{found.id}",
            ]


@pytest.mark.parametrize(
    ("lang", "interpreted"),
    [("en", "Azerbaijani, Armenian"), ("ru", "азербайджанский, армянский"), ("ka", "აზერბაიჯანული, სომხური")],
)
async def test_interpretation_languages_are_named_in_the_readers_language(
    sessions: async_sessionmaker[AsyncSession], lang: str, interpreted: str
) -> None:
    async with sessions() as session, session.begin():
        await hearing(session, interpretation=["az", "hy"])
        person = await add_person(session, language=lang)
        assert interpreted in text_of(await talk(session, person).list_upcoming(), lang)


async def test_list_only_upcoming_announced_of_own_municipality(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        shown = await hearing(session, title={"ka": "ჩვენი", "en": "Ours"})
        await hearing(session, announced=False, title={"ka": "მონახაზი", "en": "Draft"})
        await hearing(session, municipality="batumi", title={"ka": "ბათუმი", "en": "Batumi's"})
        past = await hearing(session, title={"ka": "ძველი", "en": "Old"}, starts_at=NOW + hours(1))
        cancelled = await hearing(session, title={"ka": "გაუქმებული", "en": "Cancelled"})
        await officers.cancel(session, cancelled.id, await coordinator(session), NOW)
        person = await add_person(session, language="en")
        reply = await talk(session, person, now=NOW + hours(2)).list_upcoming()
    assert [m.choices[0].data for m in reply[1:]] == [f"hr:{shown.id}:go"]
    assert past.id != shown.id
    assert person.dialog_data["choices"] == [c.data for c in reply[1].choices]


@pytest.mark.parametrize(
    ("label", "municipality", "consent", "expected"),
    [
        ("no municipality", None, True, "Choose your municipality first"),
        ("not signed up", "marneuli", False, "Please finish signing up first"),
        ("nothing planned", "dmanisi", True, "There are no upcoming public hearings right now (Dmanisi)."),
    ],
)
async def test_list_edges(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    municipality: str | None,
    consent: bool,
    expected: str,
) -> None:
    async with sessions() as session, session.begin():
        await hearing(session)
        person = await add_person(session, municipality=municipality, consent=consent, language="en")
        assert expected in text_of(await talk(session, person).list_upcoming()), label


async def test_rsvp_is_created_then_changed_not_duplicated(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session, language="en")
        first = await talk(session, person).choose(f"hr:{found.id}:go")
        assert "You said you will come to “Budget hearing”" in text_of(first)
        second = await talk(session, person, now=NOW + hours(1)).choose(f"hr:{found.id}:maybe")
        assert "you may come" in text_of(second)
        stored = await rsvps(session)
        row = await session.scalar(select(HearingRsvp))
    assert stored == [(person.id, Rsvp.MAYBE, None)]
    assert row is not None and row.updated_at == NOW + hours(1) and row.created_at == NOW


async def test_list_marks_the_persons_answer(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session, language="en")
        await talk(session, person).choose(f"hr:{found.id}:no")
        listed = (await talk(session, person).list_upcoming())[1]
    assert [c.selected for c in listed.choices] == [False, False, True, False]
    assert "Your answer: I will not come" in text_of([listed])


@pytest.mark.parametrize(
    ("names_required", "answer", "asks_name"),
    [
        (True, "go", True),
        (True, "maybe", True),
        (True, "no", False),
        (False, "go", False),
        (False, "maybe", False),
    ],
)
async def test_name_is_asked_only_when_the_hearing_needs_it(
    sessions: async_sessionmaker[AsyncSession], names_required: bool, answer: str, asks_name: bool
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session, names_required=names_required)
        person = await add_person(session, language="en")
        reply = await talk(session, person).choose(f"hr:{found.id}:{answer}")
    assert ("Please type your first and last name" in text_of(reply)) is asks_name
    assert person.dialog_state == (f"hearing.name.{found.id}" if asks_name else None)


async def test_name_is_stored_then_dropped_when_not_coming(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session, names_required=True)
        person = await add_person(session, language="en")
        await talk(session, person).choose(f"hr:{found.id}:go")
        too_long = await talk(session, person).text("x" * (NAME_MAX + 1))
        assert "at most 100 characters" in text_of(too_long)
        assert person.dialog_state == f"hearing.name.{found.id}"
        thanks = await talk(session, person).text("  Nino \n Beridze ")
        assert text_of(thanks) == "Thank you, Nino Beridze. Your name is noted for “Budget hearing”."
        assert person.dialog_state is None
        assert await rsvps(session) == [(person.id, Rsvp.GOING, "Nino Beridze")]
        again = await talk(session, person).choose(f"hr:{found.id}:maybe")
        assert "first and last name" not in text_of(again), "a name already given is not asked again"
        await talk(session, person).choose(f"hr:{found.id}:no")
        assert await rsvps(session) == [(person.id, Rsvp.NOT_GOING, None)]


async def test_question_is_stored_as_typed_and_echoed_escaped(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    typed = "Will <b>school</b> roads & bridges in Kesalo be fixed? <script>x</script>"
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session, language="en")
        prompt = await talk(session, person).choose(f"hq:{found.id}")
        assert f"at most {QUESTION_MAX} characters" in text_of(prompt)
        assert person.dialog_state == f"hearing.question.{found.id}"
        thanks = await talk(session, person).text(f"  {typed}\n")
        stored = (await session.scalars(select(HearingQuestion))).all()
    assert [(q.text, q.contact_id, q.status) for q in stored] == [(typed, person.id, "received")]
    assert person.dialog_state is None
    shown = render_telegram(thanks[0], "en").text
    assert "Will &lt;b&gt;school&lt;/b&gt; roads &amp; bridges in Kesalo be fixed? &lt;script&gt;" in shown
    assert "<b>" not in shown


@pytest.mark.parametrize(
    ("label", "typed", "expected"),
    [
        ("empty", "", "Please type your question as text."),
        ("only spaces", " \n\t ", "Please type your question as text."),
        ("one character too long", "ა" * (QUESTION_MAX + 1), "Your question is 1001 characters long."),
    ],
)
async def test_unusable_question_gets_help_and_keeps_the_state(
    sessions: async_sessionmaker[AsyncSession], label: str, typed: str, expected: str
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session, language="en")
        await talk(session, person).choose(f"hq:{found.id}")
        reply = await talk(session, person).text(typed)
        count = len((await session.scalars(select(HearingQuestion))).all())
    assert expected in text_of(reply), label
    assert (count, person.dialog_state) == (0, f"hearing.question.{found.id}")


async def test_question_of_exactly_the_limit_is_accepted(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session, language="en")
        await talk(session, person).choose(f"hq:{found.id}")
        await talk(session, person).text("ა" * QUESTION_MAX)
        stored = (await session.scalars(select(HearingQuestion))).one()
    assert len(stored.text) == QUESTION_MAX


async def test_questions_per_person_are_limited(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session, language="en")
        for number in range(QUESTIONS_PER_PERSON):
            await talk(session, person).choose(f"hq:{found.id}")
            await talk(session, person).text(f"question {number}")
        refused = await talk(session, person).choose(f"hq:{found.id}")
    assert "You have already sent 5 questions" in text_of(refused)
    assert person.dialog_state is None


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("unknown namespace", "zz:1:go"),
        ("not an id", "hr:abc:go"),
        ("unknown answer", "hr:{id}:yes"),
        ("no such hearing", "hr:999999:go"),
        ("draft", "hr:{draft}:go"),
    ],
)
async def test_stale_or_forged_buttons_are_answered_not_obeyed(
    sessions: async_sessionmaker[AsyncSession], label: str, data: str
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        draft = await hearing(session, announced=False)
        person = await add_person(session, language="en")
        reply = await talk(session, person).choose(data.format(id=found.id, draft=draft.id))
        assert text_of(reply) == "This button is no longer active.", label
        assert await rsvps(session) == []


@pytest.mark.parametrize(
    ("label", "cancel", "later", "expected"),
    [
        ("cancelled", True, 0, "This public hearing has been cancelled."),
        ("started", False, 15 * 24, "This public hearing has already taken place."),
    ],
)
async def test_closed_hearing_takes_no_rsvp_and_no_pending_question(
    sessions: async_sessionmaker[AsyncSession], label: str, cancel: bool, later: int, expected: str
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session, language="en")
        await talk(session, person).choose(f"hq:{found.id}")
        if cancel:
            await officers.cancel(session, found.id, await coordinator(session), NOW)
        when = NOW + hours(later)
        assert text_of(await talk(session, person, when).text("my question")) == expected
        assert person.dialog_state is None
        assert text_of(await talk(session, person, when).choose(f"hr:{found.id}:go")) == expected
        assert (await session.scalars(select(HearingQuestion))).all() == []


async def test_text_outside_a_hearing_dialog_points_to_the_list(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        person = await add_person(session, language="en")
        person.dialog_state = "hearing.question.999999"
        reply = await talk(session, person).text("hello")
    assert "Send /hearings" in text_of(reply)
    assert person.dialog_state is None


async def test_listing_leaves_another_conversations_state_alone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await hearing(session)
        person = await add_person(session, language="en")
        person.dialog_state, person.dialog_data = "settings.topics", {"onboarding": False}
        reply: Reply = await talk(session, person).list_upcoming()
    assert person.dialog_state == "settings.topics"
    assert isinstance(reply[0], Outgoing)
