"""The Twilio sender against the fake Twilio API: real URL scheme, basic auth and Twilio's error codes."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr
from twilio.base.exceptions import TwilioRestException

from bot.settings import TwilioSettings
from channels.delivery import OutcomeKind, SendOutcome
from channels.message import Choice, Literal, Outgoing, Text
from channels.sms.render import render_sms
from channels.sms.sender import (
    SMS_UNSUBSCRIBED,
    TwilioSender,
    classify,
    sms_sender,
    status_callback_url,
    twilio_client,
)
from tests.fakes.twilio_api import FakeTwilio
from tests.fakes.twilio_segments import Encoding

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-for-tests"
SENDER = "+995322000001"
SERVICE_SID = "MG" + "fedcba9876543210" * 2
SERVICE_NUMBER = "+995322000002"
CITIZEN = "+995599123456"
PUBLIC_BASE = "https://civicbot.example.ge"
QUESTION = Outgoing(
    parts=(Literal("Will you come to the hearing?"),),
    choices=(Choice("hr:1:go", Literal("Yes")), Choice("hr:1:no", Literal("No"))),
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(
        ACCOUNT_SID, AUTH_TOKEN, senders=[SENDER], messaging_services={SERVICE_SID: [SERVICE_NUMBER]}
    ) as running:
        yield running


async def _send(
    fake: FakeTwilio,
    message: Outgoing = QUESTION,
    to: str = CITIZEN,
    *,
    token: str = AUTH_TOKEN,
    latin: bool = False,
    language: str = "en",
    **sender: Any,
) -> SendOutcome:
    options = {"from_": SENDER, "status_callback": status_callback_url(PUBLIC_BASE)} | sender
    twilio = TwilioSender(twilio_client(ACCOUNT_SID, token, fake.base_url), **options)
    try:
        return await twilio.send(to, message, language, sms_latin=latin)
    finally:
        await twilio.close()


async def test_a_message_goes_out_from_the_number_with_a_status_callback(fake: FakeTwilio) -> None:
    outcome = await _send(fake)

    assert outcome.kind is OutcomeKind.SENT
    (sent,) = fake.sent_to(CITIZEN)
    assert outcome.provider_message_id == sent.sid
    assert sent.body == render_sms(QUESTION, "en")
    assert sent.from_ == SENDER
    assert sent.request_params["StatusCallback"] == [f"{PUBLIC_BASE}/twilio/status"]


async def test_a_messaging_service_sends_and_picks_its_number(fake: FakeTwilio) -> None:
    outcome = await _send(fake, from_=None, messaging_service_sid=SERVICE_SID)
    await fake.wait_idle()

    assert outcome.kind is OutcomeKind.SENT
    (sent,) = fake.sent_to(CITIZEN)
    assert sent.messaging_service_sid == SERVICE_SID
    assert sent.from_ == SERVICE_NUMBER
    assert "From" not in sent.request_params


async def test_latin_mode_sends_gsm7(fake: FakeTwilio) -> None:
    georgian = Outgoing(
        parts=(Literal("საჯარო განხილვა ბიუჯეტზე ხვალ, 15:00 საათზე, მერიის დიდ დარბაზში. გელოდებით!"),)
    )

    await _send(fake, georgian, language="ka")
    await _send(fake, georgian, language="ka", latin=True)

    native, latin = fake.sent_to(CITIZEN)
    assert native.segmentation.encoding is Encoding.UCS2
    assert latin.segmentation.encoding is Encoding.GSM7
    assert latin.num_segments < native.num_segments


@pytest.mark.parametrize(
    ("prepare", "to", "message", "kind", "error"),
    [
        pytest.param("opt_out", CITIZEN, QUESTION, OutcomeKind.UNREACHABLE, SMS_UNSUBSCRIBED, id="21610"),
        pytest.param(None, "+1", QUESTION, OutcomeKind.FAILED, "twilio 21211", id="21211-invalid-to"),
        pytest.param("regions", "+14155550100", QUESTION, OutcomeKind.FAILED, "twilio 21408", id="21408"),
        pytest.param(
            None,
            CITIZEN,
            Outgoing(parts=(Literal("a" * 1700),)),
            OutcomeKind.FAILED,
            "twilio 21617",
            id="21617-too-long",
        ),
    ],
)
async def test_twilio_refusals_map_onto_outcomes(
    fake: FakeTwilio, prepare: str | None, to: str, message: Outgoing, kind: OutcomeKind, error: str
) -> None:
    if prepare == "opt_out":
        fake.opt_out(CITIZEN)
    if prepare == "regions":
        fake.allowed_regions = {"GE"}

    outcome = await _send(fake, message, to)

    assert outcome.kind is kind
    assert outcome.error is not None and outcome.error.startswith(error)
    assert fake.sent_to(to) == []


async def test_a_wrong_auth_token_is_retried_later_not_failed(fake: FakeTwilio) -> None:
    outcome = await _send(fake, token="not-the-token")

    assert outcome.kind is OutcomeKind.TRANSIENT
    assert outcome.error is not None and "20003" in outcome.error


async def test_the_senders_rate_limit_asks_the_workers_to_wait() -> None:
    frozen = 50.0
    async with FakeTwilio(
        ACCOUNT_SID, AUTH_TOKEN, senders=[SENDER], mps=1.0, monotonic=lambda: frozen
    ) as fake:
        first = await _send(fake)
        second = await _send(fake)

    assert first.kind is OutcomeKind.SENT
    assert second.kind is OutcomeKind.RETRY_AFTER
    assert second.retry_after == 1.0
    assert second.error is not None and "20429" in second.error


async def test_a_server_error_is_transient() -> None:
    async def broken(request: web.Request) -> web.Response:
        body = {"code": 20500, "message": "Internal Server Error", "status": 503}
        return web.json_response(body, status=503)

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        twilio = TwilioSender(twilio_client(ACCOUNT_SID, AUTH_TOKEN, f"http://{host}:{port}"), from_=SENDER)
        outcome = await twilio.send(CITIZEN, QUESTION, "en")
        await twilio.close()
    finally:
        await runner.cleanup()

    assert outcome.kind is OutcomeKind.TRANSIENT
    assert outcome.error is not None and "20500" in outcome.error


async def test_an_unreachable_api_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    twilio = TwilioSender(twilio_client(ACCOUNT_SID, AUTH_TOKEN, f"http://127.0.0.1:{port}"), from_=SENDER)

    outcome = await twilio.send(CITIZEN, QUESTION, "en")
    await twilio.close()

    assert outcome.kind is OutcomeKind.TRANSIENT


async def test_a_local_api_base_ignores_twilio_edge_and_region(
    fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    monkeypatch.setenv("TWILIO_REGION", "ie1")

    outcome = await _send(fake)

    assert outcome.kind is OutcomeKind.SENT


async def test_a_message_without_text_in_the_language_fails_without_calling_twilio(fake: FakeTwilio) -> None:
    from channels.message import Content

    outcome = await _send(fake, Outgoing(parts=(Content({"ka": "მხოლოდ ქართულად"}),)))

    assert outcome.kind is OutcomeKind.FAILED
    assert fake.messages == {}


@pytest.mark.parametrize(
    ("status", "code", "kind", "wait"),
    [
        pytest.param(400, 21610, OutcomeKind.UNREACHABLE, None, id="unsubscribed"),
        pytest.param(400, 21614, OutcomeKind.FAILED, None, id="not-mobile"),
        pytest.param(400, 21211, OutcomeKind.FAILED, None, id="invalid-number"),
        pytest.param(429, 20429, OutcomeKind.RETRY_AFTER, 1.0, id="too-many-requests"),
        pytest.param(429, None, OutcomeKind.RETRY_AFTER, 1.0, id="bare-429"),
        pytest.param(400, 30001, OutcomeKind.RETRY_AFTER, 30.0, id="queue-overflow"),
        pytest.param(503, None, OutcomeKind.TRANSIENT, None, id="unavailable"),
        pytest.param(401, 20003, OutcomeKind.TRANSIENT, None, id="credentials"),
    ],
)
def test_classify(status: int, code: int | None, kind: OutcomeKind, wait: float | None) -> None:
    outcome = classify(TwilioRestException(status, "/Messages.json", "refused", code, "POST"))

    assert outcome.kind is kind
    assert outcome.retry_after == wait
    assert outcome.error is not None and "refused" in outcome.error


async def test_the_configured_sender_is_none_without_twilio_settings() -> None:
    async with sms_sender(TwilioSettings(twilio_account_sid=None), PUBLIC_BASE) as sender:
        assert sender is None


async def test_the_configured_sender_sends_with_its_settings(fake: FakeTwilio) -> None:
    settings = TwilioSettings(
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=SecretStr(AUTH_TOKEN),
        twilio_from=SENDER,
        twilio_api_base=fake.base_url,
    )
    async with sms_sender(settings, PUBLIC_BASE + "/") as sender:
        assert sender is not None
        outcome = await sender.send(CITIZEN, Outgoing(parts=(Text("Welcome! You are signed up."),)), "az")

    assert outcome.kind is OutcomeKind.SENT
    (sent,) = fake.sent_to(CITIZEN)
    assert sent.request_params["StatusCallback"] == [f"{PUBLIC_BASE}/twilio/status"]
