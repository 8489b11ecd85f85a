"""`civicbot staff password`: sets an argon2 hash the console accepts, refuses short ones, audits it."""

from __future__ import annotations

import asyncio

from click.testing import Result
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from campaigns import staff
from campaigns import staff_access as access
from storage.db import unit_of_work
from storage.models import AuditEntry
from storage.models.campaigns import Role
from storage.models.console import StaffPassword


async def _cli(url: str, *args: str, stdin: str) -> Result:
    """The command runs `asyncio.run` itself, so it gets a thread of its own."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, app, list(args), input=stdin, env={"DATABASE_URL": url})


async def test_a_password_set_on_the_command_line_signs_in(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        await staff.grant(session, Role.COORDINATOR, name="nino")
    short = await _cli(migrated_url, "staff", "password", "--as", "nino", "--stdin", stdin="short\n")
    assert short.exit_code == 1
    assert "at least 12" in short.output
    done = await _cli(
        migrated_url, "staff", "password", "--as", "nino", "--stdin", stdin="a long passphrase\n"
    )
    assert done.exit_code == 0, done.output
    async with unit_of_work(sessions) as session:
        stored = await session.scalar(select(StaffPassword.password_hash))
        assert stored is not None and stored.startswith("$argon2")
        opened = await access.sign_in_with_password(session, "nino", "a long passphrase", "127.0.0.1")
        assert opened.member.name == "nino"
        actors = await session.execute(
            select(AuditEntry.actor).where(AuditEntry.action == "staff.password_set")
        )
        assert actors.scalars().all() == ["cli"]


async def test_nobody_by_that_name_is_refused(migrated_url: str) -> None:
    result = await _cli(
        migrated_url, "staff", "password", "--as", "ghost", "--stdin", stdin="a long passphrase\n"
    )
    assert result.exit_code == 1
