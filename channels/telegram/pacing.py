"""Interactive replies share the channel's one budget with the outbox, and are served first.

The service's Bot answers people right after their update is handled. Sent past the delivery lane's
pacer, each such reply during a full-rate broadcast would push a second over Telegram's limit; so this
session middleware takes every sending call through the lane's `ChannelPacer` (a reply gets the slot
after the one the lane holds: `channels.ratelimit`), and tells the pacer about each 429, which holds
the chat or slows the channel for the outbox as well. It retries a 429 itself, up to `attempts`; the
`RetryMiddleware` around it still sleeps and retries whatever is left (and 5xx, network errors).
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from channels.ratelimit import ChannelPacer

log = logging.getLogger(__name__)

# Calls that put a message in a chat, or change one: Telegram (and its fake) count them all.
PACED_PREFIXES = ("Send", "Edit", "Copy", "Forward")
UNPACED = frozenset({"SendChatAction"})


def is_paced(method: TelegramMethod[TelegramType]) -> bool:
    name = type(method).__name__
    return (
        name.startswith(PACED_PREFIXES)
        and name not in UNPACED
        and getattr(method, "chat_id", None) is not None
    )


class PacedRequests(BaseRequestMiddleware):
    """Wait for the chat's and the channel's turn before each sending call; learn from its 429s."""

    def __init__(self, pacer: ChannelPacer, attempts: int = 5) -> None:
        self.pacer = pacer
        self.attempts = attempts

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not is_paced(method):
            return await make_request(bot, method)
        address = str(getattr(method, "chat_id", ""))
        for attempt in range(1, self.attempts + 1):
            slot = await self.pacer.acquire_reply(address)
            started = self.pacer.clock()
            try:
                response = await make_request(bot, method)
            except TelegramRetryAfter as exc:
                scope = self.pacer.throttled(address, float(exc.retry_after))
                log.info(
                    "telegram 429 on a reply (%s, %ss, %s)", type(method).__name__, exc.retry_after, scope
                )
                if attempt == self.attempts:
                    raise
                continue
            finally:  # whatever came back, the request has arrived by now if it ever will
                self.pacer.answered(slot, started)
            self.pacer.accepted()
            return response
        raise AssertionError("unreachable")


def pace_replies(bot: Bot, pacer: ChannelPacer) -> None:
    """Route `bot`'s sending calls through `pacer` (once; later calls with the same bot do nothing)."""
    if any(isinstance(middleware, PacedRequests) for middleware in bot.session.middleware):
        return
    bot.session.middleware(PacedRequests(pacer))
