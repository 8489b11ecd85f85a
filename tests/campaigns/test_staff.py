"""`staff grant` never silently renames or re-assigns a Telegram id; `staff list` shows each member's
language, and an empty list says how to begin."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from storage.models.campaigns import StaffMember

Sessions = async_sessionmaker[AsyncSession]


async def _cli(url: str, *args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env={"DATABASE_URL": url})


async def _staff(sessions: Sessions) -> list[tuple[int | None, str | None]]:
    async with sessions() as session:
        return [
            (m.telegram_id, m.name)
            for m in await session.scalars(select(StaffMember).order_by(StaffMember.id))
        ]


async def test_an_empty_staff_list_says_how_to_begin(migrated_url: str) -> None:
    result = await _cli(migrated_url, "staff", "list")
    assert result.exit_code == 0
    assert result.output.startswith("no staff yet; add the first coordinator with:")


async def test_staff_list_shows_the_language_of_each_members_notices(migrated_url: str) -> None:
    await _cli(migrated_url, "staff", "grant", "--name", "nino", "--role", "coordinator")
    await _cli(
        migrated_url, "staff", "grant", "--name", "elvin", "--role", "officer", "--municipality", "marneuli",
        "--language", "az",
    )  # fmt: skip

    result = await _cli(migrated_url, "staff", "list")

    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()}
    assert rows["nino"] == ["nino", "coordinator", "all", "ka", "active"]
    assert rows["elvin"] == ["elvin", "officer", "marneuli", "az", "active"]


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        pytest.param(
            ["--telegram-id", "111", "--name", "giorgi"],
            "Telegram id 111 already belongs to nino",
            id="rename-by-telegram-id",
        ),
        pytest.param(
            ["--telegram-id", "333", "--name", "nino"],
            "nino already has Telegram id 111",
            id="new-telegram-id-for-a-name",
        ),
        pytest.param(
            ["--telegram-id", "111", "--name", "ana"],
            "Telegram id 111 belongs to nino and the name ana",
            id="id-and-name-of-two-people",
        ),
    ],
)
async def test_grant_refuses_to_rename_silently(
    sessions: Sessions, migrated_url: str, args: list[str], refusal: str
) -> None:
    await _cli(
        migrated_url, "staff", "grant", "--telegram-id", "111", "--name", "nino", "--role", "coordinator"
    )
    await _cli(
        migrated_url, "staff", "grant", "--telegram-id", "222", "--name", "ana", "--role", "coordinator"
    )

    refused = await _cli(migrated_url, "staff", "grant", *args, "--role", "coordinator")

    assert refused.exit_code == 1
    assert refusal in refused.output
    assert await _staff(sessions) == [(111, "nino"), (222, "ana")]


async def test_grant_renames_when_asked_to(sessions: Sessions, migrated_url: str) -> None:
    await _cli(
        migrated_url, "staff", "grant", "--telegram-id", "111", "--name", "nino", "--role", "coordinator"
    )

    renamed = await _cli(
        migrated_url,
        "staff",
        "grant",
        "--telegram-id",
        "111",
        "--name",
        "nino-b",
        "--role",
        "coordinator",
        "--rename",
    )

    assert renamed.exit_code == 0, renamed.output
    assert await _staff(sessions) == [(111, "nino-b")]
