"""A bare number answers the last question asked: a hearing notice's RSVP, a poll invitation, a survey."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from campaigns.firing import SURVEY_BUTTON
from campaigns.schedule import QuietHours
from channels import outbox
from channels.i18n import t
from channels.message import Choice, Content, Outgoing, Text
from handlers.sms import texts
from hearings import officers
from storage.base import utcnow
from storage.identities import find_identity
from storage.models import Channel, Contact
from storage.models.hearings import HearingQuestion, HearingRsvp, Rsvp
from storage.models.surveys import ResponseStatus, SurveyResponse
from tests.handlers.sms.harness import SmsHarness
from tests.handlers.sms.test_conversation import PHONE, sign_up
from tests.hearings.builders import coordinator, draft
from tests.surveys.people import open_example

NO_QUIET_HOURS = QuietHours(time(0), time(0))


async def announce_hearing(
    sms: SmsHarness, *, deliver: bool = True, quiet: QuietHours = NO_QUIET_HOURS
) -> int:
    """A Marneuli hearing in ten days, announced to everyone following hearings (SMS people too)."""
    now = utcnow()
    async with sms.sessions() as session, session.begin():
        by = await coordinator(session)
        hearing = await officers.create(session, draft(starts_at=now + timedelta(days=10)), by, now)
        await officers.announce(session, hearing.id, by, now, quiet=quiet)
    if deliver:
        await sms.deliver()
    return hearing.id


async def invite_to_poll(sms: SmsHarness, phone: str = PHONE, *, deliver: bool = True) -> int:
    """The budget flash poll opened for Marneuli, and an invitation like a campaign step's."""
    now = utcnow()
    async with sms.sessions() as session, session.begin():
        record = await open_example(session, "budget_flash_poll.yaml", now=now, municipalities=["marneuli"])
        identity = await find_identity(session, Channel.SMS, phone)
        assert identity is not None
        contact = await session.get_one(Contact, identity.contact_id)
        invitation = Outgoing(
            parts=(Content({"en": "A short poll about the budget.", "az": "Büdcə barədə qısa sorğu."}),),
            choices=(Choice(f"sv:{record.id}:go", Text(SURVEY_BUTTON)),),
        )
        item = outbox.OutboxItem(
            f"test:poll:{record.id}:{contact.id}",
            contact.id,
            Channel.SMS,
            phone,
            contact.language,
            invitation,
        )
        await outbox.enqueue(session, [item], now=now)
    if deliver:
        await sms.deliver()
    return record.id


async def rsvps(sms: SmsHarness) -> list[tuple[Rsvp, str]]:
    async with sms.sessions() as session:
        rows = await session.scalars(select(HearingRsvp))
        return [(row.answer, row.channel) for row in rows]


async def test_one_after_a_hearing_notice_means_going(sms: SmsHarness) -> None:
    await sign_up(sms)
    await announce_hearing(sms)
    notice = sms.fake.sent_to(PHONE)[-1].body
    assert "1 " + t("az", "I will come") in notice.splitlines()

    (thanks,) = await sms.text(PHONE, "1")

    assert await rsvps(sms) == [(Rsvp.GOING, "sms")]
    assert "Büdcə müzakirəsi" in thanks


async def test_a_yes_word_after_a_hearing_notice_means_going(sms: SmsHarness) -> None:
    await sign_up(sms)
    await announce_hearing(sms)

    await sms.text(PHONE, "ha")

    assert await rsvps(sms) == [(Rsvp.GOING, "sms")]


async def test_not_going_then_a_question_in_advance(sms: SmsHarness) -> None:
    await sign_up(sms)
    await announce_hearing(sms)

    (noted,) = await sms.text(PHONE, "3")
    assert noted.splitlines()[-2] == "1 " + t("az", "Ask a question")
    await sms.text(PHONE, "1")
    await sms.text(PHONE, "Kənd yolu nə vaxt təmir olunacaq?")

    assert await rsvps(sms) == [(Rsvp.NOT_GOING, "sms")]
    async with sms.sessions() as session:
        question = await session.scalar(select(HearingQuestion.text))
    assert question == "Kənd yolu nə vaxt təmir olunacaq?"


async def test_a_poll_is_answered_by_numbers(sms: SmsHarness) -> None:
    await sign_up(sms)
    await invite_to_poll(sms)

    first = await sms.text(PHONE, "1")  # "Take the survey"
    assert first[-1].startswith("1/3 ")
    second = await sms.text(PHONE, "2")  # water
    assert second[-1].startswith("2/3 ")
    await sms.text(PHONE, "4")  # a rating
    await sms.text(PHONE, "bəli")  # yes/no

    async with sms.sessions() as session:
        response = await session.scalar(select(SurveyResponse))
        contact = await session.scalar(select(Contact))
    assert response is not None and response.status == ResponseStatus.COMPLETED
    assert response.channel == "sms"
    assert contact is not None and contact.dialog_state is None


async def test_the_latest_message_with_choices_wins(sms: SmsHarness) -> None:
    await sign_up(sms)
    await announce_hearing(sms)
    await invite_to_poll(sms)

    await sms.text(PHONE, "1")

    assert await rsvps(sms) == []
    async with sms.sessions() as session:
        assert await session.scalar(select(SurveyResponse)) is not None


async def test_a_number_with_nothing_asked_is_not_understood(sms: SmsHarness) -> None:
    await sign_up(sms)

    assert await sms.text(PHONE, "1") == [t("az", texts.NOT_UNDERSTOOD)]
    assert await rsvps(sms) == []


async def test_a_number_beyond_the_choices_is_not_understood(sms: SmsHarness) -> None:
    await sign_up(sms)
    await announce_hearing(sms)

    assert await sms.text(PHONE, "7") == [t("az", texts.NOT_UNDERSTOOD)]
    assert await rsvps(sms) == []


async def test_a_notice_newer_than_the_open_question_is_the_one_answered(sms: SmsHarness) -> None:
    await sms.text(PHONE, "salam")
    await sms.text(PHONE, "2")
    await sms.text(PHONE, "4")
    await sms.text(PHONE, "1")  # consent given; the optional topics question stays unanswered
    async with sms.sessions() as session, session.begin():
        contact = await session.scalar(select(Contact))
        assert contact is not None and contact.dialog_state == "onboarding.topics"
        contact.topics = ["hearings"]  # so the notice reaches them
    await announce_hearing(sms)

    await sms.text(PHONE, "1")

    assert await rsvps(sms) == [(Rsvp.GOING, "sms")]
