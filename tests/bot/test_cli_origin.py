"""Audit entries written from the CLI say which OS login ran the command, whatever `--as` claimed."""

from __future__ import annotations

import asyncio
import getpass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from storage.models import AuditEntry


async def test_staff_grant_from_the_cli_records_the_os_user(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    env = {"DATABASE_URL": migrated_url, "SUDO_USER": "nino"}
    args = ["staff", "grant", "--role", "coordinator", "--name", "tamar"]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env)
    assert result.exit_code == 0, result.output
    async with sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.granted"))
    assert entry is not None
    assert entry.details["origin"] == {"surface": "cli", "os_user": getpass.getuser(), "sudo_user": "nino"}
