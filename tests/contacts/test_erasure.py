"""Erasure reaches personal data in every domain through the declarations next to the tables."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from contacts.privacy import erase
from contacts.registry import contact_for
from storage.erasure import REGISTRY
from storage.models import Channel, ContactStatus, Municipality
from storage.models.hearings import Hearing, HearingQuestion, HearingRsvp, QuestionStatus, Rsvp


async def test_erase_drops_hearing_names_and_question_texts(sessions, vault) -> None:
    async with sessions() as session, session.begin():
        marneuli = await session.scalar(select(Municipality).where(Municipality.code == "marneuli"))
        assert marneuli is not None
        hearing = Hearing(
            municipality_id=marneuli.id,
            title={"ka": "ბიუჯეტი"},
            description={},
            place={},
            accessibility={},
            fallback_language="ka",
            duration_minutes=90,
            created_by="test",
            starts_at=datetime(2026, 12, 10, 11, tzinfo=UTC),
        )
        session.add(hearing)
        contact, _ = await contact_for(session, Channel.TELEGRAM, "42", language="az")
        contact.status = ContactStatus.ACTIVE
        await session.flush()
        session.add(
            HearingRsvp(
                hearing_id=hearing.id,
                contact_id=contact.id,
                answer=Rsvp.GOING,
                name="Aysel Məmmədova",
                channel="telegram",
            )
        )
        session.add(
            HearingQuestion(hearing_id=hearing.id, contact_id=contact.id, text="Yol nə vaxt təmir olunacaq?")
        )
    async with sessions() as session, session.begin():
        contact, _ = await contact_for(session, Channel.TELEGRAM, "42", language="az")
        await erase(session, vault, contact, actor="test")
    async with sessions() as session:
        rsvp = await session.scalar(select(HearingRsvp))
        question = await session.scalar(select(HearingQuestion))
    assert rsvp is not None and rsvp.name is None and rsvp.answer == Rsvp.GOING
    assert question is not None and question.text == "" and question.status == QuestionStatus.ERASED


def test_every_table_with_free_text_about_a_person_is_declared() -> None:
    declared = {item.model.__tablename__ for item in REGISTRY}
    assert {"hearing_rsvps", "hearing_questions"} <= declared
