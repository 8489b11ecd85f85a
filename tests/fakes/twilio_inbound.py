"""Phone -> app: the incoming-message webhook of the fake Twilio, with keyword handling and TwiML replies.

The form carries what Twilio sends for an SMS (MessageSid/SmsSid/SmsMessageSid, AccountSid, From, To,
Body, NumMedia, NumSegments, SmsStatus=received, ApiVersion, the From*/To* geographic fields, and
MessagingServiceSid when the number belongs to a service). Geographic fields other than the country are
empty strings, as Twilio sends them for numbers outside North America; an app must keep empty fields
when it validates the signature.
"""

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.fakes.twilio_models import API_VERSION, FakeMessage, InboundResult, new_sid
from tests.fakes.twilio_policy import AUTO_REPLIES, keyword_of, region_of
from tests.fakes.twilio_segments import count_segments
from tests.fakes.twilio_webhooks import TwimlError, parse_twiml

if TYPE_CHECKING:
    from tests.fakes.twilio_api import FakeTwilio


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """An incoming-message webhook exactly as first sent, so a replay repeats it byte for byte."""

    url: str
    params: dict[str, str]
    signature: str
    token: str


def inbound_params(message: FakeMessage) -> dict[str, str]:
    """Twilio's incoming-SMS form for `message`."""
    sender, to = message.from_ or "", message.to
    params = {
        "ToCountry": region_of(to) or "",
        "ToState": "",
        "ToCity": "",
        "ToZip": "",
        "FromCountry": region_of(sender) or "",
        "FromState": "",
        "FromCity": "",
        "FromZip": "",
        "SmsMessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageSid": message.sid,
        "NumMedia": "0",
        "NumSegments": str(message.num_segments),
        "SmsStatus": "received",
        "Body": message.body,
        "To": to,
        "From": sender,
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    return params


class InboundGateway:
    """Sends incoming messages to the app and turns its TwiML answer into outbound replies."""

    def __init__(self, fake: "FakeTwilio") -> None:
        self.fake = fake
        self.requests: dict[str, InboundRequest] = {}

    async def send(
        self, from_number: str, body: str, to: str, signature: str | None, url: str | None
    ) -> InboundResult:
        fake = self.fake
        target = url or fake.webhook_url
        if target is None:
            raise RuntimeError("no webhook_url configured for incoming messages")
        message = FakeMessage(
            sid=new_sid("SM"),
            account_sid=fake.account_sid,
            to=to,
            from_=from_number,
            messaging_service_sid=fake.service_of(to),
            body=body,
            segmentation=count_segments(body),
            direction="inbound",
            status="received",
            date_created=fake.now(),
        )
        params = inbound_params(message)
        keyword = keyword_of(body) if fake.opt_out_handling else None
        if keyword is not None:
            self._apply_keyword(keyword, message)
            if fake.advanced_opt_out:
                params["OptOutType"] = keyword
        fake.messages[message.sid] = message
        signed = signature if signature is not None else fake.webhooks.sign(target, params)
        request = InboundRequest(target, params, signed, uuid.uuid4().hex)
        self.requests[message.sid] = request
        return await self._deliver(message, request)

    async def replay(self, message_sid: str) -> InboundResult:
        return await self._deliver(self.fake.messages[message_sid], self.requests[message_sid])

    async def _deliver(self, message: FakeMessage, request: InboundRequest) -> InboundResult:
        """POST the webhook; a 2xx answer's <Message> verbs become outbound-reply messages, as on Twilio."""
        fake = self.fake
        fake.counters["inbound_webhooks"] += 1
        response = await fake.webhooks.post(request.url, request.params, request.signature, request.token)
        replies: list[FakeMessage] = []
        if 200 <= response.status < 300:
            try:
                verbs = parse_twiml(response)
            except TwimlError as error:
                fake.twiml_errors.append(str(error))
                verbs = []
            for verb in verbs:
                sender = verb.from_ or message.to
                reply = fake.accept_outbound(
                    to=verb.to or message.from_ or "",
                    sender=sender,
                    service=fake.service_of(sender),
                    body=verb.body,
                    media=[],
                    callback=verb.status_callback,
                    direction="outbound-reply",
                    params={},
                )
                replies.append(reply)
        return InboundResult(message.sid, response.status, response.body, response.content_type, replies)

    def _apply_keyword(self, keyword: str, message: FakeMessage) -> None:
        """Twilio's default handling: STOP opts out, START opts back in, and Twilio texts a confirmation."""
        fake = self.fake
        scope, number = fake.scope_for(message.to), message.from_ or ""
        if keyword == "STOP":
            fake.opt_outs.opt_out(scope, number)
        elif keyword == "START":
            fake.opt_outs.opt_in(scope, number)
        fake.auto_replies.append(
            FakeMessage(
                sid=new_sid("SM"),
                account_sid=fake.account_sid,
                to=number,
                from_=message.to,
                messaging_service_sid=message.messaging_service_sid,
                body=AUTO_REPLIES[keyword],
                segmentation=count_segments(AUTO_REPLIES[keyword]),
                direction="outbound-reply",
                status="delivered",
                date_created=fake.now(),
            )
        )
