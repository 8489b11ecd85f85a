"""/summary through the real dispatcher: the officer picks a hearing and reads its summary, escaped and in
messages Telegram accepts; an officer of another municipality gets the shared scope refusal (audited);
someone who is not staff gets the polite refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contacts.privacy import PrivacyPolicy
from contacts.vault import DataVault
from storage.models import AuditEntry
from storage.models.campaigns import Role
from storage.models.hearings import HearingQuestion, Moderation
from tests.campaigns.people import add_person, add_staff
from tests.handlers.telegram.test_actionplan import Chat, buttons
from tests.hearings.builders import NOW, hearing

OFFICER, OTHER, CITIZEN = 5201, 5202, 5203
LIMIT = 4096


@pytest.fixture
async def chat(sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy) -> Chat:
    return Chat(sessions, vault, policy)


async def _a_busy_hearing(sessions: async_sessionmaker[AsyncSession]) -> int:
    """A Marneuli hearing with 12 long questions (one with HTML in it) and its two officers."""
    async with sessions() as session, session.begin():
        await add_staff(session, "levan", Role.OFFICER, "marneuli", telegram_id=OFFICER)
        await add_staff(session, "ani", Role.OFFICER, "dmanisi", telegram_id=OTHER)
        found = await hearing(session)
        asker = await add_person(session, language="az")
        for number in range(12):
            text = "<b>Kənd yolları & su</b>" if number == 0 else f"Sual {number}: " + "uzun mətn " * 95
            session.add(
                HearingQuestion(
                    hearing_id=found.id,
                    contact_id=asker.id,
                    text=text,
                    received_at=NOW + timedelta(minutes=number),
                    moderation=Moderation.SHOWN if number % 3 == 0 else Moderation.NEW,
                )
            )
        return found.id


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def test_the_officer_chooses_the_hearing_and_reads_its_summary(
    sessions: async_sessionmaker[AsyncSession], chat: Chat
) -> None:
    hearing_id = await _a_busy_hearing(sessions)
    listed = await chat.say(OFFICER, "/summary")
    assert buttons(listed) == [f"hsum:v:{hearing_id}"]
    sent = await chat.press(OFFICER, f"hsum:v:{hearing_id}")
    texts = [method.text for method in sent]
    assert len(texts) > 1, "twelve long questions do not fit one message"
    assert all(_units(text) <= LIMIT for text in texts)
    assert texts[0].startswith(f"Hearing {hearing_id}: Budget hearing\nannounced · Marneuli · 15 December")
    whole = "\n".join(texts)
    assert "12 questions sent in advance: 8 not looked at, 4 to be shown, 0 hidden." in whole
    assert "&lt;b&gt;Kənd yolları &amp; su&lt;/b&gt;" in whole and "<b>Kənd" not in whole
    assert "No feedback has been published yet." in whole
    assert texts[-1].startswith("As a table (CSV or XLSX)")
    assert f"civicbot hearing summary {hearing_id} --as levan --format xlsx" in texts[-1]
    async with sessions() as session:
        viewed = await session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "hearing.summary_viewed")
        )
        assert viewed.all() == ["levan"]


async def test_an_officer_of_another_municipality_is_refused_and_audited(
    sessions: async_sessionmaker[AsyncSession], chat: Chat
) -> None:
    hearing_id = await _a_busy_hearing(sessions)
    assert buttons(await chat.say(OTHER, "/summary")) == [], "Dmanisi has no hearings"
    sent = await chat.say(OTHER, f"/summary {hearing_id}")
    assert [method.text for method in sent] == [
        "Officers can only act on hearings of their own municipality (Dmanisi)."
    ]
    async with sessions() as session:
        denied = await session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "hearing.scope_denied")
        )
        assert denied.all() == ["ani"]
        assert not (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "hearing.summary_viewed"))
        ).all()


async def test_someone_who_is_not_staff_is_refused(
    sessions: async_sessionmaker[AsyncSession], chat: Chat
) -> None:
    hearing_id = await _a_busy_hearing(sessions)
    for sent in (
        await chat.say(CITIZEN, f"/summary {hearing_id}"),
        await chat.press(CITIZEN, f"hsum:v:{hearing_id}"),
    ):
        assert [method.text for method in sent] == ["Sorry, this command is only for municipality staff."]
