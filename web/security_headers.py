"""Response headers that keep browsers from misusing our pages (OWASP ASVS V14.4, V8.2.1).

Every response: no MIME sniffing, and no Referer to other sites (a console URL can carry a phone number
searched for). Console pages, and the simulator that shows a person's own chat: never framed by another
site (clickjacking) and never stored by a browser or proxy cache (they show personal data). Public pages
may be framed (a municipality's site can embed them) and keep their own caching. A header a route set
itself is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVERYWHERE: Mapping[bytes, bytes] = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}
PRIVATE_PAGES: Mapping[bytes, bytes] = {
    b"x-frame-options": b"DENY",
    b"content-security-policy": b"frame-ancestors 'none'",
    b"cache-control": b"no-store",
}
PRIVATE_PREFIXES = ("/console", "/try")


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering): adds the headers above to each response's start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        wanted = dict(EVERYWHERE)
        if path.startswith(PRIVATE_PREFIXES):
            wanted.update(PRIVATE_PAGES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in wanted.items() if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
