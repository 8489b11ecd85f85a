"""Every shipped campaign file goes through create, submit, approval and scheduling today and a year from
now: its times are relative, fixed when it is created, so an example never goes stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import service
from campaigns.definition import CampaignDraft
from storage.models.campaigns import CampaignStatus
from tests.campaigns.people import add_staff

EXAMPLES = sorted(Path(str(resources.files("campaigns") / "examples")).glob("*.yaml"))


def test_there_are_examples() -> None:
    assert [path.name for path in EXAMPLES] == ["hearing_notice.yaml"]


@pytest.mark.parametrize("years", [0, 1], ids=["today", "a year from now"])
async def test_every_example_campaign_is_created_and_scheduled(
    sessions: async_sessionmaker[AsyncSession], years: int
) -> None:
    with time_machine.travel(datetime.now(UTC) + timedelta(days=365 * years), tick=True):
        async with sessions() as session, session.begin():
            author, approver = await add_staff(session, "nino"), await add_staff(session, "giorgi")
            for path in EXAMPLES:
                draft = CampaignDraft.from_yaml(path.read_text(encoding="utf-8"))
                campaign = await service.create(session, draft, author)
                await service.submit(session, campaign.id, author)
                await service.approve(session, campaign.id, approver)
                await service.schedule(session, campaign.id, approver)
                assert campaign.status == CampaignStatus.SCHEDULED, path.name
