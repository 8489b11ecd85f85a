"""Telegram's flood limits, so the delivery workers meet 429s the way production (at its strictest) does.

Three limits decide each sending request:
- global (``global_limit``/s): every send without ``allow_paid_broadcast``;
- paid (``paid_limit``/s): *every* send, so paid and free traffic together never pass the paid ceiling,
  while a paid send skips the free global limit;
- per chat (``per_chat_limit``/s, bursts of ``per_chat_burst``): Telegram tolerates short bursts in a
  private chat (a reply plus a follow-up) but not a sustained stream; a token bucket in every mode.
``mode`` says how the global and paid limits count:
- ``"strict"`` (the default for tests and benchmarks): at most ``limit`` accepted sends in *any* sliding
  one-second window, counted at arrival; a refusal's ``retry_after`` is the whole seconds until the
  window frees (at least 1);
- ``"bucket"``: a token bucket holding one second's worth (lenient: up to twice the limit can pass in
  the first second), the model this fake had before.
Two more knobs for the modes a benchmark plays:
- ``hidden_limit``: the limit really enforced on free sends, lower than ``global_limit`` (a shared
  token, a throttled account); ``global_limit`` is then only what the bot was told;
- ``flood_at`` / ``flood_seconds``: once ``flood_at`` sends were accepted, every send is refused for
  ``flood_seconds`` with ``retry_after`` = the seconds left of it (a long flood wait).
A refused request takes no capacity, and ``retry_after`` is the integer Telegram sends in
``parameters.retry_after``. Accepted send times are kept (``accepted``) for benchmarks to analyse.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW = 1.0


@dataclass
class TokenBucket:
    """``rate`` tokens a second, at most ``capacity`` saved up."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0 when it is)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self.tokens -= 1


@dataclass
class SlidingWindow:
    """At most ``limit`` accepted sends in any window of ``WINDOW`` seconds."""

    limit: float
    times: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        while self.times and self.times[0] <= now - WINDOW:
            self.times.popleft()
        if len(self.times) < max(1, int(self.limit)):
            return 0.0
        return self.times[0] + WINDOW - now

    def take(self, now: float) -> None:
        self.times.append(now)


Limit = TokenBucket | SlidingWindow


@dataclass
class LimitConfig:
    """The limits; the defaults are Telegram's documented ones for bots, counted strictly."""

    global_limit: float = 30.0
    per_chat_limit: float = 1.0
    per_chat_burst: int = 3
    paid_limit: float = 1000.0
    mode: str = "strict"
    hidden_limit: float | None = None
    flood_at: int | None = None
    flood_seconds: float = 30.0


@dataclass
class Refusal:
    """Why a send was refused: ``scope`` is "global", "paid", "chat" or "flood"."""

    scope: str
    retry_after: int


@dataclass
class RateLimiter:
    """Decides whether a send may go now; ``clock`` is monotonic seconds, injectable for tests."""

    config: LimitConfig = field(default_factory=LimitConfig)
    clock: Callable[[], float] = time.monotonic
    _global: Limit | None = None
    _paid: Limit | None = None
    _chats: dict[int, TokenBucket] = field(default_factory=dict)
    _recent: deque[float] = field(default_factory=deque)
    peak_per_second: int = 0
    accepted: list[float] = field(default_factory=list)
    flood_until: float | None = None

    def reconfigure(self, config: LimitConfig) -> None:
        """Apply new limits and start every limit afresh."""
        if config.mode not in ("strict", "bucket"):
            raise ValueError(f"mode must be 'strict' or 'bucket', not {config.mode!r}")
        self.config = config
        self.reset()

    def reset(self) -> None:
        self._global = self._paid = None
        self._chats.clear()
        self._recent.clear()
        self.peak_per_second = 0
        self.accepted = []
        self.flood_until = None

    def _limit(self, rate: float, now: float) -> Limit:
        if self.config.mode == "strict":
            return SlidingWindow(rate)
        return TokenBucket(rate=rate, capacity=max(rate, 1.0), tokens=max(rate, 1.0), updated=now)

    def acquire(self, chat_id: int, *, paid: bool = False) -> Refusal | None:
        """Take what one send needs, or take nothing and say how long to wait."""
        now = self.clock()
        cfg = self.config
        if self.flood_until is not None and now < self.flood_until:
            return Refusal(scope="flood", retry_after=max(1, math.ceil(self.flood_until - now)))
        if self._global is None or self._paid is None:
            self._global = self._limit(cfg.hidden_limit or cfg.global_limit, now)
            self._paid = self._limit(cfg.paid_limit, now)
        chat = self._chats.get(chat_id)
        if chat is None:
            burst = max(cfg.per_chat_burst, 1)
            chat = self._chats[chat_id] = TokenBucket(cfg.per_chat_limit, burst, burst, now)
        needed: list[tuple[str, Limit]] = [("chat", chat), ("paid", self._paid)]
        if not paid:
            needed.append(("global", self._global))
        waits = [(limit.wait(now), scope) for scope, limit in needed]
        longest, scope = max(waits)
        if longest > 0:
            return Refusal(scope=scope, retry_after=max(1, math.ceil(longest)))
        for _, limit in needed:
            limit.take(now)
        self._note_send(now)
        if cfg.flood_at is not None and len(self.accepted) == cfg.flood_at:
            self.flood_until = now + cfg.flood_seconds
        return None

    def _note_send(self, now: float) -> None:
        self.accepted.append(now)
        self._recent.append(now)
        while self._recent and self._recent[0] <= now - WINDOW:
            self._recent.popleft()
        self.peak_per_second = max(self.peak_per_second, len(self._recent))
