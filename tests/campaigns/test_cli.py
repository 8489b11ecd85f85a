"""`civicbot audience|campaign|staff` against a real database: output, exit codes, audit entries."""

from __future__ import annotations

import asyncio
import shlex
from datetime import datetime, timedelta
from importlib import resources

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.main import get_command
from typer.testing import CliRunner

from bot.cli import app
from campaigns.schedule import TBILISI
from storage.db import unit_of_work
from storage.models import AuditEntry
from storage.models.deliveries import Delivery
from tests.campaigns.people import add_person

EXAMPLE = str(resources.files("campaigns") / "examples" / "hearing_notice.yaml")


async def _cli(url: str, *args: str) -> Result:
    """The command runs `asyncio.run` itself, so it gets a thread of its own."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, app, list(args), env={"DATABASE_URL": url})


async def _actions(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.id))
        return [(action, actor) for action, actor in rows.all()]


async def test_a_campaign_from_the_example_file_through_approval(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        for lang in ("ka", "az", "hy"):
            await add_person(
                session, language=lang, topics=("hearings",), sms=lang != "ka", telegram=lang == "ka"
            )
    for args in (
        ["--telegram-id", "111", "--name", "nino", "--role", "officer", "--municipality", "marneuli"],
        ["--name", "giorgi", "--role", "coordinator"],
    ):
        assert (await _cli(migrated_url, "staff", "grant", *args)).exit_code == 0
    listing = await _cli(migrated_url, "staff", "list")
    assert "nino" in listing.output and "marneuli" in listing.output and "giorgi" in listing.output

    created = await _cli(migrated_url, "campaign", "create", EXAMPLE, "--as", "nino")
    assert created.exit_code == 0, created.output
    assert "campaign 1 created as a draft" in created.output
    assert (await _cli(migrated_url, "campaign", "submit", "1", "--as", "111")).exit_code == 0

    refused = await _cli(migrated_url, "campaign", "approve", "1", "--as", "nino")
    assert refused.exit_code == 1
    assert "Only coordinators can approve campaigns." in refused.output

    dry = await _cli(migrated_url, "campaign", "dry-run", "1")
    assert "people: 3, steps: 2, messages: 6 (telegram 2, sms 4)" in dry.output
    assert "az: telegram 0, sms 1" in dry.output and "hy: telegram 0, sms 1" in dry.output

    approved = await _cli(migrated_url, "campaign", "approve", "1", "--as", "giorgi")
    assert (approved.exit_code, approved.output.splitlines()[0]) == (0, "campaign 1 is approved")
    status = await _cli(migrated_url, "campaign", "status", "1")
    assert "[approved]" in status.output and "time left: nothing left" in status.output
    assert "approved" in (await _cli(migrated_url, "campaign", "list", "--status", "approved")).output
    assert await _actions(sessions) == [
        ("staff.granted", "cli"),
        ("staff.granted", "cli"),
        ("campaign.created", "nino"),
        ("campaign.submitted", "nino"),
        ("campaign.approval_denied", "nino"),
        ("campaign.approved", "giorgi"),
    ]


async def test_officer_outside_their_municipality_is_refused_and_audited(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _cli(
        migrated_url, "staff", "grant", "--name", "nino", "--role", "officer", "--municipality", "dmanisi"
    )
    result = await _cli(
        migrated_url,
        "campaign",
        "create",
        "--as",
        "nino",
        "--name",
        "Water",
        "--municipality",
        "batumi",
        "--text",
        "ka=ხვალ წყალი არ იქნება.",
    )
    assert result.exit_code == 1
    assert "Officers can only reach people in their own municipality (Dmanisi)." in result.output
    file_result = await _cli(migrated_url, "campaign", "create", EXAMPLE, "--as", "nino")
    assert file_result.exit_code == 1
    assert await _actions(sessions) == [
        ("staff.granted", "cli"),
        ("campaign.scope_denied", "nino"),
        ("campaign.scope_denied", "nino"),
    ]


async def test_options_campaign_is_scheduled_and_cancelled(migrated_url: str) -> None:
    for name in ("a", "b"):
        await _cli(migrated_url, "staff", "grant", "--name", name, "--role", "coordinator")
    tomorrow = (datetime.now(TBILISI) + timedelta(days=1)).strftime("%Y-%m-%d 10:00")
    created = await _cli(
        migrated_url,
        "campaign",
        "create",
        "--as",
        "a",
        "--name",
        "Water cut",
        "--municipality",
        "dmanisi",
        "--text",
        "ka=ხვალ წყალი არ იქნება.",
        "--urgent",
        "--at",
        tomorrow,
    )
    assert created.exit_code == 0, created.output
    for verb, who, state in (
        ("submit", "a", "submitted"),
        ("approve", "b", "approved"),
        ("schedule", "b", "scheduled"),
        ("pause", "a", "paused"),
        ("resume", "a", "scheduled"),
        ("cancel", "b", "cancelled"),
    ):
        result = await _cli(migrated_url, "campaign", verb, "1", "--as", who)
        assert result.output.splitlines()[0].startswith(f"campaign 1 is {state}"), result.output
        if verb == "schedule":
            assert f"nothing is due yet; step 1 at {tomorrow} (Tbilisi time)" in result.output
    again = await _cli(migrated_url, "campaign", "cancel", "1", "--as", "b")
    assert again.exit_code == 1 and "Campaign 1 is cancelled; that is not possible now." in again.output


@pytest.mark.parametrize("urgent", [True, False], ids=["urgent", "held-by-quiet-hours"])
async def test_a_campaign_scheduled_now_is_queued_at_once_and_says_when_it_goes(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession], urgent: bool
) -> None:
    async with unit_of_work(sessions) as session:
        await add_person(session, municipality="dmanisi")
    for name in ("a", "b"):
        await _cli(migrated_url, "staff", "grant", "--name", name, "--role", "coordinator")
    flags = ["--urgent"] if urgent else []
    await _cli(
        migrated_url,
        "campaign",
        "create",
        "--as",
        "a",
        "--name",
        "Water cut",
        "--municipality",
        "dmanisi",
        "--text",
        "ka=ხვალ წყალი არ იქნება.",
        *flags,
    )
    await _cli(migrated_url, "campaign", "submit", "1", "--as", "a")
    await _cli(migrated_url, "campaign", "approve", "1", "--as", "b")
    end = (datetime.now(TBILISI) + timedelta(hours=2)).strftime("%H:00")
    start = (datetime.now(TBILISI) - timedelta(hours=1)).strftime("%H:00")
    await _cli(migrated_url, "municipality", "set", "dmanisi", "quiet-hours", f"{start}-{end}", "--as", "a")

    result = await _cli(migrated_url, "campaign", "schedule", "1", "--as", "b")

    assert result.exit_code == 0, result.output
    if urgent:
        assert "campaign 1 is " in result.output and "1 message queued; it goes out now" in result.output
    else:
        assert (
            f"1 message queued; quiet hours in Dmanisi until {end}, it goes out from {end}" in result.output
        )
    async with sessions() as session:
        assert len((await session.scalars(select(Delivery))).all()) == 1


async def test_audience_count_and_bad_values(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        await add_person(session, language="az", sms=True, telegram=False)
        await add_person(session, language="ka")
        await add_person(session, municipality="batumi")
    counted = await _cli(migrated_url, "audience", "count", "--municipality", "marneuli")
    assert counted.output.splitlines() == [
        "people: 2",
        "by channel: sms 1, telegram 1",
        "by language: az 1, ka 1",
    ]
    bad = await _cli(migrated_url, "audience", "count", "--channel", "fax")
    assert bad.exit_code == 1 and "fax is not a valid value for channels" in bad.output


@pytest.mark.parametrize("group", ["audience", "campaign", "staff"])
def test_every_command_help_has_an_example(group: str) -> None:
    command = get_command(app)
    sub = command.commands[group]  # type: ignore[attr-defined]
    for name, cmd in sub.commands.items():
        assert "Example" in (cmd.help or ""), f"civicbot {group} {name} --help has no example"
        assert f"civicbot {group} {name}" in (cmd.help or "")


async def test_every_printed_next_hint_works_as_printed(migrated_url: str) -> None:
    """Pasted into a shell as printed, names with a space included."""
    for name in ("Nino Beridze", "Giorgi Kapanadze"):
        await _cli(migrated_url, "staff", "grant", "--name", name, "--role", "coordinator")
    created = await _cli(
        migrated_url,
        "campaign",
        "create",
        "--as",
        "Nino Beridze",
        "--name",
        "Water cut",
        "--municipality",
        "dmanisi",
        "--text",
        "ka=ხვალ წყალი არ იქნება.",
        "--urgent",
    )
    approve = ["campaign", "approve", "1", "--as", "Giorgi Kapanadze"]
    followed = []
    output = created.output
    for _ in range(4):
        hints = [
            line.split("next: civicbot ", 1)[1] for line in output.splitlines() if "next: civicbot " in line
        ]
        if not hints:
            if "is submitted" not in output:
                break
            hints = [shlex.join(approve)]  # a second coordinator approves: nothing to hint at
        result = await _cli(migrated_url, *shlex.split(hints[0]))
        assert result.exit_code == 0, (hints[0], result.output)
        followed.append(hints[0].split()[1])
        output = result.output

    assert followed == ["submit", "approve", "schedule", "status"]


async def test_submit_says_who_was_told_and_reject_needs_a_reason_the_status_shows(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    for args in (["--name", "a"], ["--name", "b", "--telegram-id", "222"], ["--name", "c"]):
        await _cli(migrated_url, "staff", "grant", *args, "--role", "coordinator")
    await _cli(migrated_url, "campaign", "create", "--as", "a", "--name", "Roads", "--text", "ka=გზები.")
    submitted = await _cli(migrated_url, "campaign", "submit", "1", "--as", "a")
    assert submitted.output.splitlines()[1] == "told on Telegram: b (they can approve it with /approve 1)"

    bare = await _cli(migrated_url, "campaign", "reject", "1", "--reason", " ", "--as", "c")
    assert bare.exit_code == 1 and "Say why the campaign is returned" in bare.output
    own = await _cli(migrated_url, "campaign", "reject", "1", "--reason", "No.", "--as", "a")
    assert own.exit_code == 1 and "You cannot return a campaign you wrote or submitted" in own.output
    returned = await _cli(
        migrated_url, "campaign", "reject", "1", "--reason", "Name the street, please.", "--as", "c"
    )
    assert returned.exit_code == 0 and "campaign 1 is draft again" in returned.output
    status = await _cli(migrated_url, "campaign", "status", "1")
    assert status.output.splitlines()[1].endswith("(Tbilisi time): Name the street, please.")
    assert ("campaign.rejected", "c") in await _actions(sessions)
