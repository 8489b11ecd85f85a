"""Hearings, surveys and people in the browser: a hearing created and announced, an XLSForm with a broken
row refused with the cell named, a survey imported and opened, a person found and erased on request."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking import periods as period_service
from benchmarking.actionplan_setup import create_plan
from campaigns import staff
from campaigns import staff_access as access
from channels.i18n import t
from contacts.registry import municipality_by_code
from storage.base import utcnow
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus
from storage.models.campaigns import Role
from tests.surveys.test_xlsform import replaced, row, workbook
from tests.web.conftest import WebServer, assert_accessible, screenshot
from tests.web.test_console_signin import PASSWORD, sign_in

pytestmark = pytest.mark.slow
PHONE = "+995555123456"


@pytest.fixture(scope="module", autouse=True)
def people(web_server: WebServer) -> None:
    async def _setup(session: AsyncSession) -> None:
        member = await staff.grant(session, Role.COORDINATOR, name="nino")
        await access.set_password(session, member, PASSWORD, actor="test")
        marneuli = await municipality_by_code(session, "marneuli")
        assert marneuli is not None
        follower = Contact(
            language="az",
            municipality_id=marneuli.id,
            status=ContactStatus.ACTIVE,
            consent_at=utcnow(),
            topics=["hearings"],
        )
        follower.identities.append(ChannelIdentity(channel=Channel.SMS, address=PHONE))
        session.add(follower)
        await period_service.add_period(
            session, "2026-baseline", date(2026, 1, 1), date(2026, 12, 31), actor="test"
        )
        await create_plan(
            session, "marneuli", {"ka": "სამოქმედო გეგმა 2027", "az": "Fəaliyyət planı 2027"}, member
        )

    web_server.db(_setup)


@pytest.fixture
def signed_in(page: Any) -> Any:
    sign_in(page, "nino")
    page.get_by_role("heading", name="Municipalities").wait_for()
    return page


def test_a_hearing_is_created_previewed_and_announced(signed_in: Any) -> None:
    page = signed_in
    page.get_by_role("link", name="Hearings").click()
    page.get_by_role("link", name="New hearing").click()
    assert_accessible(page)
    page.get_by_label("Municipality").select_option("marneuli")
    page.get_by_label("Starts (Tbilisi time)").fill("2031-03-12T18:00")
    page.locator("input[name=title_ka]").fill("ბიუჯეტის საჯარო განხილვა")
    page.locator("input[name=title_az]").fill("Büdcə üzrə ictimai dinləmə")
    page.locator("input[name=place_ka]").fill("მერია, საკრებულოს დარბაზი")
    page.locator("input[name=place_az]").fill("Meriya, sakrebulo zalı")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".badge")).to_have_text("draft")
    expect(page.locator(".bubble").first).to_contain_text("ბიუჯეტის საჯარო განხილვა")
    expect(page.locator(".tg-buttons").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "hearing")
    page.get_by_role("button", name="Announce").click()
    expect(page.get_by_role("status")).to_contain_text("1 notice queued")
    expect(page.locator(".badge")).to_have_text("announced")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("hearing-")


def test_a_broken_xlsform_names_the_cell_and_imports_nothing(signed_in: Any, tmp_path: Path) -> None:
    page = signed_in
    page.get_by_role("link", name="Surveys").click()
    assert_accessible(page)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(workbook(replaced(1, row("geopoint", "where", "სად", "Harada", "Որտեղ"))))
    page.get_by_label("YAML or XLSForm file").set_input_files(str(broken))
    page.get_by_role("button", name="Import").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("nothing was imported")
    expect(alert.get_by_role("row").nth(1)).to_contain_text("survey")
    expect(alert.get_by_role("row").nth(1)).to_contain_text("3")
    expect(alert.get_by_role("row").nth(1)).to_contain_text("type")
    expect(page.get_by_role("cell", name="No surveys yet.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "survey-import-errors")

    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook())
    page.get_by_label("YAML or XLSForm file").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".badge")).to_have_text("draft")
    page.get_by_role("button", name="Open").click()
    expect(page.locator(".badge")).to_have_text("open")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "participation-xls.csv"


def test_a_person_is_found_by_phone_and_erased_on_request(signed_in: Any) -> None:
    page = signed_in
    page.get_by_role("link", name="People").click()
    assert_accessible(page)
    page.get_by_label("Phone, @username or code").fill("555 12 34 56")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name="Everything stored about this person")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "person")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Erase").click()
    expect(page.get_by_role("status")).to_contain_text("erased")
    page.get_by_label("Phone, @username or code").fill(PHONE)
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("status")).to_contain_text("Nobody")


def test_scorecard_and_action_plan_of_a_municipality(signed_in: Any) -> None:
    page = signed_in
    page.goto("/console/m/marneuli")
    page.get_by_role("link", name="Scorecard").click()
    expect(page.get_by_label("Period")).to_have_value("2026-baseline")
    expect(page.get_by_role("link", name="Download the report (HTML)")).to_be_visible()
    expect(page.locator("figure img").first).to_be_visible()
    assert_accessible(page)
    page.goto("/console/m/marneuli")
    page.get_by_role("link", name="Action plan").click()
    expect(page.get_by_text("0 items")).to_be_visible()
    assert_accessible(page)


def test_staff_are_set_up_in_azerbaijani(signed_in: Any) -> None:
    page = signed_in
    page.goto("/console/staff?lang=az")
    expect(page.locator("html")).to_have_attribute("lang", "az")
    expect(page.get_by_role("heading", name=t("az", "Staff"))).to_be_visible()
    assert_accessible(page)
    page.get_by_label(t("az", "Name"), exact=True).fill("levan")
    page.get_by_label(t("az", "Role")).select_option("officer")
    page.get_by_label(t("az", "Municipality (officers)")).select_option("dmanisi")
    page.get_by_role("button", name=t("az", "Save")).click()
    levan = page.get_by_role("row").filter(has_text="levan")
    expect(levan).to_contain_text(t("az", "officer"))
    levan.get_by_role("button", name=t("az", "Revoke")).click()
    expect(page.get_by_role("row").filter(has_text="levan")).to_contain_text(t("az", "revoked"))
    page.goto("/console?lang=en")  # the reader's choice is remembered until changed


@pytest.mark.parametrize(
    "path",
    [
        "/console/m/marneuli",
        "/console/campaigns/new",
        "/console/hearings/new",
        "/console/surveys",
        "/console/audit",
    ],
)
def test_pages_fit_a_phone_screen(signed_in: Any, path: str) -> None:
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(path + "?lang=ka")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    assert_accessible(page)
