"""`civicbot municipality list|show|set`: settings per municipality, codes in any case, audited changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from campaigns.schedule import TBILISI
from hearings import officers
from storage.models import AuditEntry, Municipality
from storage.models.campaigns import Role
from tests.campaigns.people import add_person, add_staff
from tests.hearings.builders import coordinator, draft

Sessions = async_sessionmaker[AsyncSession]
VALID_CODES = "batumi, chokhatauri, dmanisi, marneuli"


async def invoke(args: list[str], url: str, **env: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env={"DATABASE_URL": url, **env})
    return result.exit_code, result.output


async def place(sessions: Sessions, code: str) -> Municipality:
    async with sessions() as session:
        found = await session.scalar(select(Municipality).where(Municipality.code == code))
        assert found is not None
        return found


async def test_list_shows_every_municipality_and_where_quiet_hours_come_from(migrated_url: str) -> None:
    code, output = await invoke(["municipality", "list"], migrated_url, QUIET_HOURS="22:00-09:00")

    assert code == 0, output
    assert [line.split()[0] for line in output.splitlines()[:4]] == VALID_CODES.split(", ")
    assert "22:00-09:00*" in output


async def test_show_takes_the_code_in_any_case(migrated_url: str) -> None:
    code, output = await invoke(["municipality", "show", "MarNeuli"], migrated_url)

    assert code == 0, output
    assert "code              marneuli" in output
    assert "(service default)" in output


@pytest.mark.parametrize(
    "command", [["show", "tbilisi"], ["set", "tbilisi", "latin-sms", "yes", "--as", "ana"]]
)
async def test_an_unknown_code_is_refused_with_the_valid_ones(
    sessions: Sessions, migrated_url: str, command: list[str]
) -> None:
    async with sessions() as session, session.begin():
        await add_staff(session, "ana", Role.COORDINATOR)

    code, output = await invoke(["municipality", *command], migrated_url)

    assert code == 1
    assert f"Unknown municipality: tbilisi. Valid codes: {VALID_CODES}." in output


@pytest.mark.parametrize(
    ("setting", "typed", "stored"),
    [
        pytest.param("quiet-hours", "21:00 - 08:30", "21:00-08:30", id="quiet-hours"),
        pytest.param("quiet-hours", "OFF", "off", id="quiet-hours-off"),
        pytest.param("latin-sms", "yes", True, id="latin"),
        pytest.param("default-language", "AZ", "az", id="language"),
        pytest.param("sms-sender", "Marneuli", "Marneuli", id="alphanumeric-sender"),
        pytest.param("sms-sender", "+995 322 00 00 02", "+995322000002", id="number-sender"),
        pytest.param("privacy-contact", "dpo@marneuli.gov.ge", "dpo@marneuli.gov.ge", id="privacy"),
    ],
)
async def test_a_coordinator_sets_a_setting_and_it_is_audited(
    sessions: Sessions, migrated_url: str, setting: str, typed: str, stored: object
) -> None:
    async with sessions() as session, session.begin():
        await add_staff(session, "ana", Role.COORDINATOR)

    code, output = await invoke(
        ["municipality", "set", "MARNEULI", setting, typed, "--as", "ana"], migrated_url
    )

    assert code == 0, output
    column = {
        "quiet-hours": "quiet_hours",
        "latin-sms": "sms_latin",
        "default-language": "default_language",
        "sms-sender": "sms_sender",
        "privacy-contact": "privacy_contact",
    }[setting]
    assert getattr(await place(sessions, "marneuli"), column) == stored
    async with sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "municipality.changed"))
    assert entry is not None and (entry.actor, entry.details["setting"]) == ("ana", setting)
    assert "next: civicbot municipality show marneuli" in output


@pytest.mark.parametrize(
    ("setting", "typed"),
    [
        ("quiet-hours", "late"),
        ("latin-sms", "maybe"),
        ("default-language", "de"),
        ("sms-sender", "12345"),
        ("colour", "red"),
    ],
)
async def test_a_value_that_makes_no_sense_is_refused(
    sessions: Sessions, migrated_url: str, setting: str, typed: str
) -> None:
    async with sessions() as session, session.begin():
        await add_staff(session, "ana", Role.COORDINATOR)

    code, output = await invoke(
        ["municipality", "set", "marneuli", setting, typed, "--as", "ana"], migrated_url
    )

    assert code == 1
    assert output.startswith("refused: ")
    assert (await place(sessions, "marneuli")).quiet_hours is None


async def test_an_officer_changes_only_their_own_municipality(sessions: Sessions, migrated_url: str) -> None:
    async with sessions() as session, session.begin():
        await add_staff(session, "nino", Role.OFFICER, "marneuli")

    own, _ = await invoke(
        ["municipality", "set", "marneuli", "latin-sms", "yes", "--as", "nino"], migrated_url
    )
    other, output = await invoke(
        ["municipality", "set", "dmanisi", "latin-sms", "yes", "--as", "nino"], migrated_url
    )

    assert (own, other) == (0, 1)
    assert "only their own municipality" in output
    assert (await place(sessions, "dmanisi")).sms_latin is False
    async with sessions() as session:
        denied = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "municipality.scope_denied")
        )
    assert denied is not None


async def test_announce_says_when_notices_held_by_the_municipalitys_quiet_hours_go_out(
    sessions: Sessions, migrated_url: str
) -> None:
    local = datetime.now(TBILISI)
    end = time((local.hour + 2) % 24)
    quiet = f"{time((local.hour - 1) % 24):%H:%M}-{end:%H:%M}"
    async with sessions() as session, session.begin():
        by = await coordinator(session)
        await add_person(session, topics=("hearings",), language="az")
        hearing = await officers.create(session, draft(starts_at=datetime.now(UTC) + timedelta(days=10)), by)
    code, _ = await invoke(
        ["municipality", "set", "marneuli", "quiet-hours", quiet, "--as", by.label], migrated_url
    )
    assert code == 0

    code, output = await invoke(
        ["hearing", "announce", str(hearing.id), "--as", by.label], migrated_url, QUIET_HOURS="00:00-00:00"
    )

    assert code == 0, output
    assert (
        f"1 notice queued; quiet hours in Marneuli until {end:%H:%M}, it goes out from {end:%H:%M}" in output
    )


async def test_urgent_announce_goes_now_and_is_audited(sessions: Sessions, migrated_url: str) -> None:
    async with sessions() as session, session.begin():
        by = await coordinator(session)
        await add_person(session, topics=("hearings",), language="az")
        hearing = await officers.create(session, draft(starts_at=datetime.now(UTC) + timedelta(days=1)), by)

    code, output = await invoke(
        ["hearing", "announce", str(hearing.id), "--as", by.label, "--urgent"],
        migrated_url,
        QUIET_HOURS="00:00-23:59",
    )

    assert code == 0, output
    assert "1 notice queued; it goes out now" in output
    async with sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "hearing.announced"))
    assert entry is not None and entry.details["urgent"] is True


async def test_hearing_status_shows_the_notices_held_by_quiet_hours(
    sessions: Sessions, migrated_url: str
) -> None:
    local = datetime.now(TBILISI)
    end = time((local.hour + 2) % 24)
    async with sessions() as session, session.begin():
        by = await coordinator(session)
        await add_person(session, topics=("hearings",), language="az")
        hearing = await officers.create(session, draft(starts_at=datetime.now(UTC) + timedelta(days=10)), by)
    await invoke(
        [
            "municipality",
            "set",
            "marneuli",
            "quiet-hours",
            f"{time((local.hour - 1) % 24):%H:%M}-{end:%H:%M}",
            "--as",
            by.label,
        ],
        migrated_url,
    )
    await invoke(["hearing", "announce", str(hearing.id), "--as", by.label], migrated_url)

    code, output = await invoke(["hearing", "status", str(hearing.id)], migrated_url)

    assert code == 0, output
    header, row, total = output.splitlines()[1:4]
    assert "held by quiet hours" in header and "held by pause" in header
    assert row.split()[:2] == ["telegram", "az"] and row.split()[2:] == ["0", "1", "0", "0", "0", "0"]
    assert total.split()[1:] == ["0", "1", "0", "0", "0", "0"]
    until = datetime.combine(local.date(), end, TBILISI)
    until += timedelta(days=1) if until <= local else timedelta(0)
    assert f"held by quiet hours in Marneuli until {until:%Y-%m-%d %H:%M} (Tbilisi time)" in output


async def test_without_municipalities_the_advice_is_to_seed_them(
    sessions: Sessions, migrated_url: str
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(delete(Municipality))

    listed, shown = (
        await invoke(["municipality", "list"], migrated_url),
        await invoke(["municipality", "show", "marneuli"], migrated_url),
    )

    assert listed == (0, "no municipalities yet; add the four pilot municipalities with: civicbot seed\n")
    assert shown[0] == 1 and "There are none yet: add them with civicbot seed." in shown[1]
