"""Abuse limits on what people send us: a flood is slowed and logged, and SMS is answered only at home.

- **Per-sender flood limit.** Every inbound message of one sender (a Telegram user id, an SMS number)
  is counted in a sliding window (a minute). Up to `per_window` messages are handled as usual; beyond
  that the message is recorded and logged but not handled, and the sender gets one polite "too many
  messages, wait a minute" per window at most, then nothing until the window has room again. Messages
  that go unanswered still count, so a sustained flood stays unanswered: a number sending 100 messages
  a minute costs at most `per_window + 1` replies a minute, not 100 (SMS replies cost money).
  The state is per process (several replicas each allow their own window; the database-side cap of
  `channels.replies` bounds replies across them), kept for at most `max_senders` senders (the least
  recently seen are dropped first) so a spray of new senders cannot exhaust memory.
- **SMS countries.** The bot answers SMS only to numbers of the allowed countries
  (`SMS_ALLOWED_COUNTRIES`, ISO region codes, Georgia by default), so nobody can make it text premium
  or foreign numbers at our cost (SMS pumping). An inbound from elsewhere is logged and left unanswered,
  and nothing about it is stored.

No I/O and no framework here: the Telegram unit of work and the Twilio webhook ask `InboundLimiter.check`
and act on the verdict. The clock is a parameter, so tests move time instead of waiting for it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated

import phonenumbers
from phonenumbers import NumberParseException
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from channels.message import N_

log = logging.getLogger(__name__)

Clock = Callable[[], float]

TOO_MANY = N_("Too many messages. Please wait a minute, then write again.")


class Verdict(StrEnum):
    """What to do with one inbound message."""

    HANDLE = "handle"  # within the limit: handle and answer as usual
    WARN = "warn"  # over the limit, first time this window: record it, say "too many" once
    SILENT = "silent"  # over the limit, already warned: record it, answer nothing


class InboundLimitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    sms_inbound_per_minute: int = Field(
        default=10, ge=1, description="SMS one number may send a minute before going unanswered"
    )
    telegram_inbound_per_minute: int = Field(
        default=40, ge=1, description="messages and taps one Telegram user may send a minute"
    )
    sms_allowed_countries: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset({"GE"}), description="ISO regions whose numbers get SMS replies (comma-separated)"
    )

    @field_validator("sms_allowed_countries", mode="before")
    @classmethod
    def _split_regions(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.replace(";", ",").split(",")
        if isinstance(value, Iterable):
            return frozenset(str(part).strip().upper() for part in value if str(part).strip())
        return value

    @field_validator("sms_allowed_countries")
    @classmethod
    def _known_regions(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = sorted(value - phonenumbers.SUPPORTED_REGIONS)
        if unknown:
            raise ValueError(f"unknown region codes: {', '.join(unknown)} (use ISO codes such as GE, AM)")
        return value


def sms_country_allowed(phone: str, regions: frozenset[str]) -> bool:
    """Whether an E.164 number belongs to one of `regions` (by its country code and number plan)."""
    try:
        number = phonenumbers.parse(phone, None)
    except NumberParseException:
        return False
    region = phonenumbers.region_code_for_number(number)
    return region is not None and region in regions


def sender_tag(channel: str, sender: str) -> str:
    """A stable pseudonym of a sender for the logs: lines of one flood can be matched, the number is not
    written down."""
    digest = hashlib.sha256(f"{channel}:{sender}".encode()).hexdigest()[:10]
    return f"{channel}#{digest}"


@dataclass
class _Sender:
    arrivals: deque[float]
    warned_at: float | None = None


@dataclass
class InboundLimiter:
    """Sliding-window count of inbound messages per sender; see the module docstring."""

    per_window: int = 10
    window: float = 60.0
    clock: Clock = time.monotonic
    max_senders: int = 100_000
    _senders: OrderedDict[str, _Sender] = field(default_factory=OrderedDict, repr=False)

    def check(self, channel: str, sender: str) -> Verdict:
        """Count one message of `sender` now and say what to do with it."""
        now = self.clock()
        key = f"{channel}:{sender}"
        state = self._senders.get(key)
        if state is None:
            self._bound(now)
            state = _Sender(deque(maxlen=self.per_window))
            self._senders[key] = state
        else:
            self._senders.move_to_end(key)
        # the `per_window` arrivals before this one: all inside the window means this one is over
        over = len(state.arrivals) == self.per_window and now - state.arrivals[0] < self.window
        state.arrivals.append(now)
        if not over:
            return Verdict.HANDLE
        if state.warned_at is not None and now - state.warned_at < self.window:
            log.debug("inbound from %s over the limit again; unanswered", sender_tag(channel, sender))
            return Verdict.SILENT
        state.warned_at = now
        log.warning(
            "inbound flood: %s sent more than %d messages in %.0f s; further ones go unanswered",
            sender_tag(channel, sender),
            self.per_window,
            self.window,
        )
        return Verdict.WARN

    def _bound(self, now: float) -> None:
        """Make room for one more sender: drop the least recently seen while they are quiet for a whole
        window or the table is full (senders are kept in order of their last message)."""
        while self._senders:
            key, oldest = next(iter(self._senders.items()))
            if len(self._senders) < self.max_senders and now - oldest.arrivals[-1] < self.window:
                return
            del self._senders[key]

    def __len__(self) -> int:
        return len(self._senders)
