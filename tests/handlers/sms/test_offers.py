"""A bare number or word answers the question that reached the person last, not the one queued last."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from campaigns.schedule import QuietHours
from channels.i18n import t
from handlers.sms import texts
from storage.base import utcnow
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.hearings import Rsvp
from storage.models.surveys import SurveyResponse
from tests.handlers.sms.harness import SmsHarness
from tests.handlers.sms.test_conversation import PHONE, sign_up
from tests.handlers.sms.test_numbers import announce_hearing, invite_to_poll, rsvps


def quiet_now() -> QuietHours:
    """Quiet hours around this very moment in Tbilisi: whatever is queued now waits."""
    local = datetime.now(QuietHours().zone)
    return QuietHours(time((local.hour - 1) % 24), time((local.hour + 2) % 24))


async def held(sms: SmsHarness) -> list[int]:
    async with sms.sessions() as session:
        rows = await session.scalars(
            select(Delivery.id).where(
                Delivery.status == DeliveryStatus.PENDING, Delivery.not_before > utcnow()
            )
        )
        return list(rows)


async def quiet_hours_end(sms: SmsHarness) -> None:
    """The held messages' time comes (as at 09:00), and they go out."""
    async with sms.sessions() as session, session.begin():
        await session.execute(
            update(Delivery).where(Delivery.status == DeliveryStatus.PENDING).values(not_before=utcnow())
        )
    await sms.deliver()


async def surveys_started(sms: SmsHarness) -> int:
    async with sms.sessions() as session:
        return len(list(await session.scalars(select(SurveyResponse))))


async def test_a_notice_held_by_quiet_hours_is_answered_once_it_is_delivered(sms: SmsHarness) -> None:
    await sign_up(sms)
    await announce_hearing(sms, quiet=quiet_now())
    assert len(await held(sms)) == 1
    await invite_to_poll(sms)  # queued after the notice, but delivered before it
    await quiet_hours_end(sms)

    await sms.text(PHONE, "1")

    assert await rsvps(sms) == [(Rsvp.GOING, "sms")]
    assert await surveys_started(sms) == 0


async def test_a_poll_delivered_after_the_notice_is_the_one_answered(sms: SmsHarness) -> None:
    await sign_up(sms)
    await invite_to_poll(sms, deliver=False)
    async with sms.sessions() as session, session.begin():  # the invitation waits for its hour
        await session.execute(update(Delivery).values(not_before=utcnow() + timedelta(hours=1)))
    await announce_hearing(sms)
    await quiet_hours_end(sms)

    await sms.text(PHONE, "1")

    assert await rsvps(sms) == []
    assert await surveys_started(sms) == 1


@pytest.mark.parametrize("word", ["Gələcəyəm", "gelecem", "GELECEM!", "sabah"], ids=str)
async def test_the_options_word_answers_like_its_number(sms: SmsHarness, word: str) -> None:
    await sign_up(sms)
    await announce_hearing(sms)

    replies = await sms.text(PHONE, word)

    if word == "sabah":  # a word of no option is not guessed at
        assert replies == [t("az", texts.NOT_UNDERSTOOD)]
        assert await rsvps(sms) == []
    else:
        assert await rsvps(sms) == [(Rsvp.GOING, "sms")]


async def test_an_armenian_reader_answers_with_the_word_in_either_script(sms: SmsHarness) -> None:
    await sign_up(sms, language="3")  # hy
    await announce_hearing(sms)
    assert any("Կգամ" in line for line in sms.fake.sent_to(PHONE)[-1].body.splitlines())

    await sms.text(PHONE, "kgam")

    assert await rsvps(sms) == [(Rsvp.GOING, "sms")]


async def test_an_undelivered_notice_is_not_the_question(sms: SmsHarness) -> None:
    await sign_up(sms)
    sms.fake.set_outcome(PHONE, "undelivered", 30003)  # handset off: the notice never arrives
    await announce_hearing(sms)

    assert await sms.text(PHONE, "1") == [t("az", texts.NOT_UNDERSTOOD)]
    assert await rsvps(sms) == []
