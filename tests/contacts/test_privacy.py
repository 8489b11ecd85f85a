"""The right of access lists everything; withdrawal and erasure leave nothing that identifies the person."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.i18n import render
from contacts.conversation import WITHDRAW, Conversation
from contacts.privacy import PrivacyPolicy, erase, my_data, save_special, withdraw_special
from contacts.reference import find_by_reference, normalize_code, reference_code
from contacts.registry import contact_for
from contacts.vault import DataVault
from storage.models import AuditEntry, Channel, Contact, ContactStatus, Municipality, SpecialProfile
from storage.models.hearings import Hearing, HearingQuestion, HearingRsvp, Rsvp
from storage.models.surveys import SurveyAnswer, SurveyRecord, SurveyResponse

NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)
DEFINITION = {
    "code": "roads",
    "title": {"en": "Roads", "az": "Yollar"},
    "languages": ["en", "az"],
    "base_language": "en",
    "questions": [
        {
            "name": "worst",
            "kind": "single_choice",
            "label": {"en": "Which road is worst?", "az": "Hansı yol ən pisdir?"},
            "choices": [{"value": "centre", "label": {"en": "Centre", "az": "Mərkəz"}}],
        },
        {"name": "why", "kind": "text", "label": {"en": "Why?", "az": "Niyə?"}},
    ],
}


async def _person(session: AsyncSession, address: str = "42") -> Contact:
    contact, _ = await contact_for(session, Channel.TELEGRAM, address, language="az", now=NOW)
    marneuli = await session.scalar(select(Municipality).where(Municipality.code == "marneuli"))
    assert marneuli is not None
    contact.municipality_id = marneuli.id
    contact.status, contact.consent_at, contact.consent_version = ContactStatus.ACTIVE, NOW, "2026-11"
    contact.topics = ["budget"]
    await session.flush()
    return contact


async def _with_answers_and_hearing(session: AsyncSession, contact: Contact) -> None:
    survey = SurveyRecord(code="roads", definition=DEFINITION, fingerprint="f", source="yaml")
    session.add(survey)
    hearing = Hearing(
        municipality_id=contact.municipality_id,
        title={"en": "Budget 2027", "az": "Büdcə 2027"},
        description={},
        place={},
        accessibility={},
        fallback_language="en",
        duration_minutes=60,
        created_by="test",
        starts_at=datetime(2026, 12, 10, 11, tzinfo=UTC),
    )
    session.add(hearing)
    await session.flush()
    response = SurveyResponse(survey_id=survey.id, contact_id=contact.id, channel="telegram", language="az")
    session.add(response)
    await session.flush()
    session.add_all(
        [
            SurveyAnswer(response_id=response.id, question="worst", value="centre"),
            SurveyAnswer(
                response_id=response.id, question="why", value="Mənim evimin qarşısında, Əliyev küçəsi 5"
            ),
            HearingRsvp(hearing_id=hearing.id, contact_id=contact.id, answer=Rsvp.GOING, channel="telegram"),
            HearingQuestion(hearing_id=hearing.id, contact_id=contact.id, text="Yol nə vaxt təmir olunacaq?"),
        ]
    )
    await session.flush()


async def test_my_data_lists_every_domain_with_labels_in_the_readers_language(sessions, vault) -> None:
    async with sessions() as session, session.begin():
        contact = await _person(session)
        await _with_answers_and_hearing(session, contact)
        text = render(
            await my_data(session, vault, contact, await session.get(Municipality, contact.municipality_id)),
            "az",
        )
        code = reference_code(vault, contact.id)
    assert code in text
    assert "Azərbaycan" in text and ": az\n" not in text  # the language by name, not its code
    assert "Marneuli" in text or "Marneul" in text
    assert "Yollar" in text and "Hansı yol ən pisdir?" in text and "Mərkəz" in text
    assert "Əliyev küçəsi 5" in text
    assert "Büdcə 2027" in text and "Yol nə vaxt təmir olunacaq?" in text
    assert "centre" not in text  # option values are codes: the label is shown


async def test_erasure_blanks_free_text_answers_and_keeps_chosen_ones(sessions, vault) -> None:
    async with sessions() as session, session.begin():
        contact = await _person(session)
        await _with_answers_and_hearing(session, contact)
        await erase(session, vault, contact, actor="test", now=NOW)
    async with sessions() as session:
        values = dict((await session.execute(select(SurveyAnswer.question, SurveyAnswer.value))).all())
    assert values == {"worst": "centre", "why": None}


async def test_withdrawal_deletes_the_sealed_answers_and_is_audited(sessions, vault, policy) -> None:
    async with sessions() as session, session.begin():
        contact = await _person(session)
        await save_special(session, vault, contact, {"ethnic_minority": "yes"}, policy, NOW)
    async with sessions() as session, session.begin():
        contact = await session.get_one(Contact, contact.id)
        conversation = Conversation(session, vault, policy, contact, Channel.TELEGRAM, NOW)
        *_, shown = await conversation.my_data()
        assert [choice.data for choice in shown.choices] == [WITHDRAW]
        reply = await conversation.choose(WITHDRAW)
        assert "withdrawn" in render(reply[0].parts[0], "en")
    async with sessions() as session, session.begin():
        assert await session.scalar(select(SpecialProfile)) is None
        actions = (await session.scalars(select(AuditEntry.action))).all()
        assert "contact.special_data_withdrawn" in actions
        contact = await session.get_one(Contact, contact.id)
        assert await withdraw_special(session, contact, NOW) is False  # nothing left: said so, no audit
        shown = await Conversation(session, vault, policy, contact, Channel.TELEGRAM, NOW).my_data()
        assert len(shown) == 1 and shown[0].choices == ()  # a short /mydata is one message


async def test_reference_codes_are_stable_distinct_and_found_as_read_aloud(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy
) -> None:
    async with sessions() as session, session.begin():
        first = await _person(session, "1")
        second = await _person(session, "2")
        code = reference_code(vault, first.id)
        assert code == reference_code(vault, first.id) != reference_code(vault, second.id)
        assert len(code) == 9 and code[4] == "-"
        spoken = code.lower().replace("-", " ").replace("1", "l").replace("0", "o")
        assert normalize_code(spoken) == code
        found = await find_by_reference(session, vault, spoken)
        assert found is not None and found.id == first.id
        assert await find_by_reference(session, vault, "nonsense") is None
    other_key = DataVault(b"0" * 43 + b"=")
    assert reference_code(other_key, 1) != reference_code(vault, 1)  # not derivable from the id alone


async def test_a_long_mydata_is_split_into_messages_telegram_takes_whole(sessions, vault, policy) -> None:
    async with sessions() as session, session.begin():
        contact = await _person(session)
        for number in range(12):
            survey = SurveyRecord(
                code=f"s{number}",
                definition={**DEFINITION, "title": {"en": f"Survey {number}"}},
                fingerprint="f",
                source="yaml",
            )
            session.add(survey)
            await session.flush()
            response = SurveyResponse(
                survey_id=survey.id, contact_id=contact.id, channel="sms", language="en"
            )
            session.add(response)
            await session.flush()
            session.add(SurveyAnswer(response_id=response.id, question="why", value="word " * 80))
        await session.flush()
        contact.language = "en"
        messages = await Conversation(session, vault, policy, contact, Channel.TELEGRAM, NOW).my_data()
    texts = [render(message.parts[0], "en") for message in messages]
    assert len(texts) > 1 and all(len(text) <= 4096 for text in texts)
    assert all(f"Survey {number}" in "".join(texts) for number in range(12))
    assert texts[-1].endswith("still respected.")  # nothing cut: the last paragraph arrives whole
