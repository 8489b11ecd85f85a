"""The Telegram adapter against the fake Bot API: each answer Telegram can give, classified."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from channels.delivery import OutcomeKind
from channels.message import Content, Literal, Outgoing, Text
from channels.telegram.client import create_bot
from channels.telegram.sender import TelegramSender
from tests.e2e.service import free_port
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

HELLO = Outgoing(parts=(Literal("<Hearing> on Friday & Saturday"),))


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.register_user(501, "Nino")
        yield fake


@pytest.fixture
async def sender(telegram: FakeTelegram) -> AsyncIterator[TelegramSender]:
    bot = create_bot(DEFAULT_TOKEN, telegram.base_url, retry=False)
    yield TelegramSender(bot)
    await bot.session.close()


async def test_a_sent_message_returns_its_message_id(telegram: FakeTelegram, sender: TelegramSender) -> None:
    outcome = await sender.send("501", HELLO, "en")
    (message,) = telegram.messages(501)
    assert outcome.kind is OutcomeKind.SENT
    assert outcome.provider_message_id == str(message.message_id)
    assert message.text == "<Hearing> on Friday & Saturday"
    assert not message.paid


async def test_paid_broadcast_is_asked_for_when_configured(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    paid = TelegramSender(sender.bot, paid_broadcast=True)
    assert (await paid.send("501", HELLO, "en")).kind is OutcomeKind.SENT
    assert telegram.messages(501)[0].paid


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("block", "bot was blocked by the user"),
        ("deactivate", "user is deactivated"),
        ("unknown chat", "chat not found"),
    ],
)
async def test_people_who_cannot_receive_are_unreachable(
    telegram: FakeTelegram, sender: TelegramSender, setup: str, error: str
) -> None:
    if setup == "block":
        telegram.block(501)
    elif setup == "deactivate":
        telegram.deactivate(501)
    outcome = await sender.send("777" if setup == "unknown chat" else "501", HELLO, "en")
    assert outcome.kind is OutcomeKind.UNREACHABLE
    assert outcome.error is not None and error in outcome.error


async def test_flood_control_returns_retry_after(telegram: FakeTelegram, sender: TelegramSender) -> None:
    telegram.configure_limits(per_chat_limit=0.1, per_chat_burst=1)
    assert (await sender.send("501", HELLO, "en")).kind is OutcomeKind.SENT
    outcome = await sender.send("501", HELLO, "en")
    assert outcome.kind is OutcomeKind.RETRY_AFTER
    assert outcome.retry_after is not None and outcome.retry_after >= 1


async def test_a_message_telegram_refuses_fails_for_good(sender: TelegramSender) -> None:
    outcome = await sender.send("501", Outgoing(parts=(Literal("   "),)), "en")
    assert outcome.kind is OutcomeKind.FAILED
    assert outcome.error is not None and "message text is empty" in outcome.error


async def test_text_missing_in_the_readers_language_fails_without_a_request(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    outcome = await sender.send("501", Outgoing(parts=(Content({"ka": "გამარჯობა"}),)), "az")
    assert outcome.kind is OutcomeKind.FAILED
    assert telegram.stats()["requests"] == 0


async def test_an_unreachable_api_is_transient() -> None:
    bot = create_bot(DEFAULT_TOKEN, f"http://127.0.0.1:{free_port()}", retry=False)
    try:
        outcome = await TelegramSender(bot).send("501", Outgoing(parts=(Text("Thank you."),)), "en")
    finally:
        await bot.session.close()
    assert outcome.kind is OutcomeKind.TRANSIENT


async def test_a_server_error_is_transient() -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    bot = create_bot(DEFAULT_TOKEN, f"http://127.0.0.1:{port}", retry=False)
    try:
        outcome = await TelegramSender(bot).send("501", HELLO, "en")
    finally:
        await bot.session.close()
        await runner.cleanup()
    assert outcome.kind is OutcomeKind.TRANSIENT
    assert outcome.error is not None and "Bad Gateway" in outcome.error
