"""Browser-facing headers: a strict Content-Security-Policy, no sniffing, no Referer to other sites and no
device features everywhere; console and simulator pages never framed by another site and never cached
(they show personal data); public pages framed only by the sites PUBLIC_FRAME_ANCESTORS lists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

import bot.app
from bot.app import Service, create_http_app
from bot.settings import DatabaseSettings, PrivacySettings, Settings
from campaigns import staff
from campaigns import staff_access as access
from storage.models.campaigns import Role
from web.console.auth import SESSION_COOKIE, signer
from web.security_headers import SecurityHeaders


@pytest.fixture
def served(migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[FastAPI, Service]:
    """The whole HTTP app as `civicbot serve` builds it, without its background work."""
    monkeypatch.setattr(bot.app, "BACKGROUND_COMPONENTS", [])
    settings = Settings(db=DatabaseSettings(database_url=migrated_url),
                        privacy=PrivacySettings(state_dir=tmp_path / "state"))  # fmt: skip
    service = Service.build(settings)
    return create_http_app(settings, service), service


async def test_private_pages_are_not_framed_or_cached_and_public_ones_not_framed_by_default(
    served: tuple[FastAPI, Service],
) -> None:
    app, _ = served
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://civicbot.test") as client:
            pages = {
                path: await client.get(path)
                for path in ("/console/signin", "/console", "/try", "/", "/healthz")
            }
    for path, response in pages.items():
        assert response.status_code < 500, path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "same-origin", path
    for path in ("/console/signin", "/console", "/try"):
        headers = pages[path].headers
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["cache-control"] == "no-store", path
    assert pages["/"].headers["x-frame-options"] == "DENY"  # unless PUBLIC_FRAME_ANCESTORS lists a site
    assert "frame-ancestors 'none'" in pages["/"].headers["content-security-policy"]
    assert "cache-control" not in pages["/"].headers or "no-store" not in pages["/"].headers["cache-control"]


STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def _get_paths(router: Any) -> set[str]:
    """Every GET route's path, through the routers the app includes."""
    found: set[str] = set()
    for route in getattr(router, "routes", []):
        if isinstance(route, APIRoute) and "GET" in route.methods:
            found.add(route.path)
        elif (inner := getattr(route, "original_router", None)) is not None:
            found |= _get_paths(inner)
    return found


async def test_every_html_response_carries_the_strict_policy(served: tuple[FastAPI, Service]) -> None:
    """Every GET route, anonymous and as a signed-in coordinator (unknown ids give the console's 404 page)."""
    app, service = served
    sample = {"code": "marneuli", "hearing_id": "999", "campaign_id": "999", "kind": "csv"}
    paths = sorted(
        re.sub(r"{(\w+)(:\w+)?}", lambda m: sample.get(m.group(1), "x"), p) for p in _get_paths(app)
    )
    html: dict[str, httpx.Response] = {}
    async with app.router.lifespan_context(app):
        async with service.sessions() as session, session.begin():
            member = await staff.grant(session, Role.COORDINATOR, name="nino")
            opened = await access.redeem_link(session, await access.issue_link(session, member), "10.0.0.1")
        cookie = signer(service, "session").dumps(opened.token)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
            for signed_in in (False, True):
                if signed_in:
                    client.cookies.set(SESSION_COOKIE, cookie, domain="console.test", path="/console")
                for path in [*paths, "/no-such-page"]:
                    response = await client.get(path)
                    if response.headers.get("content-type", "").startswith("text/html"):
                        html[f"{path} signed_in={signed_in}"] = response
    assert len(html) >= 25, sorted(html)  # the console's pages and the public ones, not a vacuous pass
    for where, response in html.items():
        policy = _policy(response.headers.get("content-security-policy", ""))
        for directive, sources in STRICT.items():
            assert policy.get(directive) == sources, (where, directive, policy)
        assert "'unsafe-inline'" not in str(policy) and "'unsafe-eval'" not in str(policy), where
        assert response.headers["x-content-type-options"] == "nosniff", where
        assert response.headers["referrer-policy"] == "same-origin", where
        assert "camera=()" in response.headers["permissions-policy"], where


async def _framing(frame_ancestors: str) -> dict[str, httpx.Headers]:
    async def page(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"<p>hi</p>"})

    app = SecurityHeaders(page, public_frame_ancestors=frame_ancestors)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return {path: (await client.get(path)).headers for path in ("/m/batumi", "/console")}


async def test_public_pages_are_framed_only_by_the_sites_listed() -> None:
    headers = await _framing("https://batumi.gov.ge  https://www.marneuli.gov.ge")
    public = _policy(headers["/m/batumi"]["content-security-policy"])
    assert public["frame-ancestors"] == ["https://batumi.gov.ge", "https://www.marneuli.gov.ge"]
    assert "x-frame-options" not in headers["/m/batumi"]  # it cannot name a site; the CSP does
    assert _policy(headers["/console"]["content-security-policy"])["frame-ancestors"] == ["'none'"]
    assert headers["/console"]["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "value",
    ["*", "'self'", "http://batumi.gov.ge", "https://batumi.gov.ge; script-src *", "https://a.ge\r\nX: y"],
)
async def test_a_framing_setting_that_is_not_a_list_of_https_sites_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="PUBLIC_FRAME_ANCESTORS"):
        await _framing(value)


@pytest.mark.parametrize("value", ["", "none", "'none'"])
async def test_an_empty_or_unquoted_none_framing_setting_means_no_site(value: str) -> None:
    headers = await _framing(value)
    assert _policy(headers["/m/batumi"]["content-security-policy"])["frame-ancestors"] == ["'none'"]
    assert headers["/m/batumi"]["x-frame-options"] == "DENY"
