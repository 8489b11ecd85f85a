"""What a channel adapter promises the outbox workers: send one message, classify what happened.

Adapters never retry, sleep or touch the database: the workers pace, retry and record, the same way for
every channel, so a new provider (Twilio SMS) only has to map its errors onto `OutcomeKind`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from channels.message import Outgoing
from storage.models.contacts import Channel


class OutcomeKind(StrEnum):
    SENT = "sent"  # the provider accepted the message (`provider_message_id` when it gave one)
    RETRY_AFTER = "retry_after"  # flood control: try again after `retry_after` seconds, not an attempt
    UNREACHABLE = "unreachable"  # this address cannot receive messages; never retried
    FAILED = "failed"  # permanent for this message (malformed, rejected); never retried
    TRANSIENT = "transient"  # provider or network trouble; retried with backoff up to the attempt limit


@dataclass(frozen=True)
class SendOutcome:
    kind: OutcomeKind
    provider_message_id: str | None = None
    retry_after: float | None = None
    error: str | None = None

    @classmethod
    def sent(cls, provider_message_id: str | None = None) -> SendOutcome:
        return cls(OutcomeKind.SENT, provider_message_id=provider_message_id)

    @classmethod
    def wait(cls, seconds: float, error: str | None = None) -> SendOutcome:
        return cls(OutcomeKind.RETRY_AFTER, retry_after=max(0.0, seconds), error=error)

    @classmethod
    def unreachable(cls, error: str) -> SendOutcome:
        return cls(OutcomeKind.UNREACHABLE, error=error)

    @classmethod
    def failed(cls, error: str) -> SendOutcome:
        return cls(OutcomeKind.FAILED, error=error)

    @classmethod
    def transient(cls, error: str) -> SendOutcome:
        return cls(OutcomeKind.TRANSIENT, error=error)


class ChannelSender(Protocol):
    """One channel's adapter. `address` is the chat id (Telegram) or E.164 number (SMS).

    `sms_latin` asks an SMS sender for the official Latin transliteration (cheaper segments), and
    `sms_sender` to send from the reader's municipality's own number or sender id; other channels ignore
    them. `send` must not raise for provider errors: it returns their classification.
    """

    @property
    def channel(self) -> Channel: ...

    async def send(
        self,
        address: str,
        message: Outgoing,
        language: str,
        *,
        sms_latin: bool = False,
        sms_sender: str | None = None,
    ) -> SendOutcome: ...
