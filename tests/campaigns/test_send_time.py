"""A send time in the past is refused when the campaign is created or submitted, not after approval: the
refusal names the time and Tbilisi's time now, in the reader's language; relative times are fixed at
creation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from campaigns import service
from campaigns.definition import CampaignDraft
from campaigns.errors import InvalidDefinition
from channels.i18n import render
from storage.models.campaigns import Campaign, CampaignStatus
from tests.campaigns.people import add_staff

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # 12:00 in Tbilisi


def _draft(schedule: object, now: datetime = NOW) -> CampaignDraft:
    return CampaignDraft.from_dict(
        {
            "name": "Water cut",
            "audience": {"municipalities": ["dmanisi"]},
            "steps": [
                {"texts": {"ka": "პირველი."}},
                {"texts": {"ka": "ხვალ წყალი არ იქნება."}, "schedule": schedule},
            ],
        },
        now,
    )


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Campaign)) or 0)


async def test_a_time_in_the_past_is_refused_at_create_naming_both_times(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        author = await add_staff(session, "nino")
        with pytest.raises(InvalidDefinition) as caught:
            await service.create(session, _draft({"at": "2026-12-04 11:30"}), author, NOW)
        assert await _count(session) == 0
    assert str(caught.value) == (
        "Step 2 would go out on 4 December 2026, 11:30 (Tbilisi time), which has already passed: "
        "it is now 4 December 2026, 12:00 in Tbilisi. Choose a later time."
    )


@pytest.mark.parametrize(
    ("language", "fragment"),
    [
        ("ka", "4 დეკემბერი 2026, 11:30"),
        ("az", "4 dekabr 2026, 11:30"),
        ("hy", "4 դեկտեմբերի 2026, 11:30"),
        ("ru", "4 декабря 2026, 11:30"),
        ("en", "4 December 2026, 11:30"),
    ],
)
async def test_the_refusal_reads_in_the_staff_members_language(
    sessions: async_sessionmaker[AsyncSession], language: str, fragment: str
) -> None:
    async with sessions() as session, session.begin():
        author = await add_staff(session, "nino")
        with pytest.raises(InvalidDefinition) as caught:
            await service.create(session, _draft({"at": "2026-12-04 11:30"}), author, NOW)
    said = render(caught.value.message, language)
    assert fragment in said and "12:00" in said
    if language != "en":
        assert "which has already passed" not in said


async def test_an_event_step_and_a_finished_repetition_are_refused_too(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        author = await add_staff(session, "nino")
        with pytest.raises(InvalidDefinition, match="Step 2 would go out on 3 December 2026, 18:00"):
            await service.create(session, _draft({"event": "2026-12-04 18:00", "offset": "-1d"}), author, NOW)
        with pytest.raises(InvalidDefinition, match="Step 2 repeats only until 1 December 2026, 00:00"):
            await service.create(session, _draft({"cron": "0 10 * * 1", "until": "2026-12-01"}), author, NOW)
        assert await _count(session) == 0


@pytest.mark.parametrize("language", ["ka", "az", "hy", "ru", "en"])
async def test_a_repetition_that_ends_before_its_first_time_is_not_said_to_have_passed(
    sessions: async_sessionmaker[AsyncSession], language: str
) -> None:
    """Mondays at 10:00 until Saturday, written on a Friday: refused, but its end is still ahead."""
    async with sessions() as session, session.begin():
        author = await add_staff(session, "nino")
        with pytest.raises(InvalidDefinition) as refused:
            await service.create(
                session, _draft({"cron": "0 10 * * 1", "until": "2026-12-05 23:00"}), author, NOW
            )
    said = render(refused.value.message, language)
    assert "5" in said and "0 10 * * 1" in said, said
    past = {
        "en": "already passed",
        "ka": "უკვე გავიდა",
        "az": "artıq keçib",
        "hy": "արդեն անցել",
        "ru": "уже прошло",
    }
    assert past[language] not in said, said
    if language != "en":
        assert "Step" not in said and "schedule" not in said, said


async def test_a_time_that_passed_while_it_was_a_draft_is_refused_at_submit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        author = await add_staff(session, "nino")
        campaign = await service.create(session, _draft({"at": "in 2 hours"}), author, NOW)
        assert campaign.steps[1].send_at == NOW + timedelta(hours=2)  # fixed when created
        later = NOW + timedelta(hours=3)
        with pytest.raises(InvalidDefinition, match="it is now 4 December 2026, 15:00 in Tbilisi"):
            await service.submit(session, campaign.id, author, later)
        assert campaign.status == CampaignStatus.DRAFT
        await service.submit(session, campaign.id, author, NOW + timedelta(hours=1))
        assert campaign.status == CampaignStatus.SUBMITTED


async def _cli(url: str, *args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env={"DATABASE_URL": url})


async def test_the_cli_refuses_a_past_time_and_exits_non_zero(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _cli(migrated_url, "staff", "grant", "--name", "nino", "--role", "coordinator")
    common = ("campaign", "create", "--as", "nino", "--name", "Water", "--text", "ka=წყალი.")
    past = await _cli(migrated_url, *common, "--at", "2026-01-05 10:00")
    assert past.exit_code == 1
    assert "refused: Step 1 would go out on 5 January 2026, 10:00 (Tbilisi time), which has" in past.output
    assert "in Tbilisi. Choose a later time." in past.output
    later = await _cli(migrated_url, *common, "--at", "in 2 hours")
    assert later.exit_code == 0, later.output
    async with sessions() as session:
        stored = await session.scalar(select(Campaign).where(Campaign.name == "Water"))
        assert stored is not None
        send_at = stored.steps[0].send_at
        assert send_at is not None
        ahead = send_at.replace(tzinfo=UTC) - datetime.now(UTC)
        assert timedelta(hours=1, minutes=58) < ahead <= timedelta(hours=2)
