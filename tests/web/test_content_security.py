"""Every kind of page under the Content-Security-Policy, in Chromium against `civicbot serve`: public pages,
the simulator, the console. The browser reports no violation (the page's `securitypolicyviolation` events
and its console), bars and meters still draw, and the simulator still talks: htmx posts, the log follows
the conversation and the input empties (`web/static/simulator.js`, which replaced the inline handlers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.actionplan_setup import create_plan
from campaigns import staff
from campaigns import staff_access as access
from storage.models.campaigns import Role
from storage.models.hearings import Hearing
from tests.web.conftest import WebServer, start_server, stop_server
from tests.web.test_console_signin import PASSWORD, sign_in
from tests.web.test_public_pages import _seed as seed_public_pages

pytestmark = pytest.mark.slow

# Installed before any script of the page runs (over CDP, so the policy does not apply to it).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""
PUBLIC = ("/", "/m/marneuli", "/m/marneuli/plan", "/m/dmanisi", "/privacy", "/m/nowhere", "/no-such-page")
CONSOLE = (
    "/console",
    "/console/m/marneuli",
    "/console/m/marneuli/scorecard",
    "/console/m/marneuli/plan",
    "/console/campaigns",
    "/console/campaigns/new",
    "/console/hearings",
    "/console/hearings/new",
    "/console/hearings/{hearing}",
    "/console/surveys",
    "/console/surveys/budget-flash-poll",
    "/console/people",
    "/console/staff",
    "/console/audit",
)


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    server = start_server(tmp_path_factory.mktemp("web"), env={"PUBLIC_PAGES_CACHE_SECONDS": "0"})
    try:
        server.db(seed_public_pages)  # a hearing, a public poll with results worth showing
        server.db(_staff_and_plan)
        yield server
    finally:
        stop_server(server)


async def _staff_and_plan(session: AsyncSession) -> None:
    nino = await staff.grant(session, Role.COORDINATOR, name="nino")
    await access.set_password(session, nino, PASSWORD, actor="test")
    await create_plan(session, "marneuli", {"ka": "სამოქმედო გეგმა 2027", "az": "Fəaliyyət planı 2027"}, nino)


class Watched:
    """A page whose policy violations are collected from its events and its console."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        events = self.page.evaluate("window.__csp || []")
        return [*events, *self.console]

    def visit(self, path: str) -> list[str]:
        self.page.goto(path)
        self.page.wait_for_load_state("load")
        return self.violations()


@pytest.fixture
def watched(page: Any) -> Watched:
    return Watched(page)


def test_the_watch_sees_a_violation(watched: Watched) -> None:
    """Without this, a silent watch would pass every page: an inline style is refused and reported."""
    assert watched.visit("/") == []
    watched.page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    watched.page.wait_for_function("window.__csp.length > 0")
    assert any("style-src" in v for v in watched.violations())


def test_public_pages_load_without_a_violation(watched: Watched) -> None:
    for path in PUBLIC:
        assert watched.visit(path + "?lang=en") == [], path
    watched.visit("/m/marneuli?lang=en")
    widths = watched.page.locator("#survey-budget-flash-poll .result-bars rect").evaluate_all(
        "rects => rects.map(r => r.getBBox().width)"
    )
    assert widths and max(widths) > 50, widths  # 54.5% of the track for water, drawn without a style


def test_the_simulator_talks_under_the_policy(watched: Watched) -> None:
    page = watched.page
    assert watched.visit("/try?lang=en") == []
    page.locator("form:has(input[value='telegram']) button").click()
    page.locator("#chat-text").fill("/start")
    page.locator("form.chat-input button").click()
    page.locator("#log button.tg-key", has_text="English").last.click()
    page.locator("#log button.tg-key", has_text="Marneuli").last.wait_for()
    assert page.locator("#chat-text").input_value() == "", "the input was not emptied after sending"
    scrolled = page.evaluate("(() => { const l = document.getElementById('log');"
                             " return l.scrollHeight <= l.clientHeight || l.scrollTop > 0; })()")  # fmt: skip
    assert scrolled, "the log does not follow the conversation"
    page.goto("/try?lang=en")
    page.locator("form.chat-input").wait_for()
    assert watched.violations() == []


def test_console_pages_load_without_a_violation(watched: Watched, web_server: WebServer) -> None:
    hearing = web_server.db(_hearing_id)
    assert watched.visit("/console/signin?lang=en") == []
    sign_in(watched.page, "nino")
    watched.page.get_by_role("heading", name="Municipalities").wait_for()
    for path in CONSOLE:
        url = path.format(hearing=hearing)
        assert watched.visit(url) == [], url
        assert watched.page.url.endswith(url), f"{url} went to {watched.page.url}"
    watched.visit("/console/surveys/budget-flash-poll")
    assert watched.page.locator("svg.meter rect").count() > 0


async def _hearing_id(session: AsyncSession) -> int:
    found = await session.scalar(select(Hearing.id))
    assert found is not None
    return found
