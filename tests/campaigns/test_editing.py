"""`campaign edit`: a draft (or a returned one) changes and says what changed; anything submitted or later
is refused; an officer stays in their municipality; a time in the past is refused; the edit is audited."""

from __future__ import annotations

import asyncio
import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from campaigns import editing, service
from campaigns.definition import CampaignDraft
from campaigns.errors import InvalidDefinition, InvalidTransition, ScopeDenied
from storage.models import AuditEntry
from storage.models.campaigns import Campaign, CampaignStatus, Role, ScheduleKind
from tests.campaigns.people import add_staff, draft

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # 12:00 in Tbilisi
LATER = "2026-12-10 10:00"


async def _audited(session: AsyncSession, action: str) -> list[tuple[str, dict[str, object]]]:
    rows = await session.execute(
        select(AuditEntry.actor, AuditEntry.details)
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.id)
    )
    return [(actor, dict(details or {})) for actor, details in rows.all()]


async def test_a_draft_takes_a_whole_new_definition_and_says_what_changed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        nino = await add_staff(session, "nino")
        campaign = await service.create(session, draft(texts={"ka": "ძველი.", "az": "Köhnə."}), nino, NOW)
        new = CampaignDraft.from_dict(
            {
                "name": "Budget hearing, new date",
                "audience": {"municipalities": ["marneuli"], "languages": ["az"]},
                "base_language": "ka",
                "steps": [
                    {"texts": {"ka": "ახალი.", "az": "Köhnə."}, "schedule": {"at": LATER}},
                    {"texts": {"ka": "შეხსენება."}, "schedule": {"event": LATER, "offset": "+1d"}},
                ],
            },
            NOW,
        )
        edited, changes = await editing.edit(session, campaign.id, new, nino, NOW)
        assert [(c.field, c.before, c.after) for c in changes] == [
            ("name", "Budget hearing notice", "Budget hearing, new date"),
            ("audience", "municipalities marneuli", "municipalities marneuli; languages az"),
            ("steps", "1", "2"),
            ("step 1 time", "as soon as it is scheduled", LATER),
            ("step 1 text (ka)", "ძველი.", "ახალი."),
        ]
        assert [step.schedule_kind for step in edited.steps] == [ScheduleKind.AT, ScheduleKind.RELATIVE]
        assert edited.status == CampaignStatus.DRAFT
        assert await _audited(session, "campaign.edited") == [
            ("nino", {"changed": ["name", "audience", "steps", "step 1 time", "step 1 text (ka)"]})
        ]
        _, nothing = await editing.edit(session, campaign.id, new, nino, NOW)
        assert nothing == [] and len(await _audited(session, "campaign.edited")) == 1


@pytest.mark.parametrize("state", ["submitted", "approved", "scheduled"])
async def test_only_a_draft_can_be_edited(sessions: async_sessionmaker[AsyncSession], state: str) -> None:
    async with sessions() as session, session.begin():
        author, approver = await add_staff(session, "nino"), await add_staff(session, "giorgi")
        campaign = await service.create(session, draft(schedule={"at": LATER}), author, NOW)
        await service.submit(session, campaign.id, author, NOW)
        if state != "submitted":
            await service.approve(session, campaign.id, approver, NOW)
        if state == "scheduled":
            await service.schedule(session, campaign.id, approver, NOW)
        renamed = editing.amended(editing.as_draft(campaign), name="Renamed", now=NOW)
        with pytest.raises(InvalidTransition) as caught:
            await editing.edit(session, campaign.id, renamed, author, NOW)
        assert campaign.name == "Budget hearing notice"
    assert str(caught.value) == (
        f"Campaign {campaign.id} is {state}: only a draft can be edited. To change it now, cancel it "
        "and create it again."
    )


async def test_a_returned_campaign_is_a_draft_again_and_can_be_edited(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        author, approver = await add_staff(session, "nino"), await add_staff(session, "giorgi")
        campaign = await service.create(session, draft(schedule={"at": LATER}), author, NOW)
        await service.submit(session, campaign.id, author, NOW)
        await service.reject(session, campaign.id, approver, "The time is wrong.", NOW)
        moved = editing.amended(editing.as_draft(campaign), at="tomorrow 10:00", now=NOW)
        _, changes = await editing.edit(session, campaign.id, moved, author, NOW)
        assert [(c.field, c.after) for c in changes] == [("step 1 time", "2026-12-05 10:00")]
        await service.submit(session, campaign.id, author, NOW)
        assert campaign.status == CampaignStatus.SUBMITTED


async def test_an_officer_cannot_move_a_draft_out_of_their_municipality(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        levan = await add_staff(session, "levan", Role.OFFICER, "marneuli")
        campaign = await service.create(session, draft(), levan, NOW)
        elsewhere = editing.amended(
            editing.as_draft(campaign), audience={"municipalities": ["batumi"]}, now=NOW
        )
        with pytest.raises(ScopeDenied):
            await editing.edit(session, campaign.id, elsewhere, levan, NOW)
        assert campaign.audience == {"municipalities": ["marneuli"]}
        assert [actor for actor, _ in await _audited(session, "campaign.scope_denied")] == ["levan"]


async def test_a_time_in_the_past_is_refused_at_edit(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        nino = await add_staff(session, "nino")
        campaign = await service.create(session, draft(), nino, NOW)
        past = editing.amended(editing.as_draft(campaign), at="2026-12-04 11:00", now=NOW)
        with pytest.raises(InvalidDefinition, match="it is now 4 December 2026, 12:00 in Tbilisi"):
            await editing.edit(session, campaign.id, past, nino, NOW)
        with pytest.raises(InvalidDefinition, match=r"The campaign has no step 3: it has 1\."):
            editing.amended(editing.as_draft(campaign), step=3, at="tomorrow 10:00", now=NOW)


async def _cli(url: str, *args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env={"DATABASE_URL": url})


async def test_the_cli_prints_the_changes_and_a_next_step_that_works(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await _cli(migrated_url, "staff", "grant", "--name", "nino", "--role", "coordinator")
    created = await _cli(
        migrated_url, "campaign", "create", "--as", "nino", "--name", "Water", "--text", "ka=წყალი."
    )
    assert created.exit_code == 0, created.output
    edited = await _cli(
        migrated_url, "campaign", "edit", "1", "--as", "nino", "--starts-at", "in 3 days at 10:00",
        "--text", "az=Su.", "--municipality", "dmanisi",
    )  # fmt: skip
    assert edited.exit_code == 0, edited.output
    lines = edited.output.splitlines()
    day = (datetime.now(UTC) + timedelta(days=3)).astimezone(editing.TBILISI).strftime("%Y-%m-%d")
    assert lines == [
        "campaign 1 edited (draft):",
        "  audience: everyone -> municipalities dmanisi",
        f"  step 1 time: as soon as it is scheduled -> {day} 10:00",
        "  step 1 text (az): - -> Su.",
        "next: civicbot campaign submit 1 --as nino",
    ]
    submitted = await _cli(migrated_url, *lines[-1].removeprefix("next: civicbot ").split())
    assert submitted.exit_code == 0, submitted.output
    refused = await _cli(migrated_url, "campaign", "edit", "1", "--as", "nino", "--name", "Late")
    assert refused.exit_code == 1
    assert "refused: Campaign 1 is submitted: only a draft can be edited." in refused.output
    async with sessions() as session:
        stored = await session.get_one(Campaign, 1)
        assert (stored.name, stored.audience) == ("Water", {"municipalities": ["dmanisi"]})


async def test_the_cli_replaces_the_definition_from_a_file(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await _cli(migrated_url, "staff", "grant", "--name", "nino", "--role", "coordinator")
    await _cli(migrated_url, "campaign", "create", "--as", "nino", "--name", "Water", "--text", "ka=წყალი.")
    file = tmp_path / "campaign.yaml"
    file.write_text(
        "name: Water cut on Friday\naudience: {municipalities: [dmanisi]}\n"
        "steps:\n  - texts: {ka: პარასკევს წყალი არ იქნება.}\n    schedule: tomorrow 09:00\n",
        encoding="utf-8",
    )
    edited = await _cli(migrated_url, "campaign", "edit", "1", "--file", str(file), "--as", "nino")
    assert edited.exit_code == 0, edited.output
    assert "  name: Water -> Water cut on Friday" in edited.output
    assert "  step 1 text (ka): წყალი. -> პარასკევს წყალი არ იქნება." in edited.output
    async with sessions() as session:
        stored = await session.get_one(Campaign, 1)
        assert stored.steps[0].schedule_kind == ScheduleKind.AT


async def test_the_next_step_works_as_printed_for_a_name_with_a_space(migrated_url: str) -> None:
    await _cli(migrated_url, "staff", "grant", "--name", "Nino Beridze", "--role", "coordinator")
    await _cli(
        migrated_url, "campaign", "create", "--as", "Nino Beridze", "--name", "Water", "--text", "ka=წყალი."
    )
    edited = await _cli(migrated_url, "campaign", "edit", "1", "--as", "Nino Beridze", "--name", "Water cut")
    assert edited.exit_code == 0, edited.output
    next_step = edited.output.splitlines()[-1].removeprefix("next: civicbot ")
    submitted = await _cli(migrated_url, *shlex.split(next_step))
    assert submitted.exit_code == 0, submitted.output


async def test_an_officer_learns_nothing_of_another_municipalitys_campaign(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Scope is checked before the changes are read: a wrong step number must not tell a Dmanisi officer
    how many steps Marneuli's campaign has."""
    await _cli(
        migrated_url, "staff", "grant", "--name", "levan", "--role", "officer", "--municipality", "marneuli"
    )
    await _cli(
        migrated_url, "staff", "grant", "--name", "giorgi", "--role", "officer", "--municipality", "dmanisi"
    )
    created = await _cli(
        migrated_url, "campaign", "create", "--as", "levan", "--name", "Water", "--municipality", "marneuli",
        "--text", "ka=წყალი.",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    refused = await _cli(
        migrated_url, "campaign", "edit", "1", "--as", "giorgi", "--step", "3", "--at", "now"
    )
    assert refused.exit_code == 1
    assert "Officers can only reach people in their own municipality" in refused.output
    assert "it has 1" not in refused.output
    async with sessions() as session:
        assert [actor for actor, _ in await _audited(session, "campaign.scope_denied")] == ["giorgi"]
