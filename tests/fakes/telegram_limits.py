"""Telegram's flood limits as token buckets, so the delivery workers meet 429s the way production does.

Three buckets decide each sending request:
- global (``global_limit``/s, capacity one second's worth): taken by every send without
  ``allow_paid_broadcast``;
- paid (``paid_limit``/s, capacity one second's worth): taken by *every* send, so paid and free
  traffic together never pass the paid ceiling, while a paid send skips the free global bucket;
- per chat (``per_chat_limit``/s, capacity ``per_chat_burst``): Telegram tolerates short bursts in a
  private chat (a reply plus a follow-up) but not a sustained stream; the default burst is 3.
A refused request takes no token, and ``retry_after`` is the whole seconds until every bucket it
needs has one again (at least 1), the integer Telegram sends in ``parameters.retry_after``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """``rate`` tokens a second, at most ``capacity`` saved up."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0 when it is)."""
        self.refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class LimitConfig:
    """The limits; the defaults are Telegram's documented ones for bots."""

    global_limit: float = 30.0
    per_chat_limit: float = 1.0
    per_chat_burst: int = 3
    paid_limit: float = 1000.0


@dataclass
class Refusal:
    """Why a send was refused: ``scope`` is "global", "paid" or "chat"."""

    scope: str
    retry_after: int


@dataclass
class RateLimiter:
    """Decides whether a send may go now; ``clock`` is monotonic seconds, injectable for tests."""

    config: LimitConfig = field(default_factory=LimitConfig)
    clock: Callable[[], float] = time.monotonic
    _global: TokenBucket | None = None
    _paid: TokenBucket | None = None
    _chats: dict[int, TokenBucket] = field(default_factory=dict)
    _recent: deque[float] = field(default_factory=deque)
    peak_per_second: int = 0

    def reconfigure(self, config: LimitConfig) -> None:
        """Apply new limits and start every bucket full again."""
        self.config = config
        self.reset()

    def reset(self) -> None:
        self._global = self._paid = None
        self._chats.clear()
        self._recent.clear()
        self.peak_per_second = 0

    def _bucket(self, rate: float, capacity: float, now: float) -> TokenBucket:
        return TokenBucket(rate=rate, capacity=capacity, tokens=capacity, updated=now)

    def acquire(self, chat_id: int, *, paid: bool = False) -> Refusal | None:
        """Take the tokens one send needs, or take none and say how long to wait."""
        now = self.clock()
        cfg = self.config
        if self._global is None or self._paid is None:
            self._global = self._bucket(cfg.global_limit, max(cfg.global_limit, 1.0), now)
            self._paid = self._bucket(cfg.paid_limit, max(cfg.paid_limit, 1.0), now)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = self._bucket(cfg.per_chat_limit, max(cfg.per_chat_burst, 1), now)
        needed = [("chat", chat), ("paid", self._paid)]
        if not paid:
            needed.append(("global", self._global))
        waits = [(bucket.wait(now), scope) for scope, bucket in needed]
        longest, scope = max(waits)
        if longest > 0:
            return Refusal(scope=scope, retry_after=max(1, math.ceil(longest)))
        for _, bucket in needed:
            bucket.tokens -= 1
        self._note_send(now)
        return None

    def _note_send(self, now: float) -> None:
        self._recent.append(now)
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        self.peak_per_second = max(self.peak_per_second, len(self._recent))
