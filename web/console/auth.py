"""The console's gate: the signed session cookie, CSRF on every form, role scope, one transaction a request.

Every page and action runs through `as_staff`: no valid session -> the sign-in page; a POST without the
session's CSRF token -> 403 (audited); an officer reaching another municipality -> 403 (audited). Domain
refusals keep their audit entry, as in the CLI: the transaction commits, the services changed nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff_access as access
from campaigns.errors import CampaignError, ScopeDenied
from channels.i18n import render as render_text
from channels.message import Text
from contacts.registry import audit
from storage.models import Municipality
from storage.models.campaigns import Role, StaffMember
from storage.models.console import WebSession
from web.service import WebService, running_service
from web.templating import render, request_language

SESSION_COOKIE = "civicbot_console"
FORM_COOKIE = "civicbot_console_form"


class Forbidden(Exception):
    """An action outside the staff member's role or municipality; the refusal is already audited."""


def signer(service: WebService, salt: str) -> URLSafeSerializer:
    """Cookies are signed with a key derived from the data key, so nothing new needs configuring."""
    return URLSafeSerializer(service.context.vault.address_hash("console", "cookie-signing-key"), salt=salt)


def secure_cookies(service: WebService) -> bool:
    base = service.settings.http.public_base_url
    return bool(base) and str(base).startswith("https://")


def set_cookie(response: Response, service: WebService, name: str, value: str, salt: str) -> None:
    response.set_cookie(
        name,
        signer(service, salt).dumps(value),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(service),
        path="/console",
    )


def read_cookie(request: Request, name: str, salt: str) -> str | None:
    raw = request.cookies.get(name)
    if not raw:
        return None
    try:
        value = signer(running_service(request), salt).loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass
class Console:
    """One signed-in request: the staff member, their session, the open transaction and the form."""

    request: Request
    session: AsyncSession
    member: StaffMember
    web_session: WebSession
    home: Municipality | None
    form: Mapping[str, Any] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return request_language(self.request)

    @property
    def coordinator(self) -> bool:
        return self.member.role == Role.COORDINATOR

    def text(self, message: Text) -> str:
        return render_text(message, self.lang)

    def page(self, template: str, status_code: int = 200, **context: Any) -> Response:
        return render(
            self.request,
            template,
            status_code,
            staff=self.member,
            home=self.home,
            csrf=self.web_session.csrf_token,
            **context,
        )

    async def record(
        self, action: str, subject: str, municipality_id: int | None = None, **details: object
    ) -> None:
        """Audit an action done through the console, with who did it."""
        await audit(
            self.session,
            self.member.label,
            action,
            subject,
            municipality_id=municipality_id or self.member.municipality_id,
            details={"via": "console", **details},
        )

    async def ensure_municipality(self, municipality: Municipality) -> None:
        """Officers see and touch only their own municipality; anything else is refused and audited."""
        if self.coordinator or (self.home is not None and self.home.id == municipality.id):
            return
        await self.record(
            "console.scope_denied", f"municipality:{municipality.code}", path=self.request.url.path
        )
        raise Forbidden

    async def ensure_coordinator(self, subject: str) -> None:
        if not self.coordinator:
            await self.record("console.role_denied", subject, path=self.request.url.path)
            raise Forbidden


Work = Callable[[Console], Awaitable[Response]]


async def as_staff(request: Request, work: Work, *, form: bool = False) -> Response:
    """Run `work` for the signed-in staff member in one transaction (see the module docstring)."""
    service = running_service(request)
    async with service.sessions() as session, session.begin():
        token = read_cookie(request, SESSION_COOKIE, "session")
        web_session = await access.current(session, token) if token else None
        member = await session.get(StaffMember, web_session.staff_id) if web_session else None
        if web_session is None or member is None:
            return _to_sign_in(request)
        home = await session.get(Municipality, member.municipality_id) if member.municipality_id else None
        console = Console(request, session, member, web_session, home)
        if form:
            console.form = await request.form()
            sent = str(console.form.get("csrf", ""))
            if not hmac.compare_digest(sent.encode(), web_session.csrf_token.encode()):
                await console.record("console.csrf_refused", f"path:{request.url.path}"[:64])
                return console.page("console/refused.html", 403, reason="csrf")
        try:
            return await work(console)
        except (Forbidden, ScopeDenied):  # ScopeDenied: a domain service refused and audited it
            return console.page("console/refused.html", 403, reason="scope")
        except CampaignError as exc:
            return console.page(
                "console/refused.html", 400, reason="domain", message=console.text(exc.message)
            )


def _to_sign_in(request: Request) -> Response:
    target = "/console/signin?next=" + quote(request.url.path)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
