"""What the console tells staff about delivery: a hearing announced in quiet hours says when its notices go
out (the municipality's quiet hours, in the staff member's language); the overview's campaigns in flight show
the channel's learned pace and Telegram's hold, as `civicbot campaign status` does; "open as a citizen"
shows a hearing notice in the simulator to a fresh simulated person, and only in the officer's municipality."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff
from campaigns import staff_access as access
from channels.holds import ChannelState, publish
from channels.i18n import TIMEZONE
from contacts.registry import municipality_by_code
from hearings import officers
from hearings.definition import HearingDraft
from storage.base import utcnow
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus
from storage.models.campaigns import Campaign, CampaignStatus, Role
from tests.web.conftest import WebServer
from tests.web.test_console_signin import PASSWORD, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quiet_end() -> str:
    """Marneuli's quiet hours run from an hour ago to two hours from now (Tbilisi time)."""
    return (utcnow() + timedelta(hours=2)).astimezone(TIMEZONE).strftime("%H:%M")


@pytest.fixture(scope="module")
def hearing_id(web_server: WebServer, quiet_end: str) -> int:
    async def _setup(session: AsyncSession) -> int:
        member = await staff.grant(session, Role.COORDINATOR, name="nino")
        await access.set_password(session, member, PASSWORD, actor="test")
        marneuli = await municipality_by_code(session, "marneuli")
        assert marneuli is not None
        start = (utcnow() - timedelta(hours=1)).astimezone(TIMEZONE).strftime("%H:%M")
        marneuli.quiet_hours = f"{start}-{quiet_end}"
        follower = Contact(
            language="az",
            municipality_id=marneuli.id,
            status=ContactStatus.ACTIVE,
            consent_at=utcnow(),
            topics=["hearings"],
        )
        follower.identities.append(ChannelIdentity(channel=Channel.SMS, address="+995555123457"))
        session.add(follower)
        draft = HearingDraft(
            municipality="marneuli",
            title={"az": "Büdcə dinləməsi"},
            place={"az": "Meriya"},
            starts_at=utcnow() + timedelta(days=20),
            fallback_language="az",
        )
        hearing = await officers.create(session, draft, member)
        officer = await staff.grant(session, Role.OFFICER, name="giorgi", municipality_code="batumi")
        await access.set_password(session, officer, PASSWORD, actor="test")
        session.add(
            Campaign(
                name="Water",
                audience={"municipalities": ["marneuli"]},
                status=CampaignStatus.SENDING,
                created_by_id=member.id,
            )
        )
        return hearing.id

    return web_server.db(_setup)


def test_an_announce_in_quiet_hours_says_when_notices_go_out(
    page: Any, hearing_id: int, quiet_end: str
) -> None:
    sign_in(page, "nino")
    page.get_by_role("heading", name="Municipalities").wait_for()
    page.goto(f"/console/hearings/{hearing_id}?lang=en")
    page.get_by_role("button", name="Announce").click()
    expect(page.get_by_role("status")).to_have_text(
        f"1 notice queued; quiet hours in Marneuli until {quiet_end}, it goes out from {quiet_end}."
    )
    page.goto(f"/console/hearings/{hearing_id}?lang=ru&queued=2&held=0")
    expect(page.get_by_role("status")).to_contain_text("2 уведомления")


def test_the_overview_shows_the_pace_and_telegrams_hold(
    page: Any, web_server: WebServer, hearing_id: int
) -> None:
    held = utcnow().replace(microsecond=0) + timedelta(minutes=5)

    async def _hold(session: AsyncSession) -> None:
        await publish(session, ChannelState("telegram", 12.5, 25, held), now=utcnow(), replica="test")

    web_server.db(_hold)
    sign_in(page, "nino")
    page.get_by_role("heading", name="Municipalities").wait_for()
    page.goto("/console/m/marneuli?lang=en")
    local = held.astimezone(TIMEZONE).strftime("%H:%M:%S")
    expect(page.locator("[data-lane=telegram]")).to_have_text(
        f"Telegram: 12.5 a second (at most 25), held by Telegram until {local}"
    )


def test_a_hearing_opens_as_a_citizen_in_the_simulator(
    page: Any, web_server: WebServer, hearing_id: int
) -> None:
    sign_in(page, "nino")
    page.get_by_role("heading", name="Municipalities").wait_for()
    page.goto(f"/console/hearings/{hearing_id}?lang=en")
    page.get_by_label("Citizen's language").select_option("az")
    page.get_by_label("Chat style").select_option("sms")
    page.get_by_role("button", name="View as a citizen").click()
    expect(page.locator(".sms-text").first).to_contain_text("Büdcə dinləməsi")
    expect(page.locator(".sms-meta").first).to_contain_text("SMS segment")

    async def _people(session: AsyncSession) -> list[tuple[bool, str]]:
        rows = await session.execute(
            select(Contact.simulated, Contact.language)
            .join(ChannelIdentity)
            .where(ChannelIdentity.address.like("sim:%"))
        )
        return [(bool(simulated), language) for simulated, language in rows]

    assert web_server.db(_people) == [(True, "az")]


def test_an_officer_cannot_open_another_municipalitys_hearing(page: Any, hearing_id: int) -> None:
    sign_in(page, "giorgi")
    page.get_by_role("heading").first.wait_for()
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(
        f"/console/preview/hearing/{hearing_id}", form={"language": "az", "style": "sms", "csrf": csrf or ""}
    )
    assert answer.status == 403
    assert "sim:" not in (answer.headers.get("set-cookie") or "")


@pytest.fixture(scope="module")
def campaign_id(web_server: WebServer, hearing_id: int) -> int:
    async def _draft(session: AsyncSession) -> int:
        from campaigns import service
        from tests.campaigns.people import draft

        nino = await staff.by_ref(session, "nino")
        plan = draft(texts={"ka": "წყალი ხვალ შეწყდება.", "az": "Sabah su kəsiləcək."})
        return (await service.create(session, plan, nino)).id

    return web_server.db(_draft)


def test_a_draft_campaign_opens_as_a_citizen_in_telegram_style(page: Any, campaign_id: int) -> None:
    sign_in(page, "nino")
    page.get_by_role("heading", name="Municipalities").wait_for()
    page.goto(f"/console/campaigns/{campaign_id}?lang=en")
    page.get_by_label("Citizen's language").select_option("az")
    page.get_by_label("Chat style").select_option("telegram")
    page.get_by_role("button", name="View as a citizen").click()
    expect(page.locator(".tg-text").first).to_contain_text("Sabah su kəsiləcək.")


def test_a_draft_survey_shows_its_first_question_to_a_citizen(
    page: Any, web_server: WebServer, hearing_id: int
) -> None:
    async def _import(session: AsyncSession) -> None:
        from surveys import lifecycle
        from tests.surveys.people import example

        await lifecycle.import_survey(session, example("budget_flash_poll.yaml"), "yaml")

    web_server.db(_import)
    sign_in(page, "nino")
    page.get_by_role("heading", name="Municipalities").wait_for()
    page.goto("/console/surveys/budget-flash-poll?lang=en")
    page.get_by_label("Citizen's language").select_option("az")
    page.get_by_label("Chat style").select_option("sms")
    page.get_by_role("button", name="View as a citizen").click()
    expect(page.locator(".sms-text").first).to_contain_text("Büdcə prioritetləri")
    expect(page.locator(".sms-text").last).to_contain_text("hansı sahəyə üstünlük")
