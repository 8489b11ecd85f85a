"""Response headers that keep browsers from misusing our pages (OWASP ASVS V14.4, V8.2.1, V14.4.3 CSP).

Every response: a Content-Security-Policy that lets a page load scripts, styles, fonts and requests only
from this site (no inline script or style, no eval: the pages keep theirs in /static; images also as
`data:` URLs, the scorecard's charts), no plugins, no `<base>`, forms posted only here; no MIME
sniffing; no Referer to other sites (a console URL can carry a phone number searched for); no camera,
microphone, location or payment features. Console pages, and the simulator that shows a person's own chat:
never framed by another site (clickjacking) and never stored by a browser or proxy cache (they show
personal data). Public pages keep their own caching, and are framed only by the sites listed in
`PUBLIC_FRAME_ANCESTORS` (none by default: a municipality that embeds them lists its site there).
A header a route set itself is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {}"
)
EVERYWHERE: Mapping[bytes, bytes] = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"permissions-policy": (
        b"accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
        b"payment=(), usb=()"
    ),
}
NOT_FRAMED: Mapping[bytes, bytes] = {
    b"x-frame-options": b"DENY",
    b"content-security-policy": POLICY.format("'none'").encode(),
}
PRIVATE_PAGES: Mapping[bytes, bytes] = {**NOT_FRAMED, b"cache-control": b"no-store"}
PRIVATE_PREFIXES = ("/console", "/try")
_ORIGIN = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


class FramingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    public_frame_ancestors: str = Field(
        default="'none'",
        description="sites that may show the public pages in a frame: 'none', or https:// origins",
    )

    @field_validator("public_frame_ancestors")
    @classmethod
    def _origins(cls, value: str) -> str:
        sources = value.split()
        if sources in ([], ["none"], ["'none'"]):  # unset, or the quotes lost on the way from a .env file
            return "'none'"
        if all(_ORIGIN.fullmatch(source) for source in sources):
            return " ".join(sources)
        raise ValueError(
            "PUBLIC_FRAME_ANCESTORS must be 'none' or https:// origins separated by spaces, "
            "e.g. https://batumi.gov.ge"
        )


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering): adds the headers above to each response's start."""

    def __init__(self, app: ASGIApp, public_frame_ancestors: str = "'none'") -> None:
        self.app = app
        framing = FramingSettings(public_frame_ancestors=public_frame_ancestors).public_frame_ancestors
        self.public: Mapping[bytes, bytes] = (
            NOT_FRAMED
            if framing == "'none'"
            else {b"content-security-policy": POLICY.format(framing).encode()}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        wanted = dict(EVERYWHERE)
        wanted.update(PRIVATE_PAGES if path.startswith(PRIVATE_PREFIXES) else self.public)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in wanted.items() if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
