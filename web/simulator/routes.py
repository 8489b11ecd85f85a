"""/try: anyone talks to the real bot in a browser, in Telegram style (text and buttons) or SMS style
(plain text, each message's segment count and encoding shown), with no account anywhere.

The page is a thin inbound adapter: the simulated person is an httponly cookie holding their style and
the secret part of their address; each message goes to `handlers.simulator` (the same conversation code
as the real channels) and what comes back is appended to the log by htmx (a whole page without it).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from channels.simulator import STYLES, PageMessage
from contacts.simulated import SIMULATED_PREFIX, is_simulated, new_address
from handlers.context import AppContext
from handlers.simulator.invitations import receive
from handlers.simulator.turn import Turn, collect, person, play
from storage.models import Channel
from web.service import running_service
from web.simulator.limits import SimulatorLimits
from web.templating import render, request_language

router = APIRouter(include_in_schema=False)
COOKIE = "try_person"
COOKIE_AGE = 24 * 3600  # simulated people are purged a day after they were last seen
TEXT_MAX = 500
_limits = SimulatorLimits()


async def simulated_viewer(request: Request) -> int | None:
    """The contact id of the simulated person whose browser this is, if any (the public page shows them
    the results with their own test answers counted)."""
    found = _person(request)
    if found is None:
        return None
    contact = await person(_app(request), found[0], found[1])
    return contact.id if contact is not None and contact.simulated else None


def _person(request: Request) -> tuple[Channel, str] | None:
    """The style and address in the cookie, when it is a well-formed simulated one."""
    raw = request.cookies.get(COOKIE, "")
    style, _, token = raw.partition(".")
    if style not in {s.value for s in STYLES} or not token or len(token) > 40:
        return None
    address = SIMULATED_PREFIX + token
    return (Channel(style), address) if is_simulated(address) else None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _app(request: Request) -> AppContext:
    context: AppContext = running_service(request).context
    return context


def _page(
    request: Request,
    person: tuple[Channel, str] | None,
    messages: list[PageMessage],
    said: str | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> Response:
    return render(
        request,
        "simulator/try.html",
        status_code=status_code,
        style=person[0].value if person else None,
        messages=messages,
        said=said,
        notice=notice,
    )


def _fragment(
    request: Request,
    messages: list[PageMessage],
    said: str | None = None,
    bubble: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "simulator/_messages.html",
        status_code=status_code,
        messages=messages,
        said=said,
        bubble=bubble,
        notice=notice,
    )


def _answer(
    request: Request,
    person: tuple[Channel, str],
    messages: list[PageMessage],
    said: str | None = None,
    bubble: str | None = None,
) -> Response:
    if request.headers.get("HX-Request"):
        return _fragment(request, messages, said, bubble)
    return _page(request, person, messages, said)


def _too_many(request: Request, person: tuple[Channel, str] | None) -> Response:
    notice = "busy"
    if request.headers.get("HX-Request"):
        return _fragment(request, [], notice=notice, status_code=200)
    return _page(request, person, [], status_code=429, notice=notice)


@router.get("/try")
async def try_page(request: Request) -> Response:
    """The simulator: a style to choose, or the conversation of the person in the cookie."""
    return _page(request, _person(request), [])


@router.post("/try/start")
async def start(request: Request, style: Annotated[str, Form()]) -> Response:
    """A new simulated person in the chosen style; Telegram style presses Start at once, as the app does."""
    if style not in {s.value for s in STYLES}:
        return RedirectResponse("/try", status_code=303)
    if not _limits.new_person(_client(request)):
        return _too_many(request, None)
    person = (Channel(style), new_address())
    messages: list[PageMessage] = []
    said = None
    if person[0] is Channel.TELEGRAM:
        said = "/start"
        messages = await play(
            _app(request), Turn(person[0], person[1], text=said, language=request_language(request))
        )
    response = _page(request, person, messages, said)
    response.set_cookie(
        COOKIE,
        f"{person[0].value}.{person[1].removeprefix(SIMULATED_PREFIX)}",
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/try/say")
async def say(request: Request, text: Annotated[str, Form(max_length=TEXT_MAX)] = "") -> Response:
    """A typed message."""
    person = _person(request)
    if person is None:
        return RedirectResponse("/try", status_code=303)
    if not _limits.message(_client(request), person[1]):
        return _too_many(request, person)
    text = text.strip()
    if not text:
        return _answer(request, person, [])
    turn = Turn(person[0], person[1], text=text, language=request_language(request))
    return _answer(request, person, await play(_app(request), turn), said=text)


@router.post("/try/press")
async def press(
    request: Request,
    data: Annotated[str, Form(max_length=64)],
    label: Annotated[str, Form(max_length=200)] = "",
    bubble: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A pressed button (Telegram style): its label is shown as the person's side, as Telegram does not."""
    person = _person(request)
    if person is None or person[0] is not Channel.TELEGRAM:
        return RedirectResponse("/try", status_code=303)
    if not _limits.message(_client(request), person[1]):
        return _too_many(request, person)
    turn = Turn(person[0], person[1], data=data, language=request_language(request))
    messages = await play(_app(request), turn)
    return _answer(request, person, messages, said=label or None, bubble=bubble or None)


@router.post("/try/receive")
async def receive_messages(
    request: Request, what: Annotated[Literal["polls", "hearings"], Form()]
) -> Response:
    """Be sent a poll invitation or the notices of upcoming hearings, as a campaign would send them."""
    person = _person(request)
    if person is None:
        return RedirectResponse("/try", status_code=303)
    if not _limits.message(_client(request), person[1]):
        return _too_many(request, person)
    return _answer(request, person, await receive(_app(request), person[0], person[1], what))


@router.get("/try/inbox")
async def inbox(request: Request) -> Response:
    """Messages that arrived meanwhile (polled by the page every few seconds)."""
    person = _person(request)
    if person is None:
        return Response(status_code=204)
    messages = await collect(_app(request), person[0], person[1])
    if not messages:
        return Response(status_code=204)
    return _fragment(request, messages)


@router.post("/try/reset")
async def reset(request: Request) -> Response:
    """Start over as somebody new (the old simulated person is purged within a day)."""
    response = RedirectResponse("/try", status_code=303)
    response.delete_cookie(COOKIE)
    return response
