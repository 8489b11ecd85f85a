"""Outage drills for inbound messages: the database stuck while SMS and Telegram messages arrive.

Each webhook is answered 2xx within a second (Twilio does not re-send, Telegram re-sends what it got no
2xx for), the raw message waits in the spool (`handlers.spool`), and once the database is back every
message is handled exactly once and in order per person: each person gets the very replies, in the very
order, of someone who wrote the same while the database was well. Two ways to be stuck: a lock held on
the table (the handling waits, then commits after the answer), and the whole private PostgreSQL frozen
with SIGSTOP, the service killed with messages still in the spool, and started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from storage.db import create_engine, is_sqlite, session_factory
from storage.models import InboundEvent
from tests.e2e.service import civicbot_serve, free_port, prepare_database
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.handlers.sms.conftest import sms  # noqa: F401  (the fixture)
from tests.handlers.sms.harness import SmsHarness
from tests.security.test_outages import PG_BIN, PrivatePostgres

SMS_TEXTS = ("Salam", "2", "4")  # greeting -> language menu, Azərbaycanca -> municipality, Marneuli -> notice
TELEGRAM_TEXTS = ("/start", "/help", "/privacy")
PHONES = ("+995599300001", "+995599300002", "+995599300003")
CONTROL_PHONE = "+995599300009"
USERS = (8101, 8102, 8103)
CONTROL_USER = 8109
ANSWER_WITHIN = 1.0

TOKEN = "123456789:AAE_inbound-drill_abcdefghijklmnopqrs"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "inbound-drill-auth-token"
SENDER = "+995322000001"
PUBLIC_BASE = "https://sms.civicbot.example.ge"


async def _eventually(condition: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


@dataclass(frozen=True)
class Answer:
    phone: str
    sid: str
    status: int
    seconds: float


async def _text(twilio: FakeTwilio, phone: str, body: str) -> Answer:
    started = time.perf_counter()
    result = await twilio.send_sms(phone, body)
    return Answer(phone, result.message_sid, result.status, time.perf_counter() - started)


def _check_answers(answers: list[Answer]) -> float:
    """Every webhook answered 200 within the second; returns the slowest answer."""
    assert [a.status for a in answers] == [200] * len(answers)
    slowest = max(a.seconds for a in answers)
    assert slowest < ANSWER_WITHIN, [round(a.seconds, 2) for a in answers]
    return slowest


async def _handled_in_order(url: str, answers: list[Answer], order: list[str] | None = None) -> None:
    """Each SMS recorded once, and each phone's in the order it sent them (`answers` is in send order).

    The replies' texts show the same (each depends on the message before), but the outbox may send a
    person's replies queued at the same moment in either order, so they are compared as a multiset."""
    recorded = order if order is not None else await _recorded(url)
    for phone in {a.phone for a in answers}:
        sent = [a.sid for a in answers if a.phone == phone]
        assert [sid for sid in recorded if sid in sent] == sent, phone


async def _recorded(url: str) -> list[str]:
    """The provider ids of the handled inbound events, in the order they were handled."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return list(await session.scalars(select(InboundEvent.external_id).order_by(InboundEvent.id)))
    finally:
        await engine.dispose()


@asynccontextmanager
async def _table_locked(url: str) -> AsyncIterator[None]:
    """Recording an inbound event waits: an exclusive lock on the table (PostgreSQL), or the database's
    one write lock held by another connection (SQLite's BEGIN IMMEDIATE, see storage.db)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.begin()
            if not is_sqlite(url):
                await connection.execute(text("LOCK TABLE inbound_events IN ACCESS EXCLUSIVE MODE"))
            yield
            await connection.rollback()
    finally:
        await engine.dispose()


async def test_sms_while_a_lock_holds_the_table_is_answered_at_once_then_handled_once_in_order(
    sms: SmsHarness,  # noqa: F811
    migrated_url: str,
) -> None:
    control = [reply for body in SMS_TEXTS for reply in await sms.text(CONTROL_PHONE, body)]
    answers: list[Answer] = []
    async with _table_locked(migrated_url):
        for body in SMS_TEXTS:  # every phone at once, one message after the other
            answers += await asyncio.gather(*(_text(sms.fake, phone, body) for phone in PHONES))
        assert sms.service.intake.depth == len(answers), "not all kept in the spool"
    await _eventually(lambda: sms.service.intake.depth == 0, 60, "the handling never finished")
    await sms.deliver()

    slowest = _check_answers(answers)
    await _handled_in_order(migrated_url, answers)
    for phone in PHONES:
        assert sorted(m.body for m in sms.fake.sent_to(phone)) == sorted(control), phone
    print(f"SMS answered within {slowest:.2f} s while the table was locked; all handled once, in order")


# -- the database frozen, the service killed and started again -------------------------------------


@contextlib.contextmanager
def _frozen(database: PrivatePostgres) -> Iterator[None]:
    """Every process of the private server stopped (SIGSTOP): connections hang, nothing is refused."""
    postmaster = int((database.dir / "data" / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout
    pids = [postmaster, *(int(pid) for pid in children.split())]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


async def _metrics(base_url: str) -> dict[str, float]:
    async with httpx.AsyncClient() as client:
        body = (await client.get(base_url + "/metrics", timeout=5)).text
    pattern = re.compile(r"^(civicbot_inbound_\w+|civicbot_webhook_seconds_bucket)(\{[^}]*\})? (\S+)$", re.M)
    return {name + (labels or ""): float(value) for name, labels, value in pattern.findall(body)}


async def _sms_conversation(twilio: FakeTwilio, phone: str) -> list[str]:
    for n, body in enumerate(SMS_TEXTS, start=1):
        assert (await _text(twilio, phone, body)).status == 200
        await twilio.wait_for_messages(phone, n, timeout=30)
    return [m.body for m in twilio.sent_to(phone)]


async def _telegram_conversation(telegram: FakeTelegram, user: int) -> list[str]:
    for body in TELEGRAM_TEXTS:
        before = len(telegram.messages(user))
        telegram.send_text(user, body)
        await telegram.wait_for_messages(user, before + 1, timeout=30)
    await telegram.wait_idle(timeout=10, quiet=0.5)
    return [m.text or "" for m in telegram.messages(user)]


@pytest.mark.slow
@pytest.mark.skipif(not (PG_BIN / "initdb").exists(), reason="PostgreSQL server binaries not found")
async def test_a_frozen_database_and_a_killed_service_lose_and_double_nothing(tmp_path: Path) -> None:
    events = (len(PHONES) + len(USERS)) * len(SMS_TEXTS)
    database = PrivatePostgres()
    with database.running() as url:
        await prepare_database(url)
        port = free_port()
        async with (
            FakeTelegram(TOKEN, webhook_timeout=ANSWER_WITHIN, webhook_retry_delays=(0.5, 1, 2, 4)) as telegram,
            FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, senders=[SENDER], webhook_url=f"{PUBLIC_BASE}/twilio/sms",
                       public_base_url=PUBLIC_BASE, mps=None) as twilio,
        ):  # fmt: skip
            for user in (*USERS, CONTROL_USER):
                telegram.register_user(user, "Nino", language_code="az")
            env = {
                "DATABASE_URL": url, "STATE_DIR": str(tmp_path / "state"),
                "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": telegram.base_url,
                "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": SENDER,
                "TWILIO_API_BASE": twilio.base_url, "PUBLIC_BASE_URL": PUBLIC_BASE,
                "DELIVERY_POLL_SECONDS": "0.1", "SMS_MESSAGES_PER_SECOND": "50", "QUIET_HOURS": "00:00-00:00",
            }  # fmt: skip
            (tmp_path / "first").mkdir()
            async with civicbot_serve(env, tmp_path / "first", port=port) as first:
                twilio.webhooks.connect_base_url = first.base_url
                await telegram.wait_for(lambda: bool(telegram.feed.webhook_info()["url"]), timeout=30)
                control_sms = await _sms_conversation(twilio, CONTROL_PHONE)
                control_telegram = await _telegram_conversation(telegram, CONTROL_USER)
                updates: list[tuple[int, int]] = []
                with _frozen(database):
                    answers: list[Answer] = []
                    for n, body in enumerate(SMS_TEXTS):
                        for user in USERS:
                            updates.append((user, telegram.send_text(user, TELEGRAM_TEXTS[n])["update_id"]))
                        answers += await asyncio.gather(*(_text(twilio, phone, body) for phone in PHONES))
                    await telegram.wait_for(lambda: telegram.stats()["pending_updates"] == 0, timeout=30)
                    spooled = await _metrics(first.base_url)
                    first.process.kill()  # messages in the spool, none handled: a crash before replay
                    await asyncio.to_thread(first.process.wait, 10)
            (tmp_path / "second").mkdir()
            async with civicbot_serve(env, tmp_path / "second", port=port) as second:
                twilio.webhooks.connect_base_url = second.base_url
                await twilio.wait_for_messages(PHONES[-1], len(control_sms), timeout=60)
                for phone in PHONES:
                    await twilio.wait_for_messages(phone, len(control_sms), timeout=30)
                for user in USERS:
                    await telegram.wait_for_messages(user, len(control_telegram), timeout=30)
                await telegram.wait_idle(timeout=10, quiet=1.0)
                await twilio.wait_idle(timeout=10)
                replayed = await _metrics(second.base_url)
                log = (tmp_path / "first" / "civicbot.log").read_text() + second.log()
        order = await _recorded(url)

    slowest = _check_answers(answers)
    assert telegram.stats()["webhook_failures"] == 0, "an update was answered late or not 2xx: re-sent"
    assert spooled["civicbot_inbound_spool_depth"] == events, spooled
    for route in ("telegram", "twilio_sms"):  # as the service itself measured its answers
        buckets = {k: v for k, v in spooled.items() if f'route="{route}"' in k and 'status="200"' in k}
        within = next(v for k, v in buckets.items() if 'le="1.0"' in k)
        assert within == next(v for k, v in buckets.items() if 'le="+Inf"' in k) > 0, buckets
    assert len(order) == events + len(SMS_TEXTS) + len(TELEGRAM_TEXTS)  # the control's too, none twice
    await _handled_in_order(url, answers, order)
    for user in USERS:
        sent = [str(update) for who, update in updates if who == user]
        assert [u for u in order if u in sent] == sent, user
    for phone in PHONES:
        assert sorted(m.body for m in twilio.sent_to(phone)) == sorted(control_sms), phone
    for user in USERS:  # Telegram replies go out after each update's commit, in order
        assert [m.text for m in telegram.messages(user)] == control_telegram, user
    assert replayed["civicbot_inbound_spool_depth"] == 0
    handled = 'civicbot_inbound_replayed_total{channel="%s",outcome="handled"}'
    assert replayed[handled % "sms"] + replayed[handled % "telegram"] == events, replayed
    assert f"{events} inbound events wait in" in log and "spooled: nothing was handled for 0.50 s" in log
    assert "the inbound spool is empty again" in log
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]
    print(f"{events} messages while the database was frozen; SMS answered within {slowest:.2f} s; "
          "all replayed once, in order, after the kill")  # fmt: skip
