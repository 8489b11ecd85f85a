"""Public pages, read-only and without sign-in: the landing page, one page per municipality (how to join,
upcoming hearings, public results, the action plan), its calendar files, and the privacy notice.

Nothing here reads a person: only municipalities, hearings, protected survey results and plan items.
"""

from __future__ import annotations

import asyncio
import logging
import os
from functools import cache
from typing import Any

import segno
from babel import Locale
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from benchmarking.actionplan_views import item_line, summary
from channels.i18n import render as say_in
from channels.message import Content, Renderable, Text
from contacts.privacy import PrivacyPolicy, short_notice
from hearings.calendar import calendar, public_hearing
from storage.models import Municipality
from web.paths import RowId
from web.public.data import TTL, MunicipalityPage, PublicData
from web.service import running_service
from web.simulator.routes import simulated_viewer
from web.templating import render, request_language

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
CACHE_CONTROL = "public, max-age=30"
ICS_TYPE = "text/calendar; charset=utf-8"
SMS_KEYWORD = "START"


def _data(request: Request) -> PublicData:
    state = request.app.state
    data: PublicData | None = getattr(state, "public_data", None)
    if data is None:
        # PUBLIC_PAGES_CACHE_SECONDS: how long a page's data may be served from memory (default 30).
        ttl = float(os.environ.get("PUBLIC_PAGES_CACHE_SECONDS", TTL))
        data = PublicData(running_service(request).sessions, ttl=ttl)
        state.public_data = data
    return data


def _helpers(lang: str) -> dict[str, Any]:
    return {"say": lambda text: say_in(text, lang), "language_name": lambda code: _language_name(lang, code)}


@cache
def _language_name(lang: str, code: str) -> str:
    return str(Locale.parse(lang).languages.get(code, code))


def _base_url(request: Request) -> str:
    configured = running_service(request).settings.http.public_base_url
    return str(configured or str(request.base_url)).rstrip("/")


async def _telegram_username(request: Request) -> str | None:
    bot = running_service(request).bot
    if bot is None:
        return None
    try:
        me = await asyncio.wait_for(bot.me(), timeout=2)
    except Exception:  # Telegram unreachable: the page still works, without the Telegram link
        log.info("the bot's username is unknown (Telegram unreachable); the public page omits the link")
        return None
    return str(me.username) if me.username else None


@cache
def _qr_svg(link: str, label: str) -> str:
    """The deep link as an inline SVG QR code, labelled for screen readers."""
    svg = segno.make(link, error="m").svg_inline(scale=5, border=2, title=label)
    return str(svg).replace("<svg ", '<svg role="img" aria-label="' + label.replace('"', "&quot;") + '" ', 1)


def _cached(response: Response, *, private: bool = False) -> Response:
    """Short public caching; a simulator user's own view (their test answers counted) is never stored."""
    response.headers["Cache-Control"] = "private, no-store" if private else CACHE_CONTROL
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def _page_key(request: Request) -> tuple[str, ...] | None:
    """Rendered pages are kept per path, query and language; not when `?lang=` sets a cookie."""
    if "lang" in request.query_params:
        return None
    return ("page", request.url.path, request.url.query, request_language(request))


def _remembered(request: Request) -> Response | None:
    key = _page_key(request)
    found = _data(request).rendered(key) if key is not None else None
    if found is None:
        return None
    body, media_type = found
    return _cached(Response(body, media_type=media_type))


def _remember(request: Request, response: Response) -> Response:
    key = _page_key(request)
    if key is not None and response.status_code == 200:
        _data(request).keep(key, bytes(response.body), response.media_type)
    return response


@router.get("/", response_class=HTMLResponse)
async def landing(request: Request) -> Response:
    """The four municipalities, the simulator and the privacy notice."""
    if (kept := _remembered(request)) is not None:
        return kept
    lang = request_language(request)
    places = await _data(request).municipalities()
    return _remember(request, _cached(render(request, "public/index.html", places=places, **_helpers(lang))))


@router.get("/m/{code}", response_class=HTMLResponse)
async def municipality(request: Request, code: str) -> Response:
    """How to join, upcoming hearings, public results and the action plan of one municipality."""
    viewer = await simulated_viewer(request)
    if viewer is None and (kept := _remembered(request)) is not None:
        return kept
    lang = request_language(request)
    page = await _data(request).municipality(code, with_simulated=viewer)
    if page is None:
        return render(request, "public/not_found.html", status_code=404, **_helpers(lang))
    username = await _telegram_username(request)
    link = f"https://t.me/{username}?start={page.place.code}" if username else None
    qr = _qr_svg(link, say_in(_qr_label(), lang)) if link else None
    twilio = running_service(request).settings.twilio
    sms_number = page.place.sms_sender or (twilio.twilio_from if twilio.enabled else None)
    response = _cached(
        render(
            request,
            "public/municipality.html",
            page=page,
            place=page.place,
            telegram_link=link,
            qr=qr,
            sms_number=sms_number,
            sms_keyword=SMS_KEYWORD,
            simulated_viewer=viewer is not None,
            **_plan_helpers(page),
            **_helpers(lang),
        ),
        private=viewer is not None,
    )
    return response if viewer is not None else _remember(request, response)


def _qr_label() -> Renderable:
    return Text("QR code that opens the bot in Telegram")


@router.get("/m/{code}/plan", response_class=HTMLResponse)
async def plan(request: Request, code: str) -> Response:
    """The municipality's action plan, every item with its status and progress."""
    if (kept := _remembered(request)) is not None:
        return kept
    lang = request_language(request)
    page = await _data(request).municipality(code)
    if page is None:
        return render(request, "public/not_found.html", status_code=404, **_helpers(lang))
    return _remember(
        request,
        _cached(
            render(
                request,
                "public/plan.html",
                page=page,
                place=page.place,
                **{**_plan_helpers(page), "full": True},
                **_helpers(lang),
            )
        ),
    )


def _plan_helpers(page: MunicipalityPage) -> dict[str, Any]:
    return {
        "item_line": lambda item: item_line(item, page.today),
        "plan_summary": summary(page.plan),
        "full": False,
    }


@router.get("/m/{code}/calendar.ics")
async def calendar_feed(request: Request, code: str) -> Response:
    """Every upcoming hearing of the municipality, for a calendar app to subscribe to."""
    if (kept := _remembered(request)) is not None:
        return kept
    lang = request_language(request)
    page = await _data(request).municipality(code)
    if page is None:
        return Response(status_code=404)
    body = calendar(
        page.hearings, page.place, lang, name=_calendar_name(page.place, lang), base_url=_base_url(request)
    )
    return _remember(
        request,
        _cached(
            Response(
                body,
                media_type=ICS_TYPE,
                headers={"Content-Disposition": f'inline; filename="{code}-hearings.ics"'},
            )
        ),
    )


@router.get("/m/{code}/hearings/{hearing_id}.ics")
async def hearing_file(request: Request, code: str, hearing_id: RowId) -> Response:
    """One hearing as an .ics file to add to a calendar."""
    lang = request_language(request)
    page = await _data(request).municipality(code)
    if page is None:
        return Response(status_code=404)
    async with running_service(request).sessions() as session:
        hearing = await public_hearing(session, page.place, hearing_id)
    if hearing is None:
        return Response(status_code=404)
    body = calendar(
        [hearing], page.place, lang, name=_calendar_name(page.place, lang), base_url=_base_url(request)
    )
    return _cached(
        Response(
            body,
            media_type=ICS_TYPE,
            headers={"Content-Disposition": f'attachment; filename="hearing-{hearing_id}.ics"'},
        )
    )


def _calendar_name(place: Municipality, lang: str) -> str:
    return say_in(
        Text.of("Public hearings: {municipality}", municipality=Content(place.names, fallback="en")), lang
    )


@router.get("/privacy", response_class=HTMLResponse)
async def privacy_notice(request: Request) -> Response:
    """The full privacy notice in the reader's language (SMS texts link here instead of spending segments)."""
    if (kept := _remembered(request)) is not None:
        return kept
    lang = request_language(request)
    policy: PrivacyPolicy = running_service(request).context.policy
    places = await _data(request).municipalities()
    chosen = next((p for p in places if p.code == request.query_params.get("m")), None)
    notice = say_in(short_notice(chosen, policy), lang)
    return _remember(
        request,
        _cached(
            render(
                request, "public/privacy.html", notice=notice, places=places, chosen=chosen, **_helpers(lang)
            )
        ),
    )
