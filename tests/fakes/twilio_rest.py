"""The Messages REST resource of the fake Twilio: HTTP Basic auth, Twilio's validation order and errors.

Checks run in the order a request is processed: credentials (20003), the sender's throughput (20429, a
refused request is never processed), then the parameters (21604, 21603, 21211, 21705/21701, 21212,
21606, 21602, 21617, 21408) and last the recipient's opt-out (21610).
"""

import base64
import binascii
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakes import twilio_models as errors
from tests.fakes.twilio_models import API_VERSION, FakeMessage, TwilioApiError, new_sid
from tests.fakes.twilio_policy import is_service_sid, is_valid_recipient, is_valid_sender, region_of
from tests.fakes.twilio_segments import MAX_BODY_CHARS, utf16_units

if TYPE_CHECKING:
    from tests.fakes.twilio_api import FakeTwilio


class MessagesResource:
    """`POST .../Messages.json` and `GET .../Messages/{Sid}.json` for one fake account."""

    def __init__(self, fake: "FakeTwilio") -> None:
        self.fake = fake

    def add_routes(self, app: web.Application) -> None:
        prefix = f"/{API_VERSION}/Accounts/{{account}}"
        app.router.add_post(f"{prefix}/Messages.json", self.create)
        app.router.add_get(f"{prefix}/Messages/{{sid}}.json", self.fetch)

    async def create(self, request: web.Request) -> web.Response:
        try:
            self._authenticate(request)
            form = await request.post()
            params = {key: [str(value) for value in form.getall(key)] for key in set(form.keys())}
            message = self._accept(params)
        except TwilioApiError as error:
            self.fake.counters[f"rejected_{error.code}"] += 1
            return error_response(error)
        self.fake.counters["created"] += 1
        # With a Messaging Service no sender is chosen yet, so Twilio reports num_segments "0" at first.
        resource = message.resource(segments_known=message.messaging_service_sid is None)
        return web.json_response(resource, status=201, headers=request_id())

    async def fetch(self, request: web.Request) -> web.Response:
        try:
            self._authenticate(request)
            message = self.fake.messages.get(request.match_info["sid"])
            if message is None:
                raise errors.not_found_error(request.path)
        except TwilioApiError as error:
            return error_response(error)
        resource = message.resource(segments_known=message.status != "accepted")
        return web.json_response(resource, headers=request_id())

    def _authenticate(self, request: web.Request) -> None:
        try:
            scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise errors.authenticate_error() from None
        if scheme.lower() != "basic" or (user, password) != (self.fake.account_sid, self.fake.auth_token):
            raise errors.authenticate_error()
        if request.match_info["account"] != self.fake.account_sid:
            raise errors.not_found_error(request.path)

    def _accept(self, params: dict[str, list[str]]) -> FakeMessage:
        """Validate a create request like Twilio and accept it, or raise the error Twilio would answer."""
        first = {key: values[0] for key, values in params.items() if values}
        to, sender, service = first.get("To", ""), first.get("From"), first.get("MessagingServiceSid")
        body, media = first.get("Body", ""), params.get("MediaUrl", [])
        if not to:
            raise errors.missing_to_error()
        if sender is None and service is None:
            raise errors.missing_from_error()
        if not self.fake.limiter.admit(service or sender or ""):
            raise errors.too_many_requests_error()
        if not is_valid_recipient(to):
            raise errors.invalid_to_error(to)
        self._check_sender(sender, service)
        if not body and not media:
            raise errors.missing_body_error()
        if utf16_units(body) > MAX_BODY_CHARS:
            raise errors.body_too_long_error()
        allowed = self.fake.allowed_regions
        if allowed is not None and region_of(to) not in allowed:
            raise errors.region_error(to)
        if self.fake.opt_outs.is_opted_out(service or self.fake.scope_for(sender or ""), to):
            raise errors.unsubscribed_error()
        return self.fake.accept_outbound(
            to=to,
            sender=sender,
            service=service,
            body=body,
            media=media,
            callback=first.get("StatusCallback"),
            direction="outbound-api",
            params=params,
        )

    def _check_sender(self, sender: str | None, service: str | None) -> None:
        if service is not None:
            if not is_service_sid(service):
                raise errors.invalid_service_error(service)
            if service not in self.fake.services:
                raise errors.unknown_service_error(service)
        if sender is not None:
            if not is_valid_sender(sender):
                raise errors.invalid_from_error(sender)
            pool = self.fake.services[service] if service is not None else self.fake.senders
            if sender not in pool:
                raise errors.not_owned_from_error(sender)


def error_response(error: TwilioApiError) -> web.Response:
    headers = request_id()
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return web.json_response(error.body(), status=error.status, headers=headers)


def request_id() -> dict[str, str]:
    return {"Twilio-Request-Id": new_sid("RQ")}
