"""The channel-neutral survey engine on SQLite and PostgreSQL: a conversation per test, one transaction
per message, as the Telegram and SMS handlers run it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.i18n import LANGUAGES, render, t
from storage.models import Channel, Contact
from storage.models.surveys import ResponseStatus, SurveyAnswer, SurveyResponse
from surveys import lifecycle
from surveys.answers import choice_numbering
from surveys.engine import THANKS
from surveys.yaml_format import load_survey_yaml
from tests.surveys.people import (
    NOW,
    Talk,
    add_person,
    data_of,
    example,
    last_question,
    open_example,
    texts,
)

KITCHEN_SINK = Path(__file__).with_name("kitchen_sink.yaml")


async def _setup(
    sessions: async_sessionmaker[AsyncSession], survey: str = "budget_flash_poll.yaml", **person: object
) -> tuple[int, int]:
    async with sessions() as session, session.begin():
        contact = await add_person(session, **person)  # type: ignore[arg-type]
        record = await open_example(session, survey)
        return contact.id, record.id


async def _kitchen_sink(sessions: async_sessionmaker[AsyncSession], **person: object) -> tuple[int, int]:
    async with sessions() as session, session.begin():
        contact = await add_person(session, **{"language": "en", **person})  # type: ignore[arg-type]
        record, _ = await lifecycle.import_survey(session, load_survey_yaml(KITCHEN_SINK), "yaml", now=NOW)
        await lifecycle.open_survey(session, record.code, now=NOW)
        return contact.id, record.id


async def _answers(sessions: async_sessionmaker[AsyncSession], contact_id: int) -> dict[str, object]:
    async with sessions() as session:
        rows = await session.execute(
            select(SurveyAnswer.question, SurveyAnswer.value, SurveyAnswer.declined)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyResponse.contact_id == contact_id)
        )
        return {name: ("declined" if declined else value) for name, value, declined in rows.all()}


async def _contact(sessions: async_sessionmaker[AsyncSession], contact_id: int) -> Contact:
    async with sessions() as session:
        return await session.get_one(Contact, contact_id)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_whole_poll_in_each_language(sessions: async_sessionmaker[AsyncSession], lang: str) -> None:
    contact_id, survey_id = await _setup(sessions, language=lang)
    talk = Talk(sessions, contact_id)
    survey = example("budget_flash_poll.yaml")

    listing = await talk.polls()
    assert data_of(listing[0]) == [f"sv:{survey_id}:go"]
    assert render(listing[0].choices[0].label, lang) == survey.title.in_language(lang)

    reply = await talk.press(f"sv:{survey_id}:go")
    assert texts(reply, lang)[0].startswith(survey.title.in_language(lang))
    first = last_question(reply)
    assert first.progress == (1, 3)
    assert texts([first], lang)[0].startswith(survey.questions[0].label.in_language(lang))
    assert (
        await _contact(sessions, contact_id)
    ).dialog_state == f"survey.{first.choices[0].data.split(':')[1]}"

    rating = last_question(await talk.press(data_of(first)[1]))  # water
    assert rating.progress == (2, 3)
    assert texts([rating], lang)[0].startswith(survey.questions[1].label.in_language(lang))
    invite = last_question(await talk.press(data_of(rating)[3]))  # 4
    assert invite.progress == (3, 3)
    assert [render(choice.label, lang) for choice in invite.choices] == [
        option.label.in_language(lang) for option in survey.questions[2].choices
    ]
    done = await talk.press(data_of(invite)[0])  # yes
    assert texts(done, lang)[-1] == render(THANKS, lang)

    assert await _answers(sessions, contact_id) == {
        "priority": "water", "spending_rating": 4, "hearing_invite": "yes",
    }  # fmt: skip
    contact = await _contact(sessions, contact_id)
    assert contact.dialog_state is None


async def test_skip_logic_leaves_out_questions_and_progress_counts_only_asked_ones(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    contact_id, survey_id = await _setup(sessions, "participation_questionnaire.yaml", language="en")
    talk = Talk(sessions, contact_id)
    reply = await talk.press(f"sv:{survey_id}:go")
    survey = example("participation_questionnaire.yaml")
    assert texts(reply)[1] == survey.questions[0].label.in_language("en")  # the opening note, shown
    aware = last_question(reply)
    assert aware.progress == (1, 9)  # questions behind skip logic count until it decides
    after_no = last_question(await talk.press(data_of(aware)[1]))  # no: `attended` is not asked
    assert texts([after_no])[0].startswith(survey.question("submit_know").label.in_language("en"))
    assert after_no.progress == (2, 7)  # `attended` and `hearings_count` will not be asked
    assert "attended" not in await _answers(sessions, contact_id)


async def test_stop_and_come_back_resumes_at_the_same_question(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    contact_id, survey_id = await _setup(sessions, language="az")
    talk = Talk(sessions, contact_id)
    first = last_question(await talk.press(f"sv:{survey_id}:go"))
    second = last_question(await talk.press(data_of(first)[0]))

    assert [data_of(m) for m in await talk.polls()] == [[f"sv:{survey_id}:go"]]  # still listed
    again = await talk.press(f"sv:{survey_id}:go")
    assert texts(again, "az")[0] == t("az", "Welcome back! Let us continue where you stopped.")
    assert last_question(again) == second
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


async def test_a_finished_survey_is_politely_refused_and_no_longer_listed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    contact_id, survey_id = await _setup(sessions, language="en")
    talk = Talk(sessions, contact_id)
    question = last_question(await talk.press(f"sv:{survey_id}:go"))
    for pick in (0, 0, 0):
        reply = await talk.press(data_of(question)[pick])
        question = reply[-1]
    assert texts(await talk.press(f"sv:{survey_id}:go")) == [
        "You have already answered this survey. Thank you!"
    ]
    assert texts(await talk.polls()) == ["There are no open surveys for you right now."]
    async with sessions() as session:
        response = await session.scalar(select(SurveyResponse))
        assert response is not None and response.status == ResponseStatus.COMPLETED
        assert await session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("banana", "Please reply with the number of one option, from 1 to 6."),
        ("7", "Please reply with the number of one option, from 1 to 6."),
        ("", "This question needs an answer."),
    ],
)
async def test_a_bad_answer_gets_the_error_and_the_question_again(
    sessions: async_sessionmaker[AsyncSession], typed: str, error: str
) -> None:
    contact_id, survey_id = await _setup(sessions, language="en")
    talk = Talk(sessions, contact_id, Channel.SMS)
    question = last_question(await talk.press(f"sv:{survey_id}:go"))
    reply = await talk.say(typed)
    assert texts(reply)[0] == error
    assert reply[1] == question
    assert await _answers(sessions, contact_id) == {}
    assert last_question(await talk.say(" 2.")).progress == (2, 3)
    assert await _answers(sessions, contact_id) == {"priority": "water"}


async def test_double_tap_and_replayed_buttons_record_once_and_say_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    contact_id, survey_id = await _setup(sessions, language="ka")
    talk = Talk(sessions, contact_id)
    first = last_question(await talk.press(f"sv:{survey_id}:go"))
    tap = data_of(first)[2]
    assert (await talk.press(tap))[0].edit  # the tapped question shows the answer, without buttons
    assert await talk.press(tap) == []
    assert await talk.press(data_of(first)[4]) == []  # an old button of an answered question
    assert await _answers(sessions, contact_id) == {"priority": "kindergartens"}


async def test_someone_elses_button_records_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    owner_id, survey_id = await _setup(sessions, language="en")
    first = last_question(await Talk(sessions, owner_id).press(f"sv:{survey_id}:go"))
    async with sessions() as session, session.begin():
        other = await add_person(session, language="en")
    reply = await Talk(sessions, other.id).press(data_of(first)[0])
    assert texts(reply) == ["This button is no longer active."]
    assert await _answers(sessions, owner_id) == {}
    assert await _answers(sessions, other.id) == {}


@pytest.mark.parametrize("data", ["sa:1:x:2", "sa:", "sv:abc:go", "sm:1:2", "sd:1:2:3", "sa:99:0:1"])
async def test_malformed_or_unknown_data_is_answered_not_obeyed(
    sessions: async_sessionmaker[AsyncSession], data: str
) -> None:
    contact_id, _ = await _setup(sessions, language="en")
    assert texts(await Talk(sessions, contact_id).press(data)) == ["This button is no longer active."]


async def test_telegram_and_sms_show_the_same_numbers_the_parser_reads(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    contact_id, survey_id = await _kitchen_sink(sessions)
    survey = load_survey_yaml(KITCHEN_SINK)
    fruits, score = survey.question("fruits"), survey.question("score")
    telegram, sms = Talk(sessions, contact_id), Talk(sessions, contact_id, Channel.SMS)

    start = await telegram.press(f"sv:{survey_id}:go")
    assert texts(start)[1] == "Welcome to the test survey."  # a note: shown, not counted
    colour = last_question(start)
    assert colour.progress == (1, 6)
    assert [d.rsplit(":", 1)[1] for d in data_of(colour)] == ["1", "2", "3"]

    telegram_fruits = last_question(await sms.say("2"))  # green: `why_red` is left out
    assert telegram_fruits.progress == (2, 5)
    sms_fruits = last_question(await sms.press(f"sv:{survey_id}:go"))
    assert [c.data for c in sms_fruits.choices] == [
        f"{'sa' if value == '_declined' else 'sm'}:{d.split(':', 1)[1].rsplit(':', 1)[0]}:{number}"
        for (number, value), d in zip(choice_numbering(fruits), data_of(sms_fruits), strict=True)
    ]
    assert "Done" not in [render(c.label, "en") for c in sms_fruits.choices]
    assert texts([sms_fruits])[0].endswith(
        "Reply with the numbers of all that apply, separated by commas, e.g. 1,3."
    )
    telegram_view = last_question(await telegram.press(f"sv:{survey_id}:go"))
    assert [render(c.label, "en") for c in telegram_view.choices][-2:] == ["Prefer not to answer", "Done"]

    sms_score = last_question(await sms.say("1 3"))
    assert sms_score.choices == ()  # a rating on SMS: a number, not a list of numbers
    assert texts([sms_score])[0].endswith(
        "Please reply with a number from 0 to 10.\n\n11 – Prefer not to answer"
    )
    telegram_score = last_question(await telegram.press(f"sv:{survey_id}:go"))
    assert [d.rsplit(":", 1)[1] for d in data_of(telegram_score)] == [
        str(n) for n, _ in choice_numbering(score)
    ]
    assert await _answers(sessions, contact_id) == {"colour": "green", "fruits": ["apple", "plum"]}


async def test_multiple_choice_ticks_in_place_then_done(sessions: async_sessionmaker[AsyncSession]) -> None:
    contact_id, survey_id = await _kitchen_sink(sessions)
    talk = Talk(sessions, contact_id)
    colour = last_question(await talk.press(f"sv:{survey_id}:go"))
    fruits = last_question(await talk.press(data_of(colour)[0]))  # red
    apple, pear, plum, _declined, done = data_of(fruits)

    assert texts(await talk.press(done))[0] == "This question needs an answer."  # nothing ticked yet
    ticked = await talk.press(plum)
    assert ticked[0].edit and [c.selected for c in ticked[0].choices] == [False, False, True, False, False]
    ticked = await talk.press(apple)
    assert [c.selected for c in ticked[0].choices] == [True, False, True, False, False]
    await talk.press(pear)
    too_many = await talk.press(done)
    assert texts(too_many)[0] == "Please choose at most 2 options."
    await talk.press(pear)  # untick
    why = last_question(await talk.press(done))
    assert texts([why])[0] == "Why red?\n\nPlease type your answer."
    assert data_of(why) == [f"sk:{done.split(':')[1]}:3"]  # optional: a Skip button
    assert await talk.press(plum) == []  # a tick on the finished question changes nothing
    assert await _answers(sessions, contact_id) == {"colour": "red", "fruits": ["apple", "plum"]}


async def test_typed_text_numbers_skips_and_the_end(sessions: async_sessionmaker[AsyncSession]) -> None:
    contact_id, survey_id = await _kitchen_sink(sessions, language="ru")
    talk = Talk(sessions, contact_id, Channel.SMS)
    await talk.press(f"sv:{survey_id}:go")
    await talk.say("1")
    why = last_question(await talk.say("4"))  # "prefer not to answer" of fruits
    assert t("ru", "To skip this question, reply {word}.", word="пропустить") in texts([why], "ru")[0]
    score = last_question(await talk.say("потому что <красиво> & ярко"))
    reply = await talk.say("11")  # declined on a 0-10 scale
    assert texts(reply, "ru")[0] == "Почти всё."  # the second note comes before the next question
    assert score.progress == (4, 6)
    assert (await talk.say("15"))[0].parts[0] == reply[-1].parts[-1]  # out of range: the range again
    last = last_question(await talk.say("42"))
    assert last.progress == (6, 6)
    assert texts(await talk.say("да"), "ru") == [render(THANKS, "ru")]
    assert await _answers(sessions, contact_id) == {
        "colour": "red", "fruits": "declined", "why_red": "потому что <красиво> & ярко",
        "score": "declined", "age": 42, "happy": "yes",
    }  # fmt: skip
    assert texts(await talk.say("more")) == [
        "You are not filling in a survey. Send /polls to see the open surveys."
    ]


async def test_a_closed_survey_takes_no_more_answers(sessions: async_sessionmaker[AsyncSession]) -> None:
    contact_id, survey_id = await _setup(sessions, language="en")
    talk = Talk(sessions, contact_id)
    first = last_question(await talk.press(f"sv:{survey_id}:go"))
    async with sessions() as session, session.begin():
        await lifecycle.close_survey(session, "budget-flash-poll", now=NOW)
    assert texts(await talk.press(data_of(first)[0])) == [
        "This survey is closed. Thank you for your interest."
    ]
    assert (await _contact(sessions, contact_id)).dialog_state is None
    assert await _answers(sessions, contact_id) == {}
    assert texts(await talk.polls()) == ["There are no open surveys for you right now."]


@pytest.mark.parametrize(
    ("person", "message"),
    [
        ({"municipality": "batumi"}, "This survey is not open to you."),
        ({"language": "ru", "consent": False}, "Please finish signing up first: send /start."),
    ],
)
async def test_people_outside_the_audience_cannot_start(
    sessions: async_sessionmaker[AsyncSession], person: dict[str, object], message: str
) -> None:
    async with sessions() as session, session.begin():
        contact = await add_person(session, **person)  # type: ignore[arg-type]
        record = await open_example(session, "budget_flash_poll.yaml", municipalities=["marneuli"])
    talk = Talk(sessions, contact.id)
    assert texts(await talk.press(f"sv:{record.id}:go"), contact.language) == [t(contact.language, message)]
