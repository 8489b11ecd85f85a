"""The question in front of a person: written when a numbered message goes out, moved by receipts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels import outbox
from channels.claims import Outcome, claim, record
from channels.message import Choice, Literal, Outgoing, Text
from channels.offers import Offered, Question, question_for
from channels.sms import receipts
from channels.sms.receipts import Receipt
from storage.db import unit_of_work
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.offers import Offer
from tests.channels.recipients import Person, add_people

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NOTICE = Outgoing(
    parts=(Literal("Hearing"),),
    choices=(Choice("hr:1:go", Text("I will come")), Choice("hr:1:no", Text("I will not come"))),
)
POLL = Outgoing(parts=(Literal("Poll"),), choices=(Choice("sv:3:go", Literal("Take it")),))
PLAIN = Outgoing(parts=(Literal("Thanks"),))


async def queue(session: AsyncSession, person: Person, key: str, message: Outgoing) -> None:
    item = outbox.OutboxItem(key, person.contact_id, Channel.SMS, person.address, "az", message)
    await outbox.enqueue(session, [item], now=NOW)


async def send(sessions: Sessions, key: str, at: datetime) -> None:
    """A worker claims the row with this key, sends it (SID = key) and records it as sent at `at`."""
    async with unit_of_work(sessions) as session:
        rows = await claim(
            session, channel=Channel.SMS, limit=10, now=at, lease=timedelta(minutes=2), deadline=1e12
        )
        keys: dict[int, str] = dict((await session.execute(select(Delivery.id, Delivery.dedupe_key))).all())
        mine = [row for row in rows if keys[row.id] == key]
        others = [row for row in rows if keys[row.id] != key]
        await record(
            session, [Outcome(row, DeliveryStatus.SENT, provider_message_id=key) for row in mine], at
        )
        await record(session, [Outcome(row, DeliveryStatus.PENDING, retry_at=at) for row in others], at)


async def receipt(sessions: Sessions, sid: str, status: str, at: datetime) -> None:
    found = Receipt.from_form({"MessageSid": sid, "MessageStatus": status})
    assert found is not None
    async with unit_of_work(sessions) as session:
        assert await receipts.apply(session, found, now=at)


async def asked(sessions: Sessions, person: Person) -> list[str]:
    async with sessions() as session:
        question = await question_for(session, contact_id=person.contact_id, channel=Channel.SMS)
        return question.data if question else []


@pytest.fixture
async def person(sessions: Sessions) -> Person:
    (one,) = await add_people(sessions, 1, channel=Channel.SMS, first_address=599000001, language="az")
    return one


async def test_nothing_queued_is_in_front_of_anyone(sessions: Sessions, person: Person) -> None:
    async with unit_of_work(sessions) as session:
        await queue(session, person, "notice", NOTICE)
    assert await asked(sessions, person) == []


async def test_the_message_sent_last_is_the_question_not_the_one_queued_last(
    sessions: Sessions, person: Person
) -> None:
    async with unit_of_work(sessions) as session:
        await queue(session, person, "notice", NOTICE)  # held by quiet hours
        await queue(session, person, "poll", POLL)
    await send(sessions, "poll", NOW)
    assert await asked(sessions, person) == ["sv:3:go"]

    await send(sessions, "notice", NOW + timedelta(hours=1))

    assert await asked(sessions, person) == ["hr:1:go", "hr:1:no"]


async def test_a_message_without_choices_leaves_the_question(sessions: Sessions, person: Person) -> None:
    async with unit_of_work(sessions) as session:
        await queue(session, person, "notice", NOTICE)
        await queue(session, person, "thanks", PLAIN)
    await send(sessions, "notice", NOW)
    await send(sessions, "thanks", NOW + timedelta(minutes=1))

    assert await asked(sessions, person) == ["hr:1:go", "hr:1:no"]


async def test_a_delivered_receipt_makes_a_message_the_latest_again(
    sessions: Sessions, person: Person
) -> None:
    async with unit_of_work(sessions) as session:
        await queue(session, person, "poll", POLL)
        await queue(session, person, "notice", NOTICE)
    await send(sessions, "poll", NOW)
    await send(sessions, "notice", NOW + timedelta(seconds=1))
    await receipt(sessions, "notice", "delivered", NOW + timedelta(seconds=5))
    await receipt(sessions, "poll", "delivered", NOW + timedelta(seconds=9))  # the phone got it last

    assert await asked(sessions, person) == ["sv:3:go"]


async def test_a_repeated_receipt_changes_nothing(sessions: Sessions, person: Person) -> None:
    async with unit_of_work(sessions) as session:
        await queue(session, person, "poll", POLL)
        await queue(session, person, "notice", NOTICE)
    await send(sessions, "poll", NOW)
    await receipt(sessions, "poll", "delivered", NOW + timedelta(seconds=2))
    await send(sessions, "notice", NOW + timedelta(seconds=3))
    await receipt(sessions, "poll", "delivered", NOW + timedelta(seconds=9))  # Twilio retried the callback

    assert await asked(sessions, person) == ["hr:1:go", "hr:1:no"]


async def test_an_undelivered_message_is_no_longer_the_question(sessions: Sessions, person: Person) -> None:
    async with unit_of_work(sessions) as session:
        await queue(session, person, "notice", NOTICE)
    await send(sessions, "notice", NOW)
    await receipt(sessions, "notice", "undelivered", NOW + timedelta(seconds=5))

    assert await asked(sessions, person) == []


async def test_the_offer_keeps_the_words_in_the_readers_language(sessions: Sessions, person: Person) -> None:
    async with unit_of_work(sessions) as session:
        await queue(session, person, "notice", NOTICE)
    await send(sessions, "notice", NOW)
    async with sessions() as session:
        offer = await session.scalar(select(Offer))

    assert offer is not None
    assert (offer.namespace, offer.offered_at) == ("hr", NOW)
    assert [c["word"] for c in offer.choices] == ["Gələcəyəm", "Gəlməyəcəyəm"]


RSVP_AZ = Question(
    "hr",
    (
        Offered("hr:1:go", "Gələcəyəm"),
        Offered("hr:1:maybe", "Bəlkə"),
        Offered("hr:1:no", "Gəlməyəcəyəm"),
        Offered("hq:1", "Sual ver"),
    ),
    NOW,
)
RSVP_HY = Question(
    "hr",
    (
        Offered("hr:1:go", "Կգամ", "Kgam"),
        Offered("hr:1:maybe", "Գուցե", "Gutse"),
        Offered("hr:1:no", "Չեմ գա", "Chem ga"),
    ),
    NOW,
)


@pytest.mark.parametrize(
    ("question", "reply", "picked"),
    [
        pytest.param(RSVP_AZ, "1", "hr:1:go", id="number"),
        pytest.param(RSVP_AZ, "4.", "hq:1", id="number-with-dot"),
        pytest.param(RSVP_AZ, "5", None, id="number-beyond"),
        pytest.param(RSVP_AZ, "Gələcəyəm", "hr:1:go", id="az-word"),
        pytest.param(RSVP_AZ, "gelecem", "hr:1:go", id="az-spoken-without-marks"),
        pytest.param(RSVP_AZ, "GƏLMƏYƏCƏYƏM!", "hr:1:no", id="az-capitals"),
        pytest.param(RSVP_AZ, "belke", "hr:1:maybe", id="az-maybe"),
        pytest.param(RSVP_AZ, "sabah", None, id="az-no-option"),
        pytest.param(RSVP_HY, "Կգամ", "hr:1:go", id="hy-word"),
        pytest.param(RSVP_HY, "Կգա՞մ", "hr:1:go", id="hy-with-question-mark"),
        pytest.param(RSVP_HY, "kgam", "hr:1:go", id="hy-latin"),
        pytest.param(RSVP_HY, "chem ga", "hr:1:no", id="hy-latin-two-words"),
    ],
)
def test_a_reply_names_a_choice_by_number_or_word(question: Question, reply: str, picked: str | None) -> None:
    assert question.pick(reply) == picked


def test_a_word_equally_close_to_two_options_names_neither() -> None:
    question = Question("x", (Offered("x:1", "bara"), Offered("x:2", "bora")), NOW)
    assert question.pick("bura") is None
    assert question.within(["x"]) and not question.within(["hr"])
