"""What the console tells staff about delivery: a hearing announced in quiet hours says when its notices go
out (the municipality's quiet hours, in the staff member's language); the overview's campaigns in flight show
the channel's learned pace and Telegram's hold, as `civicbot campaign status` does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
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
