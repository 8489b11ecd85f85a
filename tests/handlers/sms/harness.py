"""The SMS channel end to end in one process: the fake Twilio texts the real HTTP app (uvicorn), whose
replies wait in the outbox until `deliver()` runs the real delivery workers with the Twilio sender."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Service, create_http_app
from bot.settings import DatabaseSettings, HttpSettings, PrivacySettings, Settings, TwilioSettings
from channels.dispatcher import DeliveryWorkers
from channels.ratelimit import ChannelLimit
from channels.sms.sender import sms_sender
from storage.identities import find_identity
from storage.models import Channel, Contact
from tests.fakes.twilio_api import FakeTwilio
from tests.fakes.twilio_models import InboundResult

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-for-tests"
SENDER = "+995322000001"
PUBLIC_BASE = "https://civicbot.example.ge"
DPO = "dpo@marneuli.example.ge"


@dataclass
class SmsHarness:
    fake: FakeTwilio
    service: Service
    workers: DeliveryWorkers
    local_url: str

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.service.sessions

    async def deliver(self) -> None:
        """Once every SMS taken is handled (one spooled on a starved machine finishes in the background),
        send everything the outbox holds and wait for the fake's status callbacks to land."""
        deadline = asyncio.get_running_loop().time() + 30
        while not self.service.intake.idle:
            assert asyncio.get_running_loop().time() < deadline, "an SMS was still being handled after 30 s"
            await asyncio.sleep(0.01)
        await self.workers.drain()
        await self.fake.wait_idle()

    async def text(self, phone: str, body: str, **inbound: str) -> list[str]:
        """Text the bot from `phone`; returns every SMS the phone got back (TwiML and outbox)."""
        before = len(self.fake.sent_to(phone))
        result = await self.send(phone, body, **inbound)
        assert result.status == 200, result.body
        await self.deliver()
        return [message.body for message in self.fake.sent_to(phone)[before:]]

    async def send(self, phone: str, body: str, **inbound: str) -> InboundResult:
        return await self.fake.send_sms(phone, body, **inbound)

    async def contact(self, phone: str) -> Contact | None:
        async with self.sessions() as session:
            identity = await find_identity(session, Channel.SMS, phone)
            if identity is None:
                return None
            return await session.scalar(select(Contact).where(Contact.id == identity.contact_id))


def harness_settings(database_url: str, state_dir: Path, api_base: str) -> Settings:
    return Settings(
        db=DatabaseSettings(database_url=database_url),
        twilio=TwilioSettings(
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=SecretStr(AUTH_TOKEN),
            twilio_from=SENDER,
            twilio_api_base=api_base,
        ),
        http=HttpSettings(public_base_url=PUBLIC_BASE),
        privacy=PrivacySettings(state_dir=state_dir, controller_contact=DPO),
    )


@asynccontextmanager
async def sms_harness(
    database_url: str, state_dir: Path, **fake_options: object
) -> AsyncIterator[SmsHarness]:
    """The service's HTTP app (no background components) behind a proxy-like public URL. Its socket is
    bound here and handed to uvicorn: a port picked first and bound later can be taken in between by
    another test process (it was, once, in a full run)."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = int(listening.getsockname()[1])
    local = f"http://127.0.0.1:{port}"
    options: dict[str, object] = {
        "senders": [SENDER],
        "webhook_url": f"{PUBLIC_BASE}/twilio/sms",
        "public_base_url": PUBLIC_BASE,
        "connect_base_url": local,
        "mps": None,
    } | fake_options
    async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, **options) as fake:  # type: ignore[arg-type]
        settings = harness_settings(database_url, state_dir, fake.base_url)
        service = Service.build(settings)
        server = uvicorn.Server(
            uvicorn.Config(create_http_app(settings, service), host="127.0.0.1", port=port, log_config=None)
        )
        serving = asyncio.create_task(server.serve(sockets=[listening]))
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        try:
            async with sms_sender(settings.twilio, PUBLIC_BASE) as sender:
                assert sender is not None
                workers = DeliveryWorkers(
                    service.sessions,
                    {Channel.SMS: sender},
                    {Channel.SMS: ChannelLimit(rate=1000.0)},
                    poll_seconds=0.01,
                )
                yield SmsHarness(fake, service, workers, local)
        finally:
            server.should_exit = True
            await serving
            listening.close()
