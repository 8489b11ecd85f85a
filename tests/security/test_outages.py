"""Outage drills while the real `civicbot serve` sends a campaign: the Bot API failing with 5xx and then
dropping in-flight answers, Twilio down, and the database (a private PostgreSQL: initdb + pg_ctl on a
free port, never the shared server) shut down and started again mid-broadcast. Nothing is lost, and
duplicates are bounded by the sends that were in flight when their connections dropped.

A small proxy sits between the service and each fake provider (`tests/fakes`): in `"5xx"` mode it answers
502/503 without passing the request on (the provider never saw it: a retry cannot duplicate), in
`"reset"` mode it passes the next requests on and then drops the connection before the answer (the
provider delivered, the service cannot know: each such send may come twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.base import utcnow
from storage.db import create_engine, session_factory, unit_of_work
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.campaigns.people import add_person, draft, scheduled
from tests.conftest import database_for
from tests.e2e.service import civicbot_serve, free_port, prepare_database
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

pytestmark = pytest.mark.slow

TOKEN = "123456789:AAE_outage-drill_abcdefghijklmnopqrstu"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "outage-drill-auth-token"
SENDER = "+995322000001"
PUBLIC_BASE = "https://sms.civicbot.example.ge"
IN_FLIGHT = 4  # DELIVERY_CONCURRENCY: sends in flight per channel
TELEGRAM_PEOPLE, SMS_PEOPLE = 40, 15


class FaultyProxy:
    """Forwards every request to `upstream`, except while a fault is on (see the module docstring)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode = "ok"
        self.resets_left = 0
        self.refused = self.reset = 0
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.base_url = ""

    async def __aenter__(self) -> FaultyProxy:
        self._client = aiohttp.ClientSession()
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._client is not None and self._runner is not None
        await self._client.close()
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.mode == "5xx":
            self.refused += 1
            return web.Response(status=502 if "/bot" in request.path else 503, text="upstream down")
        assert self._client is not None
        async with self._client.request(
            request.method, self.upstream + request.path_qs, data=await request.read(),
            headers={k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")},
        ) as answer:  # fmt: skip
            body = await answer.read()
            if self.mode == "reset" and self.resets_left > 0 and request.method == "POST":
                self.resets_left -= 1
                self.reset += 1
                assert request.transport is not None
                request.transport.abort()  # delivered upstream, the answer never comes back
                raise asyncio.CancelledError
            return web.Response(status=answer.status, body=body, content_type=answer.content_type)


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with database_for(request, tmp_path) as url:
        yield url


async def _wait(condition: object, timeout: float, what: str) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, what
        await asyncio.sleep(0.1)


async def _wait_for_outbox(url: str, condition: Callable[[list[tuple[str, int]]], bool], what: str) -> None:
    """Wait until `condition` holds for every outbox row's (status, attempts), polling the database."""
    engine = create_engine(url)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            async with engine.connect() as connection:
                rows = (await connection.execute(select(Delivery.status, Delivery.attempts))).all()
            if rows and condition([(str(status), attempts) for status, attempts in rows]):
                return
            assert loop.time() < deadline, f"{what}: {sorted(rows)}"
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


def _failed_twice(rows: list[tuple[str, int]]) -> bool:
    """Nothing sent yet, and every message failed at least twice (a claimed one is in its next try)."""
    return all(
        (status == DeliveryStatus.PENDING and tries >= 2) or (status == DeliveryStatus.SENDING and tries >= 3)
        for status, tries in rows
    )


def _settled(rows: list[tuple[str, int]]) -> bool:
    """No message waits or is being sent: nothing more, a duplicate included, can go out."""
    return all(status not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING) for status, _ in rows)


async def test_a_broadcast_survives_bot_api_5xx_and_resets_and_twilio_down(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    async with unit_of_work(sessions) as session:
        on_telegram = [await add_person(session, language="ka") for _ in range(TELEGRAM_PEOPLE)]
        by_sms = [
            await add_person(session, language="ka", telegram=False, sms=True) for _ in range(SMS_PEOPLE)
        ]
    chats = [int(person.identities[0].address) for person in on_telegram]
    phones = [person.identities[0].address for person in by_sms]
    async with (
        FakeTelegram(TOKEN) as telegram,
        FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, senders=[SENDER], webhook_url=f"{PUBLIC_BASE}/twilio/sms",
                   public_base_url=PUBLIC_BASE, mps=None) as twilio,
        FaultyProxy(telegram.base_url) as bot_api,
        FaultyProxy(twilio.base_url) as twilio_api,
    ):  # fmt: skip
        for chat in chats:
            telegram.register_user(chat, "Citizen", language_code="ka")
        env = {
            "DATABASE_URL": migrated_url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": bot_api.base_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": SENDER,
            "TWILIO_API_BASE": twilio_api.base_url, "PUBLIC_BASE_URL": PUBLIC_BASE,
            "QUIET_HOURS": "00:00-00:00", "SCHEDULER_RESYNC_SECONDS": "0.5", "DELIVERY_POLL_SECONDS": "0.1",
            "DELIVERY_CONCURRENCY": str(IN_FLIGHT), "DELIVERY_RETRY_BASE_SECONDS": "0.5",
            "DELIVERY_RETRY_MAX_SECONDS": "2", "DELIVERY_MAX_ATTEMPTS": "60", "SMS_MESSAGES_PER_SECOND": "50",
        }  # fmt: skip
        async with civicbot_serve(env, tmp_path) as service:
            twilio.webhooks.connect_base_url = service.base_url
            bot_api.mode = twilio_api.mode = "5xx"  # both providers fail as the broadcast starts
            async with unit_of_work(sessions) as session:
                await scheduled(session, draft(texts={"ka": "საჯარო განხილვა ხვალ."}), utcnow())
            await _wait(lambda: bot_api.refused > 10 and twilio_api.refused > 3, 30, "no send was tried")
            await _wait_for_outbox(  # the outage goes on: every message failed, and failed again on retry
                migrated_url, _failed_twice, "not every message was retried during the outage"
            )
            bot_api.mode, bot_api.resets_left = "reset", IN_FLIGHT  # connections dropped mid-answer
            await _wait(lambda: bot_api.reset == IN_FLIGHT, 30, "no connection was dropped")
            bot_api.mode = "ok"
            await _wait(
                lambda: all(telegram.messages(chat) for chat in chats), 60, "Telegram never recovered"
            )
            twilio_api.mode = "ok"  # Twilio back later than Telegram, once everyone on Telegram has it

            def everyone_reached() -> bool:
                return all(telegram.messages(chat) for chat in chats) and all(
                    twilio.sent_to(p) for p in phones
                )

            await _wait(everyone_reached, 90, "somebody never got the broadcast:\n" + service.log()[-3000:])
            await _wait_for_outbox(migrated_url, _settled, "messages still waiting or being sent")
            with contextlib.suppress(TimeoutError):
                await twilio.wait_idle(timeout=10)
            log = service.log()
    telegram_copies = sum(len(telegram.messages(chat)) for chat in chats)
    sms_copies = sum(len(twilio.sent_to(phone)) for phone in phones)
    assert sms_copies == SMS_PEOPLE, "Twilio's 503s were refused before sending: no SMS may come twice"
    assert TELEGRAM_PEOPLE <= telegram_copies <= TELEGRAM_PEOPLE + bot_api.reset, (
        f"{telegram_copies} Telegram messages for {TELEGRAM_PEOPLE} people with {bot_api.reset} dropped answers"
    )
    print(
        f"bot api: {bot_api.refused} refused, {bot_api.reset} dropped; twilio: {twilio_api.refused} refused; "
        f"{telegram_copies} Telegram messages for {TELEGRAM_PEOPLE}, {sms_copies} SMS for {SMS_PEOPLE}"
    )
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]


# -- the database restarted under load -----------------------------------------------------------------

PG_BIN = Path(shutil.which("pg_ctl") or "/usr/local/bin/pg_ctl").resolve().parent  # createdb lives beside it


class PrivatePostgres:
    """A PostgreSQL of this test's own on a free port (the shared server is never touched). As root the
    server runs as the `postgres` account, as PostgreSQL requires."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="civicbot-pgdrill-"))
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-o", options,
                  "-l", str(self.dir / "log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        """A fast shutdown: open transactions are rolled back and every connection is cut."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")
        self.start()
        try:
            self._run(
                str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "drill"
            )
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/drill"
        finally:
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop()
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.mark.skipif(
    not (PG_BIN / "initdb").exists(), reason="PostgreSQL server binaries (initdb, pg_ctl) not found"
)
async def test_a_broadcast_survives_the_database_restarting_under_load(tmp_path: Path) -> None:
    people = 150
    database = PrivatePostgres()
    with database.running() as url:
        await prepare_database(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        try:
            async with unit_of_work(sessions) as session:
                chats = [
                    int((await add_person(session, language="ka")).identities[0].address)
                    for _ in range(people)
                ]
            async with FakeTelegram(TOKEN, global_limit=30.0) as telegram:
                for chat in chats:
                    telegram.register_user(chat, "Citizen", language_code="ka")
                env = {
                    "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": telegram.base_url,
                    "QUIET_HOURS": "00:00-00:00", "SCHEDULER_RESYNC_SECONDS": "0.5",
                    "DELIVERY_POLL_SECONDS": "0.1", "DELIVERY_CONCURRENCY": str(IN_FLIGHT),
                    "DELIVERY_RETRY_BASE_SECONDS": "0.5", "DELIVERY_RETRY_MAX_SECONDS": "2",
                    "DELIVERY_LEASE_SECONDS": "5", "TELEGRAM_RATE_PER_SECOND": "20",
                }  # fmt: skip
                async with civicbot_serve(env, tmp_path) as service:
                    async with unit_of_work(sessions) as session:
                        await scheduled(session, draft(texts={"ka": "საჯარო განხილვა ხვალ."}), utcnow())
                    await engine.dispose()  # our own connections go with the server

                    def reached() -> int:
                        return sum(1 for chat in chats if telegram.messages(chat))

                    await _wait(lambda: reached() >= 20, 60, "the broadcast never started")
                    await asyncio.to_thread(database.stop)  # a fast shutdown: every connection is cut
                    await asyncio.sleep(3)  # down for a while, the workers failing to claim or record
                    await asyncio.to_thread(database.start)
                    during = reached()
                    assert during < people, "the broadcast finished before the database went down"
                    await _wait(lambda: reached() == people, 120,
                                "somebody never got the broadcast:\n" + service.log()[-3000:])  # fmt: skip
                    await _wait_for_outbox(url, _settled, "messages still waiting or being sent")
                    async with (
                        aiohttp.ClientSession() as client,
                        client.get(service.base_url + "/healthz") as health,
                    ):
                        assert health.status == 200
                copies = sum(len(telegram.messages(chat)) for chat in chats)
        finally:
            await engine.dispose()
    print(f"{people} people, {during} reached before the restart, {copies} messages")
    assert people <= copies <= people + IN_FLIGHT, f"{copies} messages for {people} people"
