"""The SMS channel through the real `civicbot serve` and the fake Twilio, behind a proxy-like public URL:
sign-up in Azerbaijani, a poll and an RSVP answered by number, STOP confirmed once and nothing after."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from campaigns.firing import SURVEY_BUTTON
from campaigns.schedule import QuietHours
from channels import outbox
from channels.i18n import t
from channels.message import Choice, Content, Outgoing, Text
from hearings import officers
from storage.base import utcnow
from storage.db import create_engine, session_factory
from storage.identities import find_identity
from storage.models import Channel, Contact, ContactStatus, InboundEvent
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.hearings import HearingRsvp, Rsvp
from storage.models.surveys import ResponseStatus, SurveyResponse
from tests.e2e.service import RunningService, civicbot_serve, prepare_database
from tests.fakes.twilio_api import FakeTwilio
from tests.hearings.builders import coordinator, draft
from tests.surveys.people import open_example

pytestmark = pytest.mark.slow

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "e2e-auth-token"
SENDER = "+995322000001"
PUBLIC_BASE = "https://sms.civicbot.example.ge"
AYTAN, NINO = "+995599100001", "+995599100002"
QUIET_NEVER = QuietHours(time(0), time(0))
WAIT = 20.0


@dataclass
class World:
    fake: FakeTwilio
    service: RunningService
    sessions: async_sessionmaker[AsyncSession]
    engine: AsyncEngine


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    await prepare_database(database_url)
    async with FakeTwilio(
        ACCOUNT_SID,
        AUTH_TOKEN,
        senders=[SENDER],
        webhook_url=f"{PUBLIC_BASE}/twilio/sms",
        public_base_url=PUBLIC_BASE,
        mps=None,
    ) as fake:
        env = {
            "DATABASE_URL": database_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM": SENDER,
            "TWILIO_API_BASE": fake.base_url,
            "PUBLIC_BASE_URL": PUBLIC_BASE,
            "CONTROLLER_CONTACT": "dpo@marneuli.example.ge",
            "DELIVERY_POLL_SECONDS": "0.1",
            "SMS_MESSAGES_PER_SECOND": "50",
        }
        async with civicbot_serve(env, tmp_path) as running:
            fake.webhooks.connect_base_url = running.base_url  # the proxy: public URL -> local port
            engine = create_engine(database_url)
            try:
                yield World(fake, running, session_factory(engine), engine)
            finally:
                await engine.dispose()


class Phone:
    """A basic phone texting the bot and reading what comes back, as slowly as a person would."""

    def __init__(self, world: World, number: str) -> None:
        self.world, self.number = world, number

    @property
    def received(self) -> list[str]:
        return [m.body for m in self.world.fake.sent_to(self.number)]

    async def say(self, body: str, expect: int = 1) -> list[str]:
        await self.sends_recorded()
        before = len(self.received)
        result = await self.world.fake.send_sms(self.number, body)
        assert result.status == 200, result.body
        if expect:
            await self.world.fake.wait_for_messages(self.number, before + expect, timeout=WAIT)
        return self.received[before:]

    async def sends_recorded(self) -> None:
        """A person reads a message seconds after it arrives; by then the worker has recorded its send.

        Replies are matched to the question recorded as sent, so a test must not answer faster than that.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        due = (
            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            Delivery.address == self.number,
            Delivery.not_before <= utcnow(),
        )
        while True:
            async with self.world.sessions() as session:
                open_rows = await session.scalar(select(func.count()).select_from(Delivery).where(*due))
            if not open_rows:
                return
            assert loop.time() < deadline, f"{open_rows} messages to {self.number} never recorded"
            await asyncio.sleep(0.05)

    async def nothing_more(self) -> None:
        """No further message comes: the webhook answered after its commit, so anything the last SMS
        queued is in the outbox; once nothing due for this phone is left unsent, nothing more is coming."""
        before = len(self.received)
        await self.sends_recorded()
        await self.world.fake.wait_idle(timeout=WAIT)
        assert self.received[before:] == []


async def _contact(world: World, number: str) -> Contact | None:
    async with world.sessions() as session:
        identity = await find_identity(session, Channel.SMS, number)
        return await session.get(Contact, identity.contact_id) if identity else None


async def _open_poll_and_invite(world: World, number: str) -> None:
    now = utcnow()
    async with world.sessions() as session, session.begin():
        record = await open_example(session, "budget_flash_poll.yaml", now=now, municipalities=["marneuli"])
        identity = await find_identity(session, Channel.SMS, number)
        assert identity is not None
        contact = await session.get_one(Contact, identity.contact_id)
        invitation = Outgoing(
            parts=(Content({"az": "Büdcə barədə qısa sorğu.", "en": "A short budget poll."}, fallback="en"),),
            choices=(Choice(f"sv:{record.id}:go", Text(SURVEY_BUTTON)),),
        )
        item = outbox.OutboxItem(
            f"e2e:poll:{record.id}:{contact.id}",
            contact.id,
            Channel.SMS,
            number,
            contact.language,
            invitation,
        )
        await outbox.enqueue(session, [item], now=now)


async def _announce_hearing(world: World) -> None:
    now = utcnow()
    async with world.sessions() as session, session.begin():
        by = await coordinator(session)
        hearing = await officers.create(session, draft(starts_at=now + timedelta(days=7)), by, now)
        await officers.announce(session, hearing.id, by, now, quiet=QUIET_NEVER)


async def test_sign_up_poll_rsvp_and_stop_in_azerbaijani(world: World) -> None:
    aytan = Phone(world, AYTAN)
    async with httpx.AsyncClient() as client:
        health = (await client.get(world.service.base_url + "/healthz")).json()
    assert health["sms"] == "on"

    (menu,) = await aytan.say("Salam")
    assert menu.splitlines()[2] == "2 Azərbaycanca"  # after the greeting that names the service
    (question,) = await aytan.say("2")
    assert t("az", "Which municipality do you live in?") in question
    (notice,) = await aytan.say("4")
    assert "Marneuli bələdiyyəsi" in notice
    await aytan.say("beli")
    await aytan.say("1 2")
    contact = await _contact(world, AYTAN)
    assert contact is not None and (contact.language, contact.status) == ("az", ContactStatus.ACTIVE)
    assert contact.consent_channel == "sms" and contact.topics == ["hearings", "polls"]

    await _open_poll_and_invite(world, AYTAN)
    await world.fake.wait_for_messages(AYTAN, len(aytan.received) + 1, timeout=WAIT)
    started = await aytan.say("1", expect=2)  # the poll's introduction, then its first question
    assert started[-1].startswith("1/3 ")
    await aytan.say("2")
    await aytan.say("4")
    (thanks,) = await aytan.say("bəli")
    assert thanks == t("az", "Thank you! Your answers are recorded.")  # the one-segment SMS wording
    async with world.sessions() as session:
        response = await session.scalar(select(SurveyResponse))
    assert response is not None and response.status == ResponseStatus.COMPLETED and response.channel == "sms"

    await _announce_hearing(world)
    await world.fake.wait_for_messages(AYTAN, len(aytan.received) + 1, timeout=WAIT)
    assert "1 " + t("az", "I will come") in aytan.received[-1].splitlines()
    await aytan.say("1")
    async with world.sessions() as session:
        rsvp = await session.scalar(select(HearingRsvp))
    assert rsvp is not None and (rsvp.answer, rsvp.channel) == (Rsvp.GOING, "sms")

    await aytan.say("STOP", expect=0)
    await aytan.nothing_more()
    await aytan.say("STOP", expect=0)
    await aytan.say("1", expect=0)
    await _announce_hearing(world)
    await aytan.nothing_more()
    confirmations = [r for r in world.fake.auto_replies if r.to == AYTAN]
    assert len(confirmations) == 2  # Twilio's own, one per STOP; ours were never let through
    assert world.fake.counters["rejected_21610"] <= 1  # at most the one confirmation Twilio refused
    contact = await _contact(world, AYTAN)
    assert contact is not None and contact.status == ContactStatus.UNSUBSCRIBED


async def test_georgian_typed_in_latin_letters_stops_with_one_confirmation(world: World) -> None:
    nino = Phone(world, NINO)
    await nino.say("gamarjoba")
    await nino.say("1")
    await nino.say("1")
    await nino.say("ki")
    await nino.say("1")

    (confirmation,) = await nino.say("gaacheret")
    assert confirmation == t("ka", "You will get no more messages from us. To start again, reply START.")
    await nino.say("gaacheret", expect=0)
    await nino.say("ra xdeba?", expect=0)
    await nino.nothing_more()
    contact = await _contact(world, NINO)
    assert contact is not None and contact.status == ContactStatus.UNSUBSCRIBED


async def test_a_wrong_signature_gets_403_and_a_repeated_message_sid_is_handled_once(world: World) -> None:
    forged = await world.fake.send_sms(AYTAN, "Salam", signature="Zm9yZ2Vk")
    assert forged.status == 403
    assert await _contact(world, AYTAN) is None

    first = await world.fake.send_sms(AYTAN, "Salam")
    await world.fake.wait_for_messages(AYTAN, 1, timeout=WAIT)
    again = await world.fake.replay(first.message_sid)
    assert (first.status, again.status) == (200, 200)
    await Phone(world, AYTAN).nothing_more()
    assert len(world.fake.sent_to(AYTAN)) == 1
    async with world.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboundEvent)) == 1
        assert await session.scalar(select(func.count()).select_from(Contact)) == 1
