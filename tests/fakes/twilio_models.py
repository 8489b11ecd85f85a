"""Records the fake Twilio keeps, and the error bodies it answers with, in Twilio's own JSON shapes.

Field names, value types (num_segments is a string, error_code an integer or null) and dates (RFC 2822,
GMT) follow the Message resource of API version 2010-04-01, so twilio-python parses them as it would the
real service's.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from tests.fakes.twilio_segments import Segmentation

API_VERSION = "2010-04-01"
# Final states a test can choose per recipient, and the outcome codes Twilio reports for carrier failures.
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed"})
ERROR_MESSAGES = {
    14107: "SMS send rate limit exceeded",
    21610: "Attempt to send to unsubscribed recipient",
    30001: "Queue overflow",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
}


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 lowercase hex digits."""
    return prefix + uuid.uuid4().hex


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format, e.g. 'Tue, 25 Nov 2025 18:37:00 +0000'."""
    return format_datetime(moment) if moment is not None else None


@dataclass(frozen=True, slots=True)
class TwilioApiError(Exception):
    """An error the REST API answers with; `body()` is Twilio's legacy JSON error shape."""

    status: int
    code: int
    message: str

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def authenticate_error() -> TwilioApiError:
    return TwilioApiError(401, 20003, "Authenticate")


def not_found_error(path: str) -> TwilioApiError:
    return TwilioApiError(404, 20404, f"The requested resource {path} was not found")


def too_many_requests_error() -> TwilioApiError:
    return TwilioApiError(429, 20429, "Too Many Requests")


def invalid_to_error(to: str) -> TwilioApiError:
    return TwilioApiError(400, 21211, f"The 'To' number {to} is not a valid phone number.")


def missing_to_error() -> TwilioApiError:
    return TwilioApiError(400, 21604, "A 'To' phone number is required.")


def invalid_from_error(sender: str) -> TwilioApiError:
    return TwilioApiError(
        400,
        21212,
        f"The 'From' number {sender} is not a valid phone number, shortcode, or alphanumeric sender ID.",
    )


def not_owned_from_error(sender: str) -> TwilioApiError:
    return TwilioApiError(
        400,
        21606,
        f"The 'From' phone number provided ({sender}) is not a valid message-capable Twilio phone number "
        "for this destination/account",
    )


def missing_from_error() -> TwilioApiError:
    return TwilioApiError(
        400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message"
    )


def invalid_service_error(sid: str) -> TwilioApiError:
    return TwilioApiError(400, 21705, f"The Messaging Service Sid {sid} is invalid.")


def unknown_service_error(sid: str) -> TwilioApiError:
    return TwilioApiError(400, 21701, f"The Messaging Service Sid {sid} does not exist")


def missing_body_error() -> TwilioApiError:
    return TwilioApiError(400, 21602, "Message body is required.")


def body_too_long_error() -> TwilioApiError:
    return TwilioApiError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")


def unsubscribed_error() -> TwilioApiError:
    return TwilioApiError(400, 21610, "Attempt to send to unsubscribed recipient")


def region_error(to: str) -> TwilioApiError:
    return TwilioApiError(
        400,
        21408,
        f"Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}",
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the carrier does with messages to one recipient: delivered, or undelivered/failed with a code."""

    status: str = "delivered"
    error_code: int | None = None

    def __post_init__(self) -> None:
        if self.status not in FINAL_STATUSES:
            raise ValueError(f"outcome status must be one of {sorted(FINAL_STATUSES)}, not {self.status!r}")
        if (self.status == "delivered") != (self.error_code is None):
            raise ValueError("an undelivered or failed outcome needs an error_code; a delivered one has none")


@dataclass(slots=True)
class CallbackRecord:
    """One status callback as sent: the exact signed URL, its form, signature and what the app answered."""

    url: str
    params: dict[str, str]
    signature: str
    attempts: int = 0
    response_status: int | None = None


@dataclass(slots=True)
class FakeMessage:
    """A Message resource as the fake holds it; `history` lists every status it has had, in order."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    segmentation: Segmentation
    direction: str
    status: str
    date_created: datetime
    media_urls: list[str] = field(default_factory=list)
    status_callback: str | None = None
    error_code: int | None = None
    date_updated: datetime | None = None
    date_sent: datetime | None = None
    history: list[tuple[str, int | None]] = field(default_factory=list)
    request_params: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.date_updated = self.date_updated or self.date_created
        if not self.history:
            self.history.append((self.status, self.error_code))

    @property
    def num_segments(self) -> int:
        return self.segmentation.segments

    @property
    def statuses(self) -> list[str]:
        return [status for status, _ in self.history]

    def move_to(self, status: str, error_code: int | None, now: datetime) -> None:
        self.status, self.error_code, self.date_updated = status, error_code, now
        if status == "sent":
            self.date_sent = now
        self.history.append((status, error_code))

    def resource(self, *, segments_known: bool = True) -> dict[str, Any]:
        """The JSON Twilio returns; with a Messaging Service, 0 segments until a sender is picked."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": ERROR_MESSAGES.get(self.error_code) if self.error_code else None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(len(self.media_urls)),
            "num_segments": str(self.num_segments if segments_known else 0),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {
                "media": uri.removesuffix(".json") + "/Media.json",
                "feedback": uri.removesuffix(".json") + "/Feedback.json",
            },
            "to": self.to,
            "uri": uri,
        }

    def record(self) -> dict[str, Any]:
        """The resource plus what only the fake knows: full status history and the encoding used."""
        return {
            **self.resource(),
            "history": [{"status": s, "error_code": c} for s, c in self.history],
            "encoding": self.segmentation.encoding.value,
            "media_urls": list(self.media_urls),
            "status_callback": self.status_callback,
        }


@dataclass(frozen=True, slots=True)
class InboundResult:
    """What the app answered to an incoming-message webhook, and the replies its TwiML produced."""

    message_sid: str
    status: int
    body: str
    content_type: str
    replies: list[FakeMessage] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {
            "message_sid": self.message_sid,
            "status": self.status,
            "body": self.body,
            "content_type": self.content_type,
            "replies": [reply.record() for reply in self.replies],
        }
