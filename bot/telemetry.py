"""What an operator watches: a request/update id on every log line, webhook latency, the outbox queue.

- `REQUEST_ID` names the unit of work a log line belongs to: the HTTP middleware sets it per request
  (from `X-Request-ID` when the proxy sent one, which nginx does in deploy/), the Telegram outer
  middleware per update (`tg-<update_id>`, also in polling mode). `bot.logging`'s JSON formatter reads it.
- `civicbot_webhook_seconds{route, status}`: latency of the Telegram and Twilio webhooks as answered.
- `civicbot_outbox_messages{channel, status}`: waiting (pending) and claimed (sending) messages, counted
  on scrape straight off the claim index, at most once per `QUEUE_TTL` seconds however often scraped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from prometheus_client import Gauge, Histogram
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.outbox import OPEN_STATUSES
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery

REQUEST_ID: ContextVar[str | None] = ContextVar("civicbot_request_id", default=None)

WEBHOOK_ROUTES = {"/twilio/sms": "twilio_sms", "/twilio/status": "twilio_status"}
TELEGRAM_PREFIX = "/telegram/webhook/"
QUEUE_TTL = 5.0

WEBHOOK_SECONDS = Histogram(
    "civicbot_webhook_seconds",
    "Webhook answer latency by route and HTTP status",
    ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
QUEUE = Gauge(
    "civicbot_outbox_messages",
    "Outbox messages not finished yet, by channel and status",
    ["channel", "status"],
)


def webhook_route(path: str) -> str | None:
    if path.startswith(TELEGRAM_PREFIX):
        return "telegram"  # the secret path key never becomes a label
    return WEBHOOK_ROUTES.get(path)


class RequestContext:
    """ASGI middleware: a request id for the logs of each request, latency for the webhook routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        token = REQUEST_ID.set(given or uuid.uuid4().hex[:16])
        route = webhook_route(scope.get("path", ""))
        started = time.perf_counter()
        status = 500

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_recording)
        finally:
            if route is not None:
                WEBHOOK_SECONDS.labels(route, str(status)).observe(time.perf_counter() - started)
            REQUEST_ID.reset(token)


class UpdateContext(BaseMiddleware):
    """aiogram outer middleware: the update's id on every log line written while handling it."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        token = REQUEST_ID.set(f"tg-{event.update_id}" if isinstance(event, Update) else REQUEST_ID.get())
        try:
            return await handler(event, data)
        finally:
            REQUEST_ID.reset(token)


class QueueDepth:
    """Sets `civicbot_outbox_messages` from one grouped count of the open rows, cached `ttl` seconds."""

    def __init__(self, ttl: float = QUEUE_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._at = float("-inf")

    async def refresh(self, engine: AsyncEngine) -> None:
        if self.clock() - self._at < self.ttl:
            return
        self._at = self.clock()
        query = (
            select(Delivery.channel, Delivery.status, func.count())
            .where(Delivery.status.in_(OPEN_STATUSES))
            .group_by(Delivery.channel, Delivery.status)
        )
        async with engine.connect() as conn:
            counts = {(str(c), str(s)): int(n) for c, s, n in (await conn.execute(query)).all()}
        for channel in Channel:
            for status in OPEN_STATUSES:
                QUEUE.labels(channel.value, status.value).set(counts.get((channel.value, status.value), 0))
