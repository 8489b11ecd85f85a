"""Request bodies over a set size are refused before they are read (HTTP 413).

Telegram and Twilio send small bodies; anyone on the internet can send a large one to an unauthenticated
webhook (five 100 MB SMS bodies took the process from 280 MB to 1 GB). The limit is checked against
`Content-Length` before anything is read, and counted while a chunked body streams in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1024 * 1024  # 1 MiB: a Telegram update or a Twilio form is a few kilobytes
# Staff upload survey forms through the console.
LIMITS_BY_PREFIX: Mapping[str, int] = {"/console": 10 * 1024 * 1024}


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """Pure ASGI middleware, so the limit also holds for routes that stream the body themselves."""

    def __init__(
        self, app: ASGIApp, default: int = DEFAULT_LIMIT, by_prefix: Mapping[str, int] = LIMITS_BY_PREFIX
    ) -> None:
        self.app = app
        self.default = default
        self.by_prefix = dict(by_prefix)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.by_prefix.items():
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            log.warning(
                "request body of %d bytes to %s refused (limit %d)", declared, scope.get("path"), limit
            )
            await _refuse(send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except _TooLarge:
            log.warning("streamed request body to %s refused past %d bytes", scope.get("path"), limit)
            if not started:
                await _refuse(send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send) -> None:
    body = b"request body too large"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
