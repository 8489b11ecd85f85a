"""Abuse limits: a flood of one sender is recorded but not answered (one "too many" per window), and SMS
is answered only to numbers of the allowed countries (no SMS pumping), on both channels."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Chat, Update, User
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.i18n import t
from channels.inbound_limits import (
    TOO_MANY,
    InboundLimiter,
    InboundLimitSettings,
    Verdict,
    sender_tag,
    sms_country_allowed,
)
from contacts.privacy import PrivacyPolicy
from contacts.vault import DataVault
from handlers.context import AppContext
from handlers.telegram.middlewares import UnitOfWorkMiddleware
from storage.models import Contact, InboundEvent
from storage.models.deliveries import Delivery
from tests.handlers.sms.conftest import sms  # noqa: F401  (the fixture)
from tests.handlers.sms.harness import SmsHarness

GE = "+995599123456"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- the limiter --------------------------------------------------------------------------------------


def test_the_limit_allows_n_a_window_then_warns_once_then_stays_silent() -> None:
    clock = Clock()
    limiter = InboundLimiter(per_window=3, window=60, clock=clock)
    verdicts = []
    for _ in range(100):  # 100 messages in under a minute
        verdicts.append(limiter.check("sms", GE))
        clock.now += 0.5
    assert verdicts[:3] == [Verdict.HANDLE] * 3
    assert verdicts[3] == Verdict.WARN
    assert set(verdicts[4:]) == {Verdict.SILENT}


def test_a_sustained_flood_is_warned_once_a_window_and_a_pause_lets_the_sender_back() -> None:
    clock = Clock()
    limiter = InboundLimiter(per_window=2, window=60, clock=clock)
    verdicts = []
    for _ in range(180):  # one a second for three minutes: always over the limit
        verdicts.append(limiter.check("telegram", "42"))
        clock.now += 1
    assert verdicts.count(Verdict.HANDLE) == 2
    assert verdicts.count(Verdict.WARN) == 3  # once per minute, never more
    clock.now += 60  # quiet for a minute
    assert limiter.check("telegram", "42") is Verdict.HANDLE


def test_senders_and_channels_are_counted_apart() -> None:
    limiter = InboundLimiter(per_window=1, clock=Clock())
    assert limiter.check("sms", GE) is Verdict.HANDLE
    assert limiter.check("sms", "+995599000000") is Verdict.HANDLE
    assert limiter.check("telegram", GE) is Verdict.HANDLE
    assert limiter.check("sms", GE) is Verdict.WARN


def test_a_spray_of_new_senders_cannot_grow_the_table_past_its_bound() -> None:
    clock = Clock()
    limiter = InboundLimiter(per_window=5, clock=clock, max_senders=1000)
    for n in range(20_000):
        limiter.check("sms", f"+99559{n:07d}")
    assert len(limiter) <= 1000
    clock.now += 61  # everyone quiet: the next newcomer clears them out
    limiter.check("sms", GE)
    assert len(limiter) == 1


def test_sms_countries_default_to_georgia_and_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert InboundLimitSettings().sms_allowed_countries == frozenset({"GE"})
    assert sms_country_allowed(GE, frozenset({"GE"}))
    for foreign in ("+994501234567", "+37491123456", "+79001234567", "+12025550123", "+882345678901"):
        assert not sms_country_allowed(foreign, frozenset({"GE"}))
    assert not sms_country_allowed("not a number", frozenset({"GE"}))
    monkeypatch.setenv("SMS_ALLOWED_COUNTRIES", "ge, az;AM")
    assert InboundLimitSettings().sms_allowed_countries == frozenset({"GE", "AZ", "AM"})
    monkeypatch.setenv("SMS_ALLOWED_COUNTRIES", "GE,XX")
    with pytest.raises(ValueError, match="XX"):
        InboundLimitSettings()


def test_logs_name_a_pseudonym_never_the_number(caplog: pytest.LogCaptureFixture) -> None:
    limiter = InboundLimiter(per_window=1, clock=Clock())
    with caplog.at_level(logging.DEBUG, logger="channels.inbound_limits"):
        for _ in range(3):
            limiter.check("sms", GE)
    assert sender_tag("sms", GE) in caplog.text
    assert "599123456" not in caplog.text


def test_the_warning_is_one_sms_segment_in_every_language() -> None:
    from channels.sms.segments import count_segments

    for lang in ("ka", "az", "hy", "ru", "en"):
        text = t(lang, TOO_MANY)
        assert count_segments(text).segments == 1, (lang, text)
        assert lang == "en" or text != TOO_MANY, f"{lang} is not translated"


# -- SMS ----------------------------------------------------------------------------------------------


async def _count(sessions: async_sessionmaker[AsyncSession], model: type[object]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_sms_flood_is_recorded_answered_once_with_too_many_then_not_at_all(
    sms: SmsHarness,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SMS_INBOUND_PER_MINUTE", "2")
    answered = [await sms.text(GE, "salam"), await sms.text(GE, "hello?")]
    assert all(answered)  # within the limit: the conversation answers
    with caplog.at_level(logging.INFO):
        flood = [await sms.text(GE, f"spam {n}") for n in range(20)]
    contact = await sms.contact(GE)
    assert contact is not None
    assert flood[0] == [t(contact.language, TOO_MANY)]
    assert all(replies == [] for replies in flood[1:])
    assert await _count(sms.sessions, InboundEvent) == 22  # every one recorded (a re-send stays handled)
    assert "inbound flood" in caplog.text
    assert GE not in caplog.text


async def test_stop_goes_through_a_flood(sms: SmsHarness, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("SMS_INBOUND_PER_MINUTE", "1")
    await sms.text(GE, "salam")
    await sms.text(GE, "again")  # the warning
    await sms.text(GE, "STOP")
    contact = await sms.contact(GE)
    assert contact is None or contact.status == "unsubscribed"


async def test_sms_from_another_country_is_not_answered_and_nothing_is_stored(
    sms: SmsHarness,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="handlers.sms.gate"):
        result = await sms.send("+882345678901", "START")  # an international premium range
        also = await sms.send("+994501234567", "salam")
    await sms.deliver()
    assert (result.status, also.status) == (200, 200)
    assert await _count(sms.sessions, Contact) == 0
    assert await _count(sms.sessions, InboundEvent) == 0
    assert await _count(sms.sessions, Delivery) == 0
    assert sms.fake.sent_to("+994501234567") == []
    assert "outside SMS_ALLOWED_COUNTRIES" in caplog.text


async def test_an_allowed_country_is_answered(sms: SmsHarness, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("SMS_ALLOWED_COUNTRIES", "GE,AZ")
    assert await sms.text("+994501234567", "salam")
    assert await sms.contact("+994501234567") is not None


# -- Telegram -----------------------------------------------------------------------------------------


class FakeBot:
    def __init__(self) -> None:
        self.sent: list[tuple[int | str, str]] = []

    async def send_message(self, chat_id: int | str, text: str, **_: Any) -> None:
        self.sent.append((chat_id, text))

    async def __call__(self, method: TelegramMethod[Any], request_timeout: int | None = None) -> None:
        """Replies go as method objects (`channels.telegram.send`)."""
        if isinstance(method, SendMessage):
            self.sent.append((method.chat_id, method.text))


def _update(update_id: int, user_id: int, text: str) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_700_000_000,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "A", "language_code": "ru"},
                "text": text,
            },
        }
    )


async def test_a_telegram_flood_reaches_no_handler_and_gets_one_warning(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy
) -> None:
    clock = Clock()
    middleware = UnitOfWorkMiddleware(
        AppContext(sessions, vault, policy), limiter=InboundLimiter(per_window=3, clock=clock)
    )
    handled: list[int] = []
    bot = FakeBot()

    async def handler(event: Any, data: dict[str, Any]) -> None:
        handled.append(event.update_id)

    for n in range(1, 51):
        update = _update(n, 77, f"/start {n}")
        assert update.message is not None
        user = update.message.from_user
        assert isinstance(user, User)
        data: dict[str, Any] = {"event_from_user": user, "event_chat": update.message.chat, "bot": bot}
        assert isinstance(data["event_chat"], Chat)
        await middleware(handler, update, data)
        clock.now += 0.2
    assert handled == [1, 2, 3]
    assert bot.sent == [(77, t("ru", TOO_MANY))]
    assert await _count(sessions, InboundEvent) == 50
