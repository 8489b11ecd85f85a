"""Every shipped hearing file is created and announced today and a year from now: its start is relative,
fixed when it is created, so an example never goes stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hearings import officers
from hearings.definition import HearingDraft
from storage import safe_yaml
from storage.models.hearings import HearingStatus
from tests.hearings.builders import coordinator

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "hearings" / "examples").glob("*.yaml"))


def test_there_are_examples() -> None:
    assert [path.name for path in EXAMPLES] == ["budget_hearing.yaml"]


@pytest.mark.parametrize("years", [0, 1], ids=["today", "a year from now"])
async def test_every_example_hearing_is_created_and_announced(
    sessions: async_sessionmaker[AsyncSession], years: int
) -> None:
    moment = datetime.now(UTC) + timedelta(days=365 * years)
    with time_machine.travel(moment, tick=True):
        async with sessions() as session, session.begin():
            by = await coordinator(session)
            for path in EXAMPLES:
                draft = HearingDraft.from_dict(safe_yaml.load(path.read_text(encoding="utf-8")))
                hearing = await officers.create(session, draft, by)
                await officers.announce(session, hearing.id, by)
                assert hearing.status == HearingStatus.ANNOUNCED, path.name
                assert hearing.starts_at.replace(tzinfo=UTC) > moment + timedelta(days=7), path.name
