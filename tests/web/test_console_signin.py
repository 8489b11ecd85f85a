"""Signing in to the console in a real browser: by password, by the bot's one-time link, refusals audited."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff
from campaigns import staff_access as access
from hearings import officers
from hearings.definition import HearingDraft
from storage.models import AuditEntry
from storage.models.campaigns import Role
from tests.web.conftest import ThreadedTelegram, WebServer, assert_accessible

pytestmark = pytest.mark.slow
WITH_TELEGRAM = True  # /console in Telegram sends the sign-in link
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", autouse=True)
def people(web_server: WebServer) -> None:
    async def _setup(session: AsyncSession) -> None:
        nino = await staff.grant(session, Role.COORDINATOR, name="nino", telegram_id=1001)
        await access.set_password(session, nino, PASSWORD, actor="test")
        levan = await staff.grant(session, Role.OFFICER, name="levan", municipality_code="marneuli")
        await access.set_password(session, levan, PASSWORD, actor="test")

    web_server.db(_setup)


def sign_in(page: Any, name: str, password: str = PASSWORD) -> None:
    page.goto("/console/signin?lang=en")
    page.get_by_label("Name or Telegram user id").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def audit_actions(web_server: WebServer, action: str) -> list[AuditEntry]:
    async def _read(session: AsyncSession) -> list[AuditEntry]:
        return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())

    return web_server.db(_read)


def test_sign_in_by_password_shows_the_municipalities(page: Any, web_server: WebServer) -> None:
    page.goto("/console")
    assert "/console/signin" in page.url
    assert_accessible(page)
    sign_in(page, "nino")
    page.get_by_role("heading", name="Municipalities").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Marneuli").click()
    page.get_by_role("heading", name="Campaigns in flight").wait_for()
    assert_accessible(page)
    assert any(
        e.actor == "nino" and e.details["method"] == "password"
        for e in audit_actions(web_server, "console.signed_in")
    )


def test_wrong_password_is_refused_and_audited(page: Any, web_server: WebServer) -> None:
    sign_in(page, "nino", "not the password")
    page.get_by_role("alert").wait_for()
    assert "wrong" in page.get_by_role("alert").inner_text()
    assert "/console/signin" in page.url
    assert audit_actions(web_server, "console.sign_in_failed")


def link_from_bot(telegram: ThreadedTelegram, user_id: int) -> str:
    """Send /console as the staff member and return the sign-in link the bot answers with."""
    before = len(telegram.call(telegram.fake.messages, user_id))
    telegram.call(telegram.fake.send_text, user_id, "/console")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        sent = telegram.call(telegram.fake.messages, user_id)
        if len(sent) > before:
            found = re.search(r"http://\S+/console/signin/link\?token=\S+", sent[-1].text or "")
            assert found, sent[-1].text
            return found.group(0)
        time.sleep(0.1)
    raise AssertionError("the bot did not answer /console")


def test_sign_in_by_the_link_the_bot_sends_works_once(page: Any, telegram: ThreadedTelegram) -> None:
    telegram.call(telegram.fake.register_user, 1001, "Nino", language_code="en")
    link = link_from_bot(telegram, 1001)
    page.goto(link)
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Municipalities").wait_for()
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    assert "not valid" in page.get_by_role("alert").inner_text()


def test_someone_who_is_not_staff_gets_no_link(telegram: ThreadedTelegram) -> None:
    telegram.call(telegram.fake.register_user, 5555, "Guest", language_code="en")
    telegram.call(telegram.fake.send_text, 5555, "/console")
    deadline = time.monotonic() + 20
    while not telegram.call(telegram.fake.messages, 5555) and time.monotonic() < deadline:
        time.sleep(0.1)
    texts = [m.text or "" for m in telegram.call(telegram.fake.messages, 5555)]
    assert texts and all("/console/signin" not in text for text in texts)


def test_officer_is_refused_another_municipality(page: Any, web_server: WebServer) -> None:
    sign_in(page, "levan")
    page.get_by_role("heading", name="Campaigns in flight").wait_for()
    assert page.url.endswith("/console/m/marneuli")
    response = page.goto("/console/m/batumi")
    assert response.status == 403
    assert_accessible(page)
    denied = audit_actions(web_server, "console.scope_denied")
    assert any(e.actor == "levan" and e.subject == "municipality:batumi" for e in denied)

    async def _batumi_hearing(session: AsyncSession) -> int:
        draft = HearingDraft.from_dict(
            {
                "municipality": "batumi",
                "title": {"ka": "ბიუჯეტი"},
                "place": {"ka": "მერია"},
                "starts_at": "2031-05-01 18:00",
            }
        )
        return (await officers.create(session, draft, await staff.by_ref(session, "nino"))).id

    hearing_id = web_server.db(_batumi_hearing)
    assert page.goto(f"/console/hearings/{hearing_id}").status == 403
    assert any(e.actor == "levan" for e in audit_actions(web_server, "hearing.scope_denied"))
    assert page.goto("/console/surveys").status == 403  # coordinators only


def test_a_post_without_the_csrf_token_is_refused(page: Any, web_server: WebServer) -> None:
    sign_in(page, "nino")
    page.get_by_role("heading", name="Municipalities").wait_for()
    response = page.request.post("/console/signout", form={"csrf": "forged"})
    assert response.status == 403
    page.goto("/console")
    page.get_by_role("heading", name="Municipalities").wait_for()  # still signed in
    assert audit_actions(web_server, "console.csrf_refused")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").fill("console.csrf")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("cell", name="console.csrf_refused").first.wait_for()
    assert_accessible(page)
