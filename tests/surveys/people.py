"""People and surveys for the survey tests, built straight into the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.i18n import render
from channels.message import Outgoing, Reply
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus, Municipality
from storage.models.surveys import SurveyRecord
from surveys import lifecycle
from surveys.definition import Survey
from surveys.engine import SurveyConversation
from surveys.yaml_format import load_survey_yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "surveys" / "examples"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_numbers = count(1)


def example(name: str) -> Survey:
    return load_survey_yaml(EXAMPLES / name)


async def add_person(
    session: AsyncSession,
    *,
    municipality: str | None = "marneuli",
    language: str = "ka",
    topics: Sequence[str] = (),
    consent: bool = True,
    age_band: str | None = None,
    gender: str | None = None,
    channel: Channel = Channel.TELEGRAM,
) -> Contact:
    number = next(_numbers)
    municipality_id = (
        await session.scalar(select(Municipality.id).where(Municipality.code == municipality))
        if municipality
        else None
    )
    contact = Contact(
        language=language,
        municipality_id=municipality_id,
        status=ContactStatus.ACTIVE if consent else ContactStatus.PENDING,
        consent_at=NOW - timedelta(days=1) if consent else None,
        topics=list(topics),
        age_band=age_band,
        gender=gender,
    )
    address = str(900_000 + number) if channel == Channel.TELEGRAM else f"+99559{number:07d}"
    contact.identities.append(ChannelIdentity(channel=channel, address=address, chat_id=address))
    session.add(contact)
    await session.flush()
    return contact


async def open_example(
    session: AsyncSession, name: str, *, now: datetime = NOW, **targets: Sequence[str]
) -> SurveyRecord:
    record, _ = await lifecycle.import_survey(session, example(name), "yaml", now=now)
    return await lifecycle.open_survey(session, record.code, now=now, **targets)


class Talk:
    """One person talking to the engine, one transaction per message as the handlers do."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contact_id: int,
        channel: Channel = Channel.TELEGRAM,
        now: datetime = NOW,
    ) -> None:
        self.sessions, self.contact_id, self.channel, self.now = sessions, contact_id, channel, now

    async def _run(self, action: str, value: str = "") -> list[Outgoing]:
        async with self.sessions() as session, session.begin():
            contact = await session.get_one(Contact, self.contact_id)
            conversation = SurveyConversation(session, contact, self.channel, now=self.now)
            reply: Reply
            if action == "list":
                reply = await conversation.list_open()
            elif action == "text":
                reply = await conversation.text(value)
            else:
                reply = await conversation.choose(value)
            return list(reply)

    async def polls(self) -> list[Outgoing]:
        return await self._run("list")

    async def press(self, data: str) -> list[Outgoing]:
        return await self._run("choose", data)

    async def say(self, text: str) -> list[Outgoing]:
        return await self._run("text", text)


def texts(reply: Sequence[Outgoing], lang: str = "en") -> list[str]:
    """Each message as the person reads it (parts joined by blank lines)."""
    return ["\n\n".join(render(part, lang) for part in message.parts) for message in reply]


def data_of(message: Outgoing) -> list[str]:
    return [choice.data for choice in message.choices]


def last_question(reply: Sequence[Outgoing]) -> Outgoing:
    asked = [message for message in reply if message.progress is not None]
    assert asked, f"no question in {reply}"
    return asked[-1]
