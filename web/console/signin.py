"""Signing in (one-time link from the bot, or name and password) and signing out."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from campaigns import staff_access as access
from channels.i18n import render as render_text
from web.console.auth import (
    FORM_COOKIE,
    SESSION_COOKIE,
    Console,
    as_staff,
    client_address,
    read_cookie,
    set_cookie,
)
from web.service import running_service
from web.templating import render, request_language

router = APIRouter(prefix="/console")


def _safe_next(value: object) -> str:
    """Only paths inside the console: never an open redirect."""
    target = str(value or "")
    return target if target.startswith("/console") and not target.startswith("//") else "/console"


def _form_page(request: Request, template: str, status_code: int = 200, **context: object) -> Response:
    """A pre-session form: CSRF by a signed double-submit cookie."""
    token = read_cookie(request, FORM_COOKIE, "form") or secrets.token_urlsafe(24)
    response = render(request, template, status_code, csrf=token, **context)
    set_cookie(response, running_service(request), FORM_COOKIE, token, "form")
    return response


async def _form_checked(request: Request) -> dict[str, str] | None:
    form = await request.form()
    expected = read_cookie(request, FORM_COOKIE, "form")
    sent = str(form.get("csrf", ""))
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return None
    return {key: str(value) for key, value in form.items()}


def _signed_in(request: Request, opened: access.Opened, target: str) -> Response:
    response = RedirectResponse(_safe_next(target), status_code=303)
    set_cookie(response, running_service(request), SESSION_COOKIE, opened.token, "session")
    response.delete_cookie(FORM_COOKIE, path="/console")
    return response


@router.get("/signin")
async def sign_in_page(request: Request) -> Response:
    """The password form, and how to get a link from the bot instead."""
    return _form_page(request, "console/signin.html", next=_safe_next(request.query_params.get("next")))


@router.post("/signin")
async def sign_in(request: Request) -> Response:
    form = await _form_checked(request)
    if form is None:
        return _form_page(request, "console/refused.html", 403, reason="csrf")
    service = running_service(request)
    async with service.sessions() as session, session.begin():
        try:
            opened = await access.sign_in_with_password(
                session, form.get("name", ""), form.get("password", ""), client_address(request)
            )
        except access.SignInRefused as refused:
            error = render_text(refused.message, request_language(request))
            opened = None
    if opened is None:
        return _form_page(
            request,
            "console/signin.html",
            401,
            error=error,
            name=form.get("name", ""),
            next=_safe_next(form.get("next")),
        )
    return _signed_in(request, opened, form.get("next", ""))


@router.get("/signin/link")
async def link_page(request: Request) -> Response:
    """A confirmation step, so that a link preview fetching the URL does not use up the link."""
    return _form_page(request, "console/link.html", token=request.query_params.get("token", ""))


@router.post("/signin/link")
async def redeem_link(request: Request) -> Response:
    form = await _form_checked(request)
    if form is None:
        return _form_page(request, "console/refused.html", 403, reason="csrf")
    service = running_service(request)
    async with service.sessions() as session, session.begin():
        try:
            opened = await access.redeem_link(session, form.get("token", ""), client_address(request))
        except access.SignInRefused as refused:
            error = render_text(refused.message, request_language(request))
            opened = None
    if opened is None:
        return _form_page(request, "console/signin.html", 401, error=error, next="/console")
    return _signed_in(request, opened, "/console")


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    async def _out(console: Console) -> Response:
        await access.sign_out(console.session, console.web_session, console.member)
        response = RedirectResponse("/console/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/console")
        return response

    return await as_staff(request, _out, form=True)
