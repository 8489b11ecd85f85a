"""Getting updates to the bot: getUpdates long polling, or webhook POSTs with Telegram's retries.

Webhook delivery keeps Telegram's ordering promise per chat (updates of one chat go one at a time,
in order; different chats in parallel up to ``max_connections``). A failed POST (non-2xx, refused,
timed out) is retried after each of ``retry_delays`` and then dropped, as Telegram gives up too.
A 2xx answer may carry a Bot API call (``{"method": ...}``), which is executed like Telegram does.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.fakes.telegram_params import ApiError, Params, read_reply

WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
TERMINATED = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
# Sent unless allowed_updates asks for them, per the Bot API documentation of getUpdates.
OPT_IN_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

ReplyHandler = Callable[[Params], Awaitable[None]]
EventHandler = Callable[[str], None]


def update_type(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def chat_key(update: dict[str, Any]) -> str:
    """The chat an update belongs to, for per-chat ordering; odd updates share one queue."""
    body = update.get(update_type(update))
    if isinstance(body, dict):
        for holder in (body, body.get("message")):
            if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
                return str(holder["chat"].get("id"))
        if isinstance(body.get("from"), dict):
            return str(body["from"].get("id"))
    return "-"


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int


class WebhookDeliverer:
    """POSTs updates to one webhook URL; ``stop()`` hands back whatever it has not delivered."""

    def __init__(
        self,
        config: WebhookConfig,
        retry_delays: Iterable[float],
        timeout: float,
        on_reply: ReplyHandler,
        on_event: EventHandler,
    ) -> None:
        self.config = config
        self.retry_delays = tuple(retry_delays)
        self.last_error: tuple[int, str] | None = None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._on_reply = on_reply
        self._on_event = on_event
        self._queues: dict[str, deque[dict[str, Any]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(config.max_connections)

    @property
    def pending(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    def submit(self, update: dict[str, Any]) -> None:
        key = chat_key(update)
        self._queues.setdefault(key, deque()).append(update)
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._run(key))

    async def _run(self, key: str) -> None:
        queue = self._queues[key]
        while queue:
            update = queue[0]
            for delay in (0.0, *self.retry_delays):
                if delay:
                    await asyncio.sleep(delay)
                error = await self._attempt(update)
                if error is None:
                    self._on_event("webhook_deliveries")
                    break
                self.last_error = (int(time.time()), error)
                self._on_event("webhook_failures")
            else:
                self._on_event("webhook_dropped")
            queue.popleft()
        del self._queues[key], self._workers[key]
        self._on_event("")

    async def _attempt(self, update: dict[str, Any]) -> str | None:
        """One POST; None on success, else the text getWebhookInfo shows as last_error_message."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {}
        if self.config.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.config.secret_token
        reply: Params | None = None
        async with self._slots:
            try:
                async with self._session.post(self.config.url, json=update, headers=headers) as response:
                    if not 200 <= response.status < 300:
                        return f"Wrong response from the webhook: {response.status} {response.reason}"
                    reply = await read_reply(response)
            except TimeoutError:
                return "Read timeout expired"
            except aiohttp.ClientConnectorError:
                return "Connection refused"
            except aiohttp.ClientError as exc:
                return f"Connection failed: {type(exc).__name__}"
        if reply is not None:
            await self._on_reply(reply)
        return None

    async def stop(self) -> list[dict[str, Any]]:
        """Stop delivering; the undelivered updates (including any in flight) in update_id order."""
        for task in self._workers.values():
            task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)
        left = sorted((u for queue in self._queues.values() for u in queue), key=lambda u: u["update_id"])
        self._queues.clear()
        self._workers.clear()
        if self._session is not None:
            await self._session.close()
        return left


class UpdateFeed:
    """The bot's update queue: held for getUpdates, or handed to a WebhookDeliverer while one is set."""

    def __init__(
        self, on_reply: ReplyHandler, on_event: EventHandler, retry_delays: Iterable[float], timeout: float
    ) -> None:
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.allowed: frozenset[str] | None = None  # None: every type except OPT_IN_TYPES
        self.deliverer: WebhookDeliverer | None = None
        self._on_reply = on_reply
        self._on_event = on_event
        self._pending: list[dict[str, Any]] = []
        self._next_id = 1
        self._generation = 0
        self._closed = False
        self._wakeup = asyncio.Event()

    @property
    def busy(self) -> bool:
        """Updates exist that the bot has not confirmed (getUpdates) or received (webhook)."""
        return bool(self._pending) or (self.deliverer is not None and self.deliverer.pending > 0)

    @property
    def pending_count(self) -> int:
        return len(self._pending) + (self.deliverer.pending if self.deliverer else 0)

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Number and queue an update (dropped, as by Telegram, if allowed_updates excludes its type)."""
        if "update_id" not in update:
            update = {"update_id": self._next_id, **update}
        self._next_id = max(self._next_id, int(update["update_id"]) + 1)
        kind = update_type(update)
        if (kind in OPT_IN_TYPES) if self.allowed is None else (kind not in self.allowed):
            self._on_event("updates_filtered")
            return update
        if self.deliverer is not None:
            self.deliverer.submit(update)
        else:
            self._pending.append(update)
        self._wake()
        return update

    def set_allowed(self, allowed: Any) -> None:
        if isinstance(allowed, list):
            self.allowed = frozenset(str(kind) for kind in allowed) or None

    async def get_updates(self, *, offset: int, limit: int, poll_seconds: float) -> list[dict[str, Any]]:
        """Confirm updates below ``offset`` and return up to ``limit``, waiting up to ``poll_seconds``."""
        if self.deliverer is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        self._generation += 1
        generation = self._generation
        self._wake()  # an older long poll ends with 409 TERMINATED
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + poll_seconds
        while True:
            if self._pending or loop.time() >= deadline:
                self._on_event("")
                return self._pending[: max(1, min(limit or 100, 100))]
            wakeup = self._wakeup
            try:
                await asyncio.wait_for(wakeup.wait(), deadline - loop.time())
            except TimeoutError:
                continue
            if self._closed:
                return []
            if generation != self._generation:
                raise ApiError(409, TERMINATED)
            if self.deliverer is not None:
                raise ApiError(409, WEBHOOK_ACTIVE)

    async def set_webhook(self, config: WebhookConfig, *, drop_pending: bool) -> None:
        """Switch to (or re-point) webhook delivery; pending updates follow unless dropped."""
        left = await self.deliverer.stop() if self.deliverer is not None else []
        waiting = [] if drop_pending else sorted(left + self._pending, key=lambda u: u["update_id"])
        self._pending = []
        self.deliverer = WebhookDeliverer(
            config, self.retry_delays, self.timeout, self._on_reply, self._on_event
        )
        for update in waiting:
            self.deliverer.submit(update)
        self._wake()

    async def delete_webhook(self, *, drop_pending: bool) -> bool:
        """Back to getUpdates; undelivered updates stay available unless dropped. False if none was set."""
        if self.deliverer is None:
            if drop_pending:
                self._pending = []
            return False
        left = await self.deliverer.stop()
        self.deliverer = None
        self._pending = [] if drop_pending else left
        self._wake()
        return True

    def clear(self) -> None:
        self._pending = []

    def webhook_info(self) -> dict[str, Any]:
        """The WebhookInfo object."""
        info: dict[str, Any] = {
            "url": self.deliverer.config.url if self.deliverer else "",
            "has_custom_certificate": False,
            "pending_update_count": self.pending_count,
        }
        if self.deliverer is not None:
            info["max_connections"] = self.deliverer.config.max_connections
            if self.deliverer.last_error is not None:
                info["last_error_date"], info["last_error_message"] = self.deliverer.last_error
        if self.allowed is not None:
            info["allowed_updates"] = sorted(self.allowed)
        return info

    def open(self) -> None:
        """Serve long polls again after ``close()`` (a fake can be stopped and started again)."""
        self._closed = False

    async def close(self) -> None:
        """End waiting long polls (they return no updates) and stop webhook delivery."""
        self._closed = True
        self._wake()
        if self.deliverer is not None:
            await self.deliverer.stop()
            self.deliverer = None
