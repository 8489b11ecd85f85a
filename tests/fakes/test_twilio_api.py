"""The fake Twilio speaks Twilio's protocol: the official async client, signatures and segments agree."""

import asyncio
import re
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes.twilio_api import FakeTwilio
from tests.fakes.twilio_segments import Encoding, Segmentation, count_segments

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-for-tests"
SENDER = "+995322000001"
SERVICE_SID = "MG" + "fedcba9876543210" * 2
SERVICE_NUMBER = "+995322000002"
CITIZEN = "+995599123456"
PUBLIC_BASE = "https://civicbot.example.ge"
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class Received:
    path_qs: str
    form: dict[str, str]
    signature: str
    idempotency_token: str
    valid: bool


class AppStub:
    """Stands in for civicbot's HTTP app: checks X-Twilio-Signature against its *public* URL, as it must."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.twiml = "<?xml version='1.0' encoding='UTF-8'?><Response/>"
        self.callback_status = 204
        self.base_url = ""
        self.public_base: str | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/twilio/sms", self._incoming)
        app.router.add_post("/twilio/status", self._status)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def callbacks(self) -> list[Received]:
        return [r for r in self.requests if r.path_qs.startswith("/twilio/status")]

    def incoming(self) -> list[Received]:
        return [r for r in self.requests if r.path_qs.startswith("/twilio/sms")]

    async def _record(self, request: web.Request) -> Received:
        form = await request.post()
        params = {key: str(value) for key, value in form.items()}
        signature = request.headers.get("X-Twilio-Signature", "")
        url = (self.public_base or self.base_url) + request.path_qs
        received = Received(
            path_qs=request.path_qs,
            form=params,
            signature=signature,
            idempotency_token=request.headers.get("I-Twilio-Idempotency-Token", ""),
            valid=RequestValidator(AUTH_TOKEN).validate(url, params, signature),
        )
        self.requests.append(received)
        return received

    async def _incoming(self, request: web.Request) -> web.Response:
        if not (await self._record(request)).valid:
            return web.Response(status=403, text="invalid signature")
        return web.Response(text=self.twiml, content_type="text/xml")

    async def _status(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.Response(status=self.callback_status)


@pytest.fixture
async def app_stub() -> AsyncIterator[AppStub]:
    stub = AppStub()
    await stub.start()
    yield stub
    await stub.stop()


@pytest.fixture
async def make_fake(app_stub: AppStub) -> AsyncIterator[Callable[..., FakeTwilio]]:
    """Build fakes whose webhooks reach the stub; the test starts them, teardown stops them all."""
    started: list[FakeTwilio] = []

    def make(**overrides: Any) -> FakeTwilio:
        options: dict[str, Any] = {
            "senders": [SENDER],
            "messaging_services": {SERVICE_SID: [SERVICE_NUMBER]},
            "webhook_url": f"{app_stub.base_url}/twilio/sms",
        }
        built = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, **(options | overrides))
        started.append(built)
        return built

    yield make
    for built in started:
        await built.stop()


@pytest.fixture
async def fake(make_fake: Callable[..., FakeTwilio]) -> FakeTwilio:
    started = make_fake()
    await started.start()
    return started


@pytest.fixture
async def client(fake: FakeTwilio) -> AsyncIterator[Client]:
    twilio = _client_for(fake, AUTH_TOKEN)
    yield twilio
    await twilio.http_client.close()


def _client_for(fake: FakeTwilio, auth_token: str) -> Client:
    """The project's way to reach the fake: the official async client with its api domain re-based."""
    twilio = Client(ACCOUNT_SID, auth_token, http_client=AsyncTwilioHttpClient())
    twilio.api.base_url = fake.base_url
    return twilio


# -- Messages resource -------------------------------------------------------------------------------


async def test_create_async_reaches_the_fake_through_the_base_url_override(
    fake: FakeTwilio, client: Client
) -> None:
    message = await client.messages.create_async(to=CITIZEN, from_=SENDER, body="Hearing on Friday")

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid or "")
    assert (message.status, message.num_segments, message.direction) == ("queued", "1", "outbound-api")
    assert (message.to, message.from_, message.account_sid) == (CITIZEN, SENDER, ACCOUNT_SID)
    assert message.price is None
    assert message.error_code is None
    assert message.date_created is not None
    assert fake.messages[message.sid].body == "Hearing on Friday"


async def test_fetch_returns_the_current_status(fake: FakeTwilio, client: Client) -> None:
    created = await client.messages.create_async(to=CITIZEN, from_=SENDER, body="Poll opens today")
    await fake.wait_idle()

    fetched = await client.messages(created.sid).fetch_async()

    assert fetched.status == "delivered"
    assert fake.messages[created.sid].statuses == ["queued", "sent", "delivered"]


async def test_wrong_auth_token_is_refused_with_20003(fake: FakeTwilio) -> None:
    intruder = _client_for(fake, "not-the-token")
    with pytest.raises(TwilioRestException) as caught:
        await intruder.messages.create_async(to=CITIZEN, from_=SENDER, body="hi")
    await intruder.http_client.close()

    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert fake.messages == {}


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        pytest.param({"to": "+1"}, 21211, id="invalid-to"),
        pytest.param({"to": "599123456"}, 21211, id="national-format-to"),
        pytest.param({"from_": "+995322999999"}, 21606, id="from-not-owned"),
        pytest.param({"from_": "no sender!"}, 21212, id="from-malformed"),
        pytest.param({"body": ""}, 21602, id="body-missing"),
        pytest.param({"body": "a" * 1601}, 21617, id="body-over-1600"),
        pytest.param({"body": "😀" * 801}, 21617, id="emoji-count-double"),
        pytest.param({"from_": None, "messaging_service_sid": "MG" + "1" * 32}, 21701, id="unknown-service"),
        pytest.param({"from_": None, "messaging_service_sid": "MG123"}, 21705, id="malformed-service"),
    ],
)
async def test_invalid_requests_get_twilios_error_codes(
    fake: FakeTwilio, client: Client, kwargs: dict[str, object], code: int
) -> None:
    request: dict[str, object] = {"to": CITIZEN, "from_": SENDER, "body": "hello"} | kwargs
    with pytest.raises(TwilioRestException) as caught:
        await client.messages.create_async(**{k: v for k, v in request.items() if v is not None})

    assert (caught.value.status, caught.value.code) == (400, code)
    assert fake.messages == {}


async def test_region_not_enabled_is_21408(fake: FakeTwilio, client: Client) -> None:
    fake.allowed_regions = {"GE"}

    with pytest.raises(TwilioRestException) as caught:
        await client.messages.create_async(to="+14155550100", from_=SENDER, body="hi")

    assert caught.value.code == 21408


async def test_sender_rate_limit_answers_429_with_20429(make_fake: Callable[..., FakeTwilio]) -> None:
    now = [100.0]
    limited = make_fake(mps=1.0, monotonic=lambda: now[0])
    await limited.start()
    twilio = _client_for(limited, AUTH_TOKEN)

    await twilio.messages.create_async(to=CITIZEN, from_=SENDER, body="first")
    with pytest.raises(TwilioRestException) as caught:
        await twilio.messages.create_async(to=CITIZEN, from_=SENDER, body="second, too soon")
    now[0] += 1.0
    await twilio.messages.create_async(to=CITIZEN, from_=SENDER, body="second, a second later")
    await twilio.http_client.close()

    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert [m.body for m in limited.sent_to(CITIZEN)] == ["first", "second, a second later"]


async def test_reply_loop_guard_fails_messages_with_14107(make_fake: Callable[..., FakeTwilio]) -> None:
    guarded = make_fake(loop_limit=2)
    await guarded.start()
    twilio = _client_for(guarded, AUTH_TOKEN)
    for n in range(3):
        await twilio.messages.create_async(to=CITIZEN, from_=SENDER, body=f"message {n}")
    await twilio.http_client.close()
    await guarded.wait_idle()

    assert [(m.status, m.error_code) for m in guarded.sent_to(CITIZEN)] == [
        ("delivered", None),
        ("delivered", None),
        ("failed", 14107),
    ]


# -- status callbacks --------------------------------------------------------------------------------


async def test_status_callbacks_arrive_in_order_and_are_signed(
    fake: FakeTwilio, client: Client, app_stub: AppStub
) -> None:
    callback_url = f"{app_stub.base_url}/twilio/status?delivery=42"
    message = await client.messages.create_async(
        to=CITIZEN, from_=SENDER, body="Reminder", status_callback=callback_url
    )
    await fake.wait_idle()

    callbacks = app_stub.callbacks()
    assert [c.form["MessageStatus"] for c in callbacks] == ["sent", "delivered"]
    assert all(c.form["SmsStatus"] == c.form["MessageStatus"] for c in callbacks)
    assert {c.form["MessageSid"] for c in callbacks} == {message.sid}
    assert callbacks[0].form["ApiVersion"] == "2010-04-01"
    assert "ErrorCode" not in callbacks[-1].form
    assert all(RequestValidator(AUTH_TOKEN).validate(callback_url, c.form, c.signature) for c in callbacks)
    first = callbacks[0]
    assert not RequestValidator("another-token").validate(callback_url, first.form, first.signature)


@pytest.mark.parametrize(
    ("status", "error_code", "expected"),
    [
        pytest.param("undelivered", 30003, ["sent", "undelivered"], id="unreachable-handset"),
        pytest.param("undelivered", 30006, ["sent", "undelivered"], id="landline"),
        pytest.param("failed", 30008, ["failed"], id="failed-unknown"),
    ],
)
async def test_recipient_outcome_drives_callbacks_and_error_code(
    fake: FakeTwilio, client: Client, app_stub: AppStub, status: str, error_code: int, expected: list[str]
) -> None:
    fake.set_outcome(CITIZEN, status, error_code)
    message = await client.messages.create_async(
        to=CITIZEN, from_=SENDER, body="x", status_callback=f"{app_stub.base_url}/twilio/status"
    )
    await fake.wait_idle()

    assert [c.form["MessageStatus"] for c in app_stub.callbacks()] == expected
    assert app_stub.callbacks()[-1].form["ErrorCode"] == str(error_code)
    fetched = await client.messages(message.sid).fetch_async()
    assert (fetched.status, fetched.error_code) == (status, error_code)


async def test_messaging_service_message_is_accepted_then_queued(
    fake: FakeTwilio, client: Client, app_stub: AppStub
) -> None:
    message = await client.messages.create_async(
        to=CITIZEN,
        messaging_service_sid=SERVICE_SID,
        body="ა" * 71,
        status_callback=f"{app_stub.base_url}/twilio/status",
    )
    await fake.wait_idle()

    assert (message.status, message.num_segments, message.from_) == ("accepted", "0", None)
    callbacks = app_stub.callbacks()
    assert [c.form["MessageStatus"] for c in callbacks] == ["queued", "sent", "delivered"]
    assert {c.form["MessagingServiceSid"] for c in callbacks} == {SERVICE_SID}
    fetched = await client.messages(message.sid).fetch_async()
    assert (fetched.from_, fetched.num_segments) == (SERVICE_NUMBER, "2")


async def test_failed_callback_is_retried_only_when_configured(
    make_fake: Callable[..., FakeTwilio], app_stub: AppStub
) -> None:
    retrying = make_fake(callback_retries=2)
    await retrying.start()
    app_stub.callback_status = 503
    twilio = _client_for(retrying, AUTH_TOKEN)
    await twilio.messages.create_async(
        to=CITIZEN, from_=SENDER, body="x", status_callback=f"{app_stub.base_url}/twilio/status"
    )
    await twilio.http_client.close()
    await retrying.wait_idle()

    assert [(c.params["MessageStatus"], c.attempts, c.response_status) for c in retrying.callbacks] == [
        ("sent", 3, 503),
        ("delivered", 3, 503),
    ]


# -- opt-out -----------------------------------------------------------------------------------------


async def test_stop_keyword_opts_out_and_start_opts_back_in(
    fake: FakeTwilio, client: Client, app_stub: AppStub
) -> None:
    await fake.send_sms(CITIZEN, "  Stop ")

    with pytest.raises(TwilioRestException) as caught:
        await client.messages.create_async(to=CITIZEN, from_=SENDER, body="Poll reminder")
    await fake.send_sms(CITIZEN, "start")
    resumed = await client.messages.create_async(to=CITIZEN, from_=SENDER, body="Poll reminder")

    assert (caught.value.status, caught.value.code) == (400, 21610)
    assert resumed.status == "queued"
    assert [r.form["Body"] for r in app_stub.incoming()] == ["  Stop ", "start"]
    assert [reply.body.split(".")[0] for reply in fake.auto_replies] == [
        "You have successfully been unsubscribed",
        "You have successfully been re-subscribed to messages from this number",
    ]


async def test_keyword_inside_a_sentence_does_not_opt_out(fake: FakeTwilio, client: Client) -> None:
    await fake.send_sms(CITIZEN, "please stop the noise at the market")

    sent = await client.messages.create_async(to=CITIZEN, from_=SENDER, body="Thanks")

    assert sent.status == "queued"
    assert not fake.is_opted_out(CITIZEN)


async def test_opt_out_handling_can_be_switched_off(make_fake: Callable[..., FakeTwilio]) -> None:
    advanced = make_fake(opt_out_handling=False)
    await advanced.start()

    await advanced.send_sms(CITIZEN, "STOP")

    assert not advanced.is_opted_out(CITIZEN)
    assert advanced.auto_replies == []


async def test_opt_out_of_a_service_number_covers_the_whole_service(fake: FakeTwilio, client: Client) -> None:
    await fake.send_sms(CITIZEN, "UNSUBSCRIBE", to=SERVICE_NUMBER)

    with pytest.raises(TwilioRestException) as caught:
        await client.messages.create_async(to=CITIZEN, messaging_service_sid=SERVICE_SID, body="x")
    direct = await client.messages.create_async(to=CITIZEN, from_=SENDER, body="x")

    assert caught.value.code == 21610
    assert direct.status == "queued"


# -- incoming messages -------------------------------------------------------------------------------


async def test_incoming_sms_carries_twilios_form_and_returns_the_twiml(
    fake: FakeTwilio, app_stub: AppStub
) -> None:
    app_stub.twiml = "<Response><Message>Received, thank you</Message></Response>"

    result = await fake.send_sms(CITIZEN, "1")

    form = app_stub.incoming()[0].form
    assert form["MessageSid"] == form["SmsSid"] == form["SmsMessageSid"] == result.message_sid
    assert (form["From"], form["To"], form["Body"]) == (CITIZEN, SENDER, "1")
    assert (form["SmsStatus"], form["NumMedia"], form["NumSegments"]) == ("received", "0", "1")
    assert (form["AccountSid"], form["ApiVersion"], form["FromCountry"]) == (ACCOUNT_SID, "2010-04-01", "GE")
    assert form["FromCity"] == ""
    assert (result.status, result.body) == (200, app_stub.twiml)
    replies = await fake.wait_for_messages(CITIZEN, 1)
    assert [(m.body, m.direction, m.from_) for m in replies] == [
        ("Received, thank you", "outbound-reply", SENDER)
    ]


async def test_incoming_signature_holds_for_the_public_url_not_the_connected_one(
    make_fake: Callable[..., FakeTwilio], app_stub: AppStub
) -> None:
    app_stub.public_base = PUBLIC_BASE
    proxied = make_fake(
        webhook_url=f"{PUBLIC_BASE}/twilio/sms?m=batumi",
        public_base_url=PUBLIC_BASE,
        connect_base_url=app_stub.base_url,
    )
    await proxied.start()

    result = await proxied.send_sms(CITIZEN, "Question about the budget")

    received = app_stub.incoming()[0]

    def valid_for(url: str) -> bool:
        return bool(RequestValidator(AUTH_TOKEN).validate(url, received.form, received.signature))

    assert result.status == 200
    assert received.path_qs == "/twilio/sms?m=batumi"
    assert valid_for(f"{PUBLIC_BASE}/twilio/sms?m=batumi")
    assert not valid_for(f"{app_stub.base_url}/twilio/sms?m=batumi")
    assert not valid_for(f"{PUBLIC_BASE}/twilio/sms")


async def test_status_callbacks_are_signed_on_the_public_url_behind_a_proxy(
    make_fake: Callable[..., FakeTwilio], app_stub: AppStub
) -> None:
    app_stub.public_base = PUBLIC_BASE
    proxied = make_fake(public_base_url=PUBLIC_BASE, connect_base_url=app_stub.base_url)
    await proxied.start()
    twilio = _client_for(proxied, AUTH_TOKEN)
    await twilio.messages.create_async(
        to=CITIZEN, from_=SENDER, body="x", status_callback=f"{PUBLIC_BASE}/twilio/status"
    )
    await twilio.http_client.close()
    await proxied.wait_idle()

    assert [(c.form["MessageStatus"], c.valid) for c in app_stub.callbacks()] == [
        ("sent", True),
        ("delivered", True),
    ]
    assert {c.url for c in proxied.callbacks} == {f"{PUBLIC_BASE}/twilio/status"}


async def test_bad_signature_is_delivered_as_given(fake: FakeTwilio, app_stub: AppStub) -> None:
    result = await fake.send_sms(CITIZEN, "hello", signature="bad")

    assert result.status == 403
    assert app_stub.incoming()[0].signature == "bad"
    assert result.replies == []


async def test_replay_repeats_the_request_exactly(fake: FakeTwilio, app_stub: AppStub) -> None:
    first = await fake.send_sms(CITIZEN, "RSVP 2")

    again = await fake.replay(first.message_sid)

    original, repeated = app_stub.incoming()
    assert again.message_sid == first.message_sid
    assert (repeated.path_qs, repeated.form, repeated.signature) == (
        original.path_qs,
        original.form,
        original.signature,
    )
    assert repeated.idempotency_token == original.idempotency_token != ""


async def test_twiml_reply_to_an_opted_out_sender_fails_with_21610(
    fake: FakeTwilio, app_stub: AppStub
) -> None:
    app_stub.twiml = "<Response><Message>Sorry to see you go</Message></Response>"

    result = await fake.send_sms(CITIZEN, "STOP")
    await fake.wait_idle()

    assert [(m.status, m.error_code) for m in result.replies] == [("failed", 21610)]


async def test_wait_for_messages_times_out_saying_what_arrived(fake: FakeTwilio) -> None:
    with pytest.raises(TimeoutError, match=r"expected 1 message\(s\) to \+995599123456"):
        await fake.wait_for_messages(CITIZEN, 1, timeout=0.05)


# -- segments ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        pytest.param("a" * 160, Encoding.GSM7, 160, 1, id="160-gsm"),
        pytest.param("a" * 161, Encoding.GSM7, 161, 2, id="161-gsm"),
        pytest.param("a" * 306, Encoding.GSM7, 306, 2, id="306-gsm"),
        pytest.param("a" * 307, Encoding.GSM7, 307, 3, id="307-gsm"),
        pytest.param("€", Encoding.GSM7, 2, 1, id="euro-two-septets"),
        pytest.param("a" * 159 + "€", Encoding.GSM7, 161, 2, id="euro-pushes-over-160"),
        pytest.param("a" * 152 + "€" + "a" * 152, Encoding.GSM7, 306, 3, id="escape-never-split"),
        pytest.param("[Batumi]{~}", Encoding.GSM7, 16, 1, id="extension-table"),
        pytest.param("ა" * 70, Encoding.UCS2, 70, 1, id="70-georgian"),
        pytest.param("ა" * 71, Encoding.UCS2, 71, 2, id="71-georgian"),
        pytest.param("ა" * 134, Encoding.UCS2, 134, 2, id="134-georgian"),
        pytest.param("ა" * 135, Encoding.UCS2, 135, 3, id="135-georgian"),
        pytest.param("Ա" * 70, Encoding.UCS2, 70, 1, id="70-armenian"),
        pytest.param("ç", Encoding.UCS2, 1, 1, id="small-c-cedilla-not-gsm"),
        pytest.param("ა" * 69 + "😀", Encoding.UCS2, 71, 2, id="emoji-two-units"),
        pytest.param("ა" * 66 + "😀" + "ა" * 66, Encoding.UCS2, 134, 3, id="surrogate-never-split"),
        pytest.param("", Encoding.GSM7, 0, 1, id="empty"),
    ],
)
def test_segment_counter(text: str, encoding: Encoding, units: int, segments: int) -> None:
    assert count_segments(text) == Segmentation(encoding, units, segments)


async def test_api_reports_the_segment_count(fake: FakeTwilio, client: Client) -> None:
    message = await client.messages.create_async(to=CITIZEN, from_=SENDER, body="a" * 159 + "€")

    assert message.num_segments == "2"


# -- control API and process mode --------------------------------------------------------------------


async def test_control_api_drives_the_fake_over_http(
    fake: FakeTwilio, client: Client, app_stub: AppStub
) -> None:
    async with aiohttp.ClientSession(fake.base_url) as http:
        outcome = {"to": CITIZEN, "status": "undelivered", "error_code": 30005}
        await http.post("/_control/outcome", json=outcome)
        await client.messages.create_async(to=CITIZEN, from_=SENDER, body="via control")
        waited = await (await http.post("/_control/wait", json={"to": CITIZEN, "count": 1})).json()
        await (await http.post("/_control/wait_idle", json={})).json()
        listed = await (await http.get("/_control/messages", params={"to": CITIZEN})).json()
        texted = await (await http.post("/_control/sms", json={"from": CITIZEN, "body": "hi"})).json()
        stats = await (await http.get("/_control/stats")).json()
        bad = await http.post("/_control/outcome", json={"to": CITIZEN, "status": "lost"})
        await http.post("/_control/reset")

    assert [m["body"] for m in waited["messages"]] == ["via control"]
    assert [h["status"] for h in listed["messages"][0]["history"]] == ["queued", "sent", "undelivered"]
    assert listed["messages"][0]["error_code"] == 30005
    assert (texted["status"], len(app_stub.incoming())) == (200, 1)
    assert stats["counters"]["created"] == 1
    assert bad.status == 400
    assert fake.messages == {}


async def test_runs_as_a_process_with_a_control_api() -> None:
    args = ["--port", "0", "--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN, "--sender", SENDER]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.twilio_api", *args, cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=10)).decode()
        base_url = line.rsplit(" ", 1)[-1].strip()
        twilio = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AsyncTwilioHttpClient())
        twilio.api.base_url = base_url
        sent = await twilio.messages.create_async(to=CITIZEN, from_=SENDER, body="from another process")
        await twilio.http_client.close()
        async with aiohttp.ClientSession(base_url) as http:
            listed = await (await http.get("/_control/messages", params={"to": CITIZEN})).json()
    finally:
        process.terminate()
        await process.wait()

    assert [m["sid"] for m in listed["messages"]] == [sent.sid]
