"""The rules the fake Twilio enforces before and after accepting a message.

Number formats, opt-out keywords (Twilio's defaults for long codes), per-sender throughput and the
reply-loop guard (error 14107) each live here as a small piece with its clock passed in, so the server
module only wires them together.
"""

import re
from collections import defaultdict, deque
from collections.abc import Callable

import phonenumbers

# Twilio's default opt-out handling: the whole body, trimmed and case-insensitive, must be the keyword.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
# The confirmations Twilio texts back on a keyword (approximate wording; they are not part of any API).
AUTO_REPLIES = {
    "STOP": "You have successfully been unsubscribed. You will not receive any more messages from this "
    "number. Reply START to resubscribe.",
    "START": "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    "HELP": "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}

_E164 = re.compile(r"\+[1-9]\d{6,14}")
_SHORT_CODE = re.compile(r"\d{3,8}")
_ALPHANUMERIC_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_SERVICE_SID = re.compile(r"MG[0-9a-f]{32}")


def is_valid_recipient(number: str) -> bool:
    """E.164 and a possible length for its country; what Twilio calls a valid 'To' for SMS."""
    if not _E164.fullmatch(number):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False


def is_valid_sender(sender: str) -> bool:
    """A phone number, short code or alphanumeric sender ID (up to 11 characters, at least one letter)."""
    return bool(
        _E164.fullmatch(sender) or _SHORT_CODE.fullmatch(sender) or _ALPHANUMERIC_ID.fullmatch(sender)
    )


def is_service_sid(value: str) -> bool:
    return bool(_SERVICE_SID.fullmatch(value))


def region_of(number: str) -> str | None:
    """ISO region of a phone number ('GE' for +995...), used for geo fields and region permissions."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return None


def keyword_of(body: str) -> str | None:
    """'STOP', 'START' or 'HELP' when the whole body is one of Twilio's default keywords, else None."""
    word = body.strip().upper()
    if word in OPT_OUT_KEYWORDS:
        return "STOP"
    if word in OPT_IN_KEYWORDS:
        return "START"
    if word in HELP_KEYWORDS:
        return "HELP"
    return None


class OptOutBook:
    """Who opted out from which sender scope: a Messaging Service SID, or a lone number."""

    def __init__(self) -> None:
        self._pairs: set[tuple[str, str]] = set()

    def opt_out(self, scope: str, number: str) -> None:
        self._pairs.add((scope, number))

    def opt_in(self, scope: str, number: str) -> None:
        self._pairs.discard((scope, number))

    def is_opted_out(self, scope: str, number: str) -> bool:
        return (scope, number) in self._pairs

    def clear(self) -> None:
        self._pairs.clear()

    def pairs(self) -> list[tuple[str, str]]:
        return sorted(self._pairs)


class SenderRateLimiter:
    """Per sender, `rate` messages a second (Twilio answers 429 with error 20429 beyond it).

    `mode="strict"` (the default): at most `rate` accepted in any sliding one-second window (for a rate
    under one a second: one in any 1/rate seconds), counted at arrival. `mode="bucket"`: a token bucket
    with bursts of up to max(1, rate), the lenient model this fake had before. `hidden_rate`, when set,
    is the throughput really enforced, lower than the `rate` the account was sold (a throttled sender).
    """

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float],
        *,
        mode: str = "strict",
        hidden_rate: float | None = None,
    ) -> None:
        self.rate = rate
        self.mode = mode
        self.hidden_rate = hidden_rate
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._windows: defaultdict[str, deque[float]] = defaultdict(deque)
        self.accepted: list[float] = []

    def admit(self, sender: str) -> bool:
        """Take one send for `sender`; False means the request must be refused with 429."""
        rate = self.hidden_rate or self.rate
        if rate is None:
            return True
        now = self._clock()
        ok = self._window(sender, rate, now) if self.mode == "strict" else self._bucket(sender, rate, now)
        if ok:
            self.accepted.append(now)
        return ok

    def _window(self, sender: str, rate: float, now: float) -> bool:
        span, most = (1.0, int(rate)) if rate >= 1 else (1.0 / rate, 1)
        times = self._windows[sender]
        while times and times[0] <= now - span:
            times.popleft()
        if len(times) >= most:
            return False
        times.append(now)
        return True

    def _bucket(self, sender: str, rate: float, now: float) -> bool:
        capacity = max(1.0, rate)
        tokens, last = self._buckets.get(sender, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[sender] = (tokens, now)
            return False
        self._buckets[sender] = (tokens - 1.0, now)
        return True

    def clear(self) -> None:
        self._buckets.clear()
        self._windows.clear()
        self.accepted = []


class LoopGuard:
    """Twilio's runaway protection: past `limit` messages between two numbers within `window` s -> 14107."""

    def __init__(self, limit: int | None, clock: Callable[[], float], window: float = 30.0) -> None:
        self.limit = limit
        self._clock = clock
        self._window = window
        self._sent: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)

    def trips(self, sender: str, recipient: str) -> bool:
        """Count one message; True when it is over the limit and must fail with 14107."""
        if self.limit is None:
            return False
        now = self._clock()
        times = self._sent[(sender, recipient)]
        while times and now - times[0] >= self._window:
            times.popleft()
        times.append(now)
        return len(times) > self.limit

    def clear(self) -> None:
        self._sent.clear()
