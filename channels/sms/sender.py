"""The outbox's SMS adapter: one Twilio Messages API call, and Twilio's errors mapped onto outcomes.

Twilio's official client with its aiohttp-based `AsyncTwilioHttpClient`. The adapter never retries or
sleeps: the delivery workers pace every sender and retry with backoff, so a 429 or a full queue is handed
back to them as "wait", a network failure or 5xx as "transient". Every message asks for status callbacks
at `PUBLIC_BASE_URL/twilio/status`, which move its outbox row to delivered / undelivered / failed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, Protocol

import aiohttp
from pydantic import SecretStr
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from channels.delivery import SendOutcome
from channels.message import Outgoing
from channels.sms.render import render_sms
from storage.models.contacts import Channel

log = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/twilio/status"
# The reason an SMS address is marked unreachable with when Twilio says the person opted out (STOP
# sent to Twilio, or to another number of the Messaging Service). Texting START clears it.
SMS_UNSUBSCRIBED = "sms unsubscribed (twilio 21610)"
UNSUBSCRIBED_CODE = 21610
# Twilio's answers that mean "too fast", not "wrong": 20429 Too Many Requests, 30001 queue overflow.
BACK_OFF_CODES = frozenset({20429, 30001})
BACK_OFF_SECONDS = {20429: 1.0, 30001: 30.0}
# Credentials or account trouble: no fault of this message, so it waits (with backoff) for a fix.
ACCOUNT_CODES = frozenset({20003, 20005})
REQUEST_TIMEOUT_SECONDS = 15.0


class TwilioConfig(Protocol):
    """What the sender needs of `TwilioSettings` (kept structural: channels/ does not import bot/)."""

    @property
    def twilio_account_sid(self) -> str | None: ...
    @property
    def twilio_from(self) -> str | None: ...
    @property
    def twilio_messaging_service_sid(self) -> str | None: ...
    @property
    def twilio_api_base(self) -> str | None: ...
    @property
    def twilio_auth_token(self) -> SecretStr | None: ...
    @property
    def enabled(self) -> bool: ...


def twilio_client(account_sid: str, auth_token: str, api_base: str | None = None) -> Client:
    """The official client on its async HTTP client; `api_base` re-bases the Messages API.

    A local Twilio-compatible API has no edges or regions: TWILIO_EDGE / TWILIO_REGION from the
    environment would rewrite its host name, so they are dropped when `api_base` is given.
    Create it inside the running event loop (the HTTP client opens an aiohttp session).
    """
    http = AsyncTwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS)
    client = Client(account_sid, auth_token, http_client=http)
    if api_base:
        client.api.base_url = api_base.rstrip("/")
        client.edge = None
        client.region = None
    return client


def status_callback_url(public_base_url: str | None) -> str | None:
    return f"{public_base_url.rstrip('/')}{STATUS_CALLBACK_PATH}" if public_base_url else None


class TwilioSender:
    """Sends from a number (`from_`), a Messaging Service, or a number of that service (both given).

    With a Messaging Service, Twilio's Advanced Opt-Out of that service applies to every message.
    """

    channel = Channel.SMS

    def __init__(
        self,
        client: Client,
        *,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> None:
        if not from_ and not messaging_service_sid:
            raise ValueError("an SMS sender needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        self.client = client
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback

    async def send(
        self,
        address: str,
        message: Outgoing,
        language: str,
        *,
        sms_latin: bool = False,
        sms_sender: str | None = None,
    ) -> SendOutcome:
        try:
            body = render_sms(message, language, latin=sms_latin)
        except (KeyError, ValueError) as exc:  # no text in this language and no fallback: never better
            return SendOutcome.failed(f"cannot render in {language}: {exc}")
        params: dict[str, Any] = {"to": address, "body": body}
        if self.messaging_service_sid:
            params["messaging_service_sid"] = self.messaging_service_sid
        if sms_sender or self.from_:  # the municipality's own sender (`municipality set`), else ours
            params["from_"] = sms_sender or self.from_
        if self.status_callback:
            params["status_callback"] = self.status_callback
        try:
            sent = await self.client.messages.create_async(**params)
        except TwilioRestException as exc:
            return classify(exc)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return SendOutcome.transient(f"{type(exc).__name__}: {exc}")
        return SendOutcome.sent(sent.sid)

    async def close(self) -> None:
        http = self.client.http_client
        if isinstance(http, AsyncTwilioHttpClient):
            await http.close()


def classify(exc: TwilioRestException) -> SendOutcome:
    """Twilio's REST error -> what the workers do: wait, give up on the address, fail, or retry."""
    code = exc.code
    reason = f"twilio {code if code is not None else exc.status}: {exc.msg}"
    if code == UNSUBSCRIBED_CODE:
        return SendOutcome.unreachable(f"{SMS_UNSUBSCRIBED}: {exc.msg}")
    if exc.status == 429 or code in BACK_OFF_CODES:
        return SendOutcome.wait(BACK_OFF_SECONDS.get(code or 0, 1.0), reason)
    if exc.status >= 500 or exc.status in (401, 403) or code in ACCOUNT_CODES:
        if exc.status in (401, 403) or code in ACCOUNT_CODES:
            log.warning("Twilio refused the account's credentials: %s", reason)
        return SendOutcome.transient(reason)
    return SendOutcome.failed(reason)


@asynccontextmanager
async def sms_sender(config: TwilioConfig, public_base_url: str | None) -> AsyncIterator[TwilioSender | None]:
    """The configured SMS sender for the delivery workers, closed afterwards; None when SMS is off."""
    token = config.twilio_auth_token.get_secret_value() if config.twilio_auth_token else None
    if not config.enabled or not config.twilio_account_sid or not token:
        yield None
        return
    callback = status_callback_url(public_base_url)
    if callback is None:
        log.warning("PUBLIC_BASE_URL is not set: SMS are sent without status callbacks")
    sender = TwilioSender(
        twilio_client(config.twilio_account_sid, token, config.twilio_api_base),
        from_=config.twilio_from,
        messaging_service_sid=config.twilio_messaging_service_sid,
        status_callback=callback,
    )
    try:
        yield sender
    finally:
        await sender.close()


def sms_sender_from_settings(settings: object) -> AbstractAsyncContextManager[TwilioSender | None]:
    """`sms_sender` from the service's whole `Settings` (its `twilio` and `http.public_base_url`);
    what the delivery component calls, so it needs no knowledge of Twilio's settings."""
    twilio: TwilioConfig | None = getattr(settings, "twilio", None)
    if twilio is None:
        return nullcontext(None)
    return sms_sender(twilio, getattr(getattr(settings, "http", None), "public_base_url", None))
