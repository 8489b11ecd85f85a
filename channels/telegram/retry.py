"""Every Telegram call through this session obeys 429 `retry_after` and retries passing server errors.

aiogram raises `TelegramRetryAfter` and never retries by itself; interactive replies to one person hit the
per-chat limit too, so the retry lives in the session, where every send path passes.
"""

from __future__ import annotations

import asyncio
import logging
import random

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)


class RetryMiddleware(BaseRequestMiddleware):
    """Sleep `retry_after` on 429 (up to `max_wait` seconds in total); back off on 5xx and network errors."""

    def __init__(self, attempts: int = 5, max_wait: float = 60.0, base_delay: float = 0.5) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self.base_delay = base_delay

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        waited = 0.0
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                delay = float(exc.retry_after)
                if attempt == self.attempts or waited + delay > self.max_wait:
                    raise
                log.info("telegram 429 on %s: waiting %.0fs", type(method).__name__, delay)
            except (TelegramServerError, TelegramNetworkError) as exc:
                if attempt == self.attempts:
                    raise
                delay = self.base_delay * 2 ** (attempt - 1) * (1 + random.random())
                log.warning("telegram %s on %s, retry in %.1fs", exc, type(method).__name__, delay)
            waited += delay
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")
