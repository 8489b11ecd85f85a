"""The approval view shows every step in every language (the base language first), each step with its
time, and offers Approve and Return only to a coordinator who did not write or submit the campaign."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import review, service
from campaigns.dryrun import Rates
from channels.i18n import render
from channels.message import Outgoing
from storage.db import unit_of_work
from storage.models.campaigns import Campaign, CampaignStep, Role, ScheduleKind
from tests.campaigns.people import add_staff, draft

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _campaign(base: str, *steps: dict[str, str]) -> Campaign:
    campaign = Campaign(base_language=base)
    campaign.steps = [
        CampaignStep(position=n, texts=texts, links=[], schedule_kind=ScheduleKind.NOW)
        for n, texts in enumerate(steps, 1)
    ]
    return campaign


def _text(message: Outgoing) -> str:
    return "\n\n".join(render(part, "en") for part in message.parts)


@pytest.mark.parametrize(
    ("label", "campaign", "expected"),
    [
        (
            "one step, one language",
            _campaign("ka", {"ka": "წყალი"}),
            ["Step 1 of 1: as soon as it is scheduled\n\nქართული:\nწყალი"],
        ),
        (
            "one step, two languages, base first",
            _campaign("az", {"ka": "წყალი", "az": "Su"}),
            ["Step 1 of 1: as soon as it is scheduled\n\nAzərbaycanca:\nSu\n\nქართული:\nწყალი"],
        ),
        (
            "two steps, a message each",
            _campaign("ka", {"ru": "а", "ka": "ა"}, {"ka": "ბ", "ru": "б"}),
            [
                "Step 1 of 2: as soon as it is scheduled\n\nქართული:\nა\n\nРусский:\nа",
                "Step 2 of 2: as soon as it is scheduled\n\nქართული:\nბ\n\nРусский:\nб",
            ],
        ),
    ],
)
def test_every_step_in_every_language(label: str, campaign: Campaign, expected: list[str]) -> None:
    assert [_text(m) for m in review.step_texts(campaign, NOW)] == expected, label


async def test_the_view_offers_the_decision_only_to_another_coordinator(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        author = await add_staff(session, "nino", Role.OFFICER, "marneuli")
        approver = await add_staff(session, "giorgi")
        plan = draft(
            texts={"ka": "ხვალ 10:00-ზე", "az": "Sabah <10:00>"}, schedule={"at": "2026-12-03 10:00"}
        )
        campaign = await service.create(session, plan, author, NOW)
        await service.submit(session, campaign.id, author, NOW)
        theirs = await review.approval_view(session, campaign, approver, Rates(), NOW)
        own = await review.approval_view(session, campaign, author, Rates(), NOW)
    summary = _text(theirs[0])
    assert "Written by: nino\nSubmitted by: nino\nMunicipalities: Marneuli" in summary
    assert "First message: 3 December 2026, 10:00" in summary  # Tbilisi time, as written
    assert _text(theirs[1]).endswith("ქართული:\nხვალ 10:00-ზე\n\nAzərbaycanca:\nSabah <10:00>")
    assert [c.data for c in theirs[-1].choices] == [f"adm:ap:{campaign.id}", f"adm:rj:{campaign.id}"]
    assert own[-1].choices == () and "another coordinator must approve it" in _text(own[-1])
