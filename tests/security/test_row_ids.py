"""An id that a person types, forges or crawls (a page's path, a button's data, a command's argument) and
that no row can have (past the INTEGER columns' range, negative, a digit like "²") is simply not found:
never a database error, never a 500."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Service
from campaigns import staff
from campaigns import staff_access as access
from campaigns.console import Console
from channels.i18n import render
from hearings.service import HearingConversation
from storage.ids import MAX_ID, parse_id
from storage.models import Channel
from storage.models.campaigns import Role
from tests.campaigns.people import add_person
from tests.hearings.builders import coordinator
from tests.security.test_headers import _get_paths, served  # noqa: F401
from web.console.auth import SESSION_COOKIE, signer

IMPOSSIBLE = [str(MAX_ID + 1), "9" * 25, "0", "-1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7", 7), (" 12 ", 12), (str(MAX_ID), MAX_ID), ("²", None), ("٣", None), ("1e3", None), ("", None),
     ("+5", None), ("0", None), (str(MAX_ID + 1), None), ("9" * 40, None)],
)  # fmt: skip
def test_an_id_is_ascii_digits_within_the_columns_range(text: str, expected: int | None) -> None:
    assert parse_id(text) == expected


async def test_buttons_with_an_id_no_row_can_have_are_no_longer_active(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Forged or garbled callback data reaches the domain as text: a stale button, never an error."""
    async with sessions() as session, session.begin():
        console = Console(session, await coordinator(session))
        person = HearingConversation(session, await add_person(session), Channel.TELEGRAM)
        for impossible in [*IMPOSSIBLE, "²"]:
            for data in (f"adm:rv:{impossible}", f"adm:ap:{impossible}", f"adm:sc:{impossible}"):
                [said] = await console.choose(data)
                assert render(said.message.parts[0], "en") == "This button is no longer active.", data
            for data in (f"hr:{impossible}:go", f"hq:{impossible}"):
                [reply] = await person.choose(data)
                assert render(reply.parts[0], "en") == "This button is no longer active.", data


async def test_no_page_fails_on_an_id_no_row_can_have(served: tuple[FastAPI, Service]) -> None:  # noqa: F811
    app, service = served
    with_ids = sorted(p for p in _get_paths(app) if re.search(r"{\w+_id}", p))
    assert len(with_ids) >= 5, with_ids  # the console's and the public pages' id routes
    async with app.router.lifespan_context(app):
        async with service.sessions() as session, session.begin():
            member = await staff.grant(session, Role.COORDINATOR, name="nino")
            opened = await access.redeem_link(session, await access.issue_link(session, member), "10.0.0.1")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
            client.cookies.set(SESSION_COOKIE, signer(service, "session").dumps(opened.token),
                               domain="console.test", path="/console")  # fmt: skip
            statuses = {}
            for path in with_ids:
                for impossible in IMPOSSIBLE:
                    url = _fill(path, impossible)
                    statuses[url] = (await client.get(url)).status_code
    assert all(status == 404 for status in statuses.values()), {u: s for u, s in statuses.items() if s != 404}


def _fill(path: str, impossible: str) -> str:
    """`path` with every `…_id` set to `impossible` and the other parameters to a real value."""
    real = {"code": "marneuli", "kind": "csv"}
    return re.sub(
        r"{(\w+)(:\w+)?}", lambda m: impossible if m[1].endswith("_id") else real.get(m[1], "x"), path
    )
