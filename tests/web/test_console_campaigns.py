"""A campaign built, previewed, submitted, approved by another coordinator and scheduled in the browser;
its progress moves on the page as the scheduler queues the messages; every step of a stored campaign is
previewed on its page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import service, staff
from campaigns import staff_access as access
from campaigns.definition import CampaignDraft
from contacts.registry import municipality_by_code
from storage.base import utcnow
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus
from storage.models.campaigns import Role
from tests.web.conftest import ThreadedTelegram, WebServer, assert_accessible, screenshot
from tests.web.test_console_signin import PASSWORD, sign_in

pytestmark = pytest.mark.slow
WITH_TELEGRAM = True  # the campaign really goes out, to the fake Bot API


@pytest.fixture(scope="module", autouse=True)
def people(web_server: WebServer, telegram: ThreadedTelegram) -> None:
    for number in range(1, 5):
        telegram.call(telegram.fake.register_user, 7000 + number, f"Citizen {number}")

    async def _setup(session: AsyncSession) -> None:
        for name in ("nino", "tamar"):
            member = await staff.grant(session, Role.COORDINATOR, name=name)
            await access.set_password(session, member, PASSWORD, actor="test")
        marneuli = await municipality_by_code(session, "marneuli")
        assert marneuli is not None
        for number, lang in enumerate(["az", "az", "ka", "hy"], start=1):
            contact = Contact(
                language=lang,
                municipality_id=marneuli.id,
                status=ContactStatus.ACTIVE,
                consent_at=utcnow(),
                topics=["budget"],
            )
            contact.identities.append(
                ChannelIdentity(
                    channel=Channel.TELEGRAM, address=str(7000 + number), chat_id=str(7000 + number)
                )
            )
            session.add(contact)

    web_server.db(_setup)


def submit_in_azerbaijani(page: Any, name: str, text: str, send_at: str) -> None:
    """tamar writes a Marneuli campaign in Azerbaijani only (the fallback for the others), saves it and
    submits it: a campaign another coordinator can act on."""
    sign_in(page, "tamar")
    page.goto("/console/campaigns/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.locator("select[name=municipality]").select_option("marneuli")
    page.locator("textarea[name=text_az]").fill(text)
    page.get_by_label("Fallback language for people whose language has no text").select_option("az")
    page.locator("input[name=send_at]").fill(send_at)
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Submit for approval").click()


@contextmanager
def coordinator_on(browser: Any, web_server: WebServer, name: str, url: str) -> Iterator[Any]:
    """A second coordinator, signed in in a browser context of their own, on the page at `url`."""
    other = browser.new_context(base_url=web_server.base_url, locale="en-US")
    try:
        second = other.new_page()
        sign_in(second, name)
        second.get_by_role("heading", name="Municipalities").wait_for()
        second.goto(url)
        yield second
    finally:
        other.close()


def test_build_preview_submit_approve_schedule(page: Any, browser: Any, web_server: WebServer) -> None:
    sign_in(page, "nino")
    page.get_by_role("link", name="Campaigns").click()
    assert_accessible(page)
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name", exact=True).fill("Budget hearing invitation")
    page.locator("select[name=municipality]").select_option("marneuli")
    expect(page.locator("#audience")).to_contain_text("4 people reachable")
    page.get_by_label("Public hearings").check()  # nobody follows hearings here
    expect(page.locator("#audience")).to_contain_text("0 people reachable")
    page.get_by_label("Public hearings").uncheck()
    expect(page.locator("#audience")).to_contain_text("4 people reachable")
    page.locator("textarea[name=text_ka]").fill("ბიუჯეტის საჯარო განხილვა ხუთშაბათს.")
    page.locator("textarea[name=text_az]").fill("Büdcə dinləməsi cümə axşamı keçiriləcək.")
    expect(page.locator("#preview")).to_contain_text("UCS-2")
    expect(page.locator("#preview")).to_contain_text("No text yet for: Հայերեն")
    page.get_by_label("Fallback language for people whose language has no text").select_option("az")
    expect(page.locator("#preview")).not_to_contain_text("No text yet")
    expect(page.locator("#preview")).to_contain_text("Latin mode")
    assert_accessible(page)
    screenshot(page, "campaign-builder")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator(".badge")).to_have_text("submitted")
    page.get_by_role("button", name="Approve").click()  # nino wrote it: refused
    assert page.get_by_role("alert").is_visible()

    with coordinator_on(browser, web_server, "tamar", "/console/campaigns") as tamar:
        tamar.get_by_role("link", name="Budget hearing invitation").click()
        tamar.get_by_role("button", name="Approve").click()
        expect(tamar.locator(".badge")).to_have_text("approved")
        tamar.get_by_role("button", name="Schedule").click()
        expect(tamar.locator(".badge")).to_have_text(re.compile("scheduled|sending|done"))
        # The page is not reloaded: htmx polls the progress while the scheduler and workers send.
        expect(tamar.locator("[data-count=sent]")).to_have_text("4", timeout=30_000)
        assert_accessible(tamar)
        screenshot(tamar, "campaign-progress")
        tamar.goto("/console/m/marneuli")
        expect(tamar.get_by_role("heading", name="Campaigns in flight")).to_be_visible()
        expect(tamar.get_by_role("cell", name="Azərbaycanca")).to_be_visible()
        assert_accessible(tamar)
        screenshot(tamar, "overview")


def test_a_send_time_in_the_past_is_refused_in_the_staff_members_language(
    page: Any, web_server: WebServer
) -> None:
    sign_in(page, "tamar")
    page.context.add_cookies([{"name": "lang", "value": "ru", "url": web_server.base_url}])
    page.goto("/console/campaigns/new")
    page.locator("input[name=name]").fill("Water works last winter")
    page.locator("select[name=municipality]").select_option("marneuli")
    page.locator("textarea[name=text_az]").fill("Su təchizatı işləri aparılacaq.")
    page.locator("select[name=fallback_language]").select_option("az")
    page.locator("input[name=send_at]").fill("2026-01-05T10:00")
    page.locator("#builder button[type=submit]").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Этап 1 должен уйти 5 января 2026, 10:00 (по тбилисскому времени)")
    expect(alert).to_contain_text("сейчас в Тбилиси")
    expect(page.locator("input[name=name]")).to_have_value("Water works last winter")
    page.context.clear_cookies(name="lang")


def test_a_later_campaign_is_paused_resumed_and_cancelled(
    page: Any, browser: Any, web_server: WebServer
) -> None:
    submit_in_azerbaijani(
        page, "Water works next week", "Gələn həftə su təchizatı işləri aparılacaq.", "2031-06-01T10:00"
    )

    with coordinator_on(browser, web_server, "nino", page.url) as nino:
        nino.get_by_role("button", name="Approve").click()
        nino.get_by_role("button", name="Schedule").click()
        expect(nino.locator(".badge")).to_have_text("scheduled")
        nino.get_by_role("button", name="Pause").click()
        expect(nino.locator(".badge")).to_have_text("paused")
        nino.get_by_role("button", name="Resume").click()
        expect(nino.locator(".badge")).to_have_text("scheduled")
        nino.get_by_role("button", name="Cancel").click()
        expect(nino.locator(".badge")).to_have_text("cancelled")
        expect(nino.get_by_text("Nothing more to do")).to_be_visible()
        expect(nino.locator("[data-count=sent]")).to_have_text("0")


def test_a_coordinator_returns_a_campaign_with_a_reason(
    page: Any, browser: Any, web_server: WebServer
) -> None:
    submit_in_azerbaijani(page, "Road repairs", "Yol təmiri bazar ertəsi başlayır.", "2031-07-01T10:00")
    expect(page.locator(".badge")).to_have_text("submitted")

    with coordinator_on(browser, web_server, "nino", page.url) as nino:
        nino.get_by_label("Why return it? Its author will read this.").fill("Name the street, please.")
        assert_accessible(nino)
        nino.get_by_role("button", name="Return with a reason").click()
        expect(nino.locator(".badge")).to_have_text("draft")
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("Returned by nino")
    expect(page.get_by_role("status")).to_contain_text("Name the street, please.")
    assert_accessible(page)


TWO_STEPS = """
name: Budget hearing, notice and reminder
base_language: az
audience: {municipalities: [marneuli]}
steps:
  - texts: {az: "Büdcə dinləməsi 10 iyulda keçiriləcək."}
    schedule: {at: "2031-07-01 10:00"}
  - texts:
      az: "Xatırlatma: büdcə dinləməsi sabahdır."
      ka: "შეხსენება: ბიუჯეტის საჯარო განხილვა ხვალ გაიმართება."
    schedule: {at: "2031-07-09 18:00"}
"""


def test_the_campaign_page_previews_every_step(page: Any, web_server: WebServer) -> None:
    """An approver reads the reminder as well as the notice: each step with its time and its texts."""

    async def _create(session: AsyncSession) -> int:
        author = await staff.by_ref(session, "nino")
        campaign = await service.create(session, CampaignDraft.from_yaml(TWO_STEPS), author)
        return campaign.id

    campaign_id = web_server.db(_create)
    sign_in(page, "tamar")
    page.goto(f"/console/campaigns/{campaign_id}")

    first = page.get_by_role("region", name=re.compile("^Step 1 of 2"))
    second = page.get_by_role("region", name=re.compile("^Step 2 of 2"))
    expect(first).to_contain_text("1 July 2031")
    expect(first).to_contain_text("Büdcə dinləməsi 10 iyulda keçiriləcək.")
    expect(first).not_to_contain_text("Xatırlatma")
    expect(second).to_contain_text("9 July 2031")
    expect(second).to_contain_text("Xatırlatma: büdcə dinləməsi sabahdır.")
    expect(second).to_contain_text("შეხსენება: ბიუჯეტის საჯარო განხილვა ხვალ გაიმართება.")
    expect(second).to_contain_text("UCS-2")  # the Georgian reminder's SMS, segments counted
    assert_accessible(page)
