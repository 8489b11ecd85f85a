"""How the fake Twilio calls the app: signed form POSTs, a public-to-connect URL rewrite, TwiML replies.

Twilio signs the exact URL it was given (scheme, host, port, path, query) plus the sorted form fields with
the account's Auth Token. Behind a reverse proxy the app sees another URL than the one signed, so the fake
signs the public URL and connects to `connect_base_url` instead of `public_base_url` when they differ.
"""

import asyncio
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import aiohttp
from twilio.request_validator import RequestValidator

# Statuses after which Twilio-style retries are worth another attempt (the rule Twilio documents for
# its other callbacks, error 17580); 4xx other than these means the app refused, so no retry.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    status: int
    body: str
    content_type: str


@dataclass(frozen=True, slots=True)
class TwimlMessage:
    """One <Message> verb of a TwiML answer; `to`/`from_` are None when the verb leaves them implicit."""

    body: str
    to: str | None
    from_: str | None
    status_callback: str | None


class TwimlError(ValueError):
    """The app answered with something Twilio cannot parse as TwiML (Twilio logs error 12100)."""


class WebhookClient:
    """Signs and delivers webhook requests; one instance per running fake, owning one HTTP session."""

    def __init__(
        self,
        auth_token: str,
        *,
        public_base_url: str | None = None,
        connect_base_url: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._validator = RequestValidator(auth_token)
        self.public_base_url = public_base_url
        self.connect_base_url = connect_base_url
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def sign(self, url: str, params: dict[str, str]) -> str:
        """X-Twilio-Signature for the exact URL Twilio was configured with."""
        return str(self._validator.compute_signature(url, params))

    def connect_url(self, url: str) -> str:
        """Where the request really goes: the public prefix replaced by the connect prefix, if configured."""
        public, connect = self.public_base_url, self.connect_base_url
        if public and connect and url.startswith(public.rstrip("/")):
            return connect.rstrip("/") + url[len(public.rstrip("/")) :]
        return url

    async def post(self, url: str, params: dict[str, str], signature: str, token: str) -> WebhookResponse:
        """POST the form once; `token` stays the same across retries of one event, as Twilio's does.

        Connection failures raise aiohttp.ClientError or TimeoutError.
        """
        if self._session is None:
            raise RuntimeError("the fake Twilio is not started")
        headers = {
            "X-Twilio-Signature": signature,
            "I-Twilio-Idempotency-Token": token,
            "User-Agent": "TwilioProxy/1.1",
        }
        async with self._session.post(self.connect_url(url), data=params, headers=headers) as response:
            return WebhookResponse(response.status, await response.text(), response.content_type)

    async def post_with_retries(
        self, url: str, params: dict[str, str], signature: str, token: str, retries: int
    ) -> tuple[int | None, int]:
        """Deliver a status callback; returns the last HTTP status (None if never connected) and attempts."""
        status: int | None = None
        for attempt in range(1, retries + 2):
            try:
                status = (await self.post(url, params, signature, token)).status
            except (aiohttp.ClientError, TimeoutError):
                status = None
            if status is not None and status < 500 and status not in RETRYABLE_STATUSES:
                return status, attempt
            if attempt <= retries:
                await asyncio.sleep(0.01 * attempt)
        return status, retries + 1


def parse_twiml(response: WebhookResponse) -> list[TwimlMessage]:
    """The <Message> verbs of an incoming-message answer; plain text is sent as one message, like Twilio."""
    text = response.body.strip()
    if not text or response.status == 204:
        return []
    if response.content_type == "text/plain":
        return [TwimlMessage(body=text, to=None, from_=None, status_callback=None)]
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise TwimlError(f"not TwiML: {error}") from error
    if root.tag != "Response":
        raise TwimlError(f"TwiML root must be <Response>, not <{root.tag}>")
    messages = []
    for verb in root.iter("Message"):
        body_element = verb.find("Body")
        body = body_element.text if body_element is not None else verb.text
        messages.append(
            TwimlMessage(
                body=(body or "").strip(),
                to=verb.get("to"),
                from_=verb.get("from"),
                status_callback=verb.get("statusCallback"),
            )
        )
    return messages
