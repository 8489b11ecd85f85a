"""The DPO's CLI for requests made outside the bot: show, erase, purge."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from contacts.registry import contact_for
from storage.models import AuditEntry, Channel, ChannelIdentity, ContactStatus


async def _invoke(args: list[str], url: str, tmp_path: Path) -> tuple[int, str]:
    env = {"DATABASE_URL": url, "STATE_DIR": str(tmp_path / "state")}
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env)
    return result.exit_code, result.output


async def test_show_and_erase_by_phone(sessions, migrated_url, tmp_path) -> None:
    async with sessions() as session, session.begin():
        contact, _ = await contact_for(session, Channel.SMS, "+995555123456", language="az")
        contact.status = ContactStatus.ACTIVE
    code, output = await _invoke(["privacy", "show", "--phone", "555 12 34 56"], migrated_url, tmp_path)
    assert code == 0
    assert "+995555123456" in output
    code, output = await _invoke(
        ["privacy", "erase", "--phone", "0555123456", "--as", "dpo"], migrated_url, tmp_path
    )
    assert code == 0
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ChannelIdentity)) == 0
        actors = set((await session.scalars(select(AuditEntry.actor))).all())
    assert "cli:dpo" in actors
    code, output = await _invoke(["privacy", "show", "--phone", "555 12 34 56"], migrated_url, tmp_path)
    assert code == 1
    assert "nobody" in output


async def test_invalid_phone_is_refused_with_the_reason(migrated_url, tmp_path) -> None:
    code, output = await _invoke(["privacy", "show", "--phone", "12"], migrated_url, tmp_path)
    assert code != 0
    assert "invalid phone number" in output


async def test_purge_reports_what_it_did(migrated_url, tmp_path) -> None:
    code, output = await _invoke(["privacy", "purge"], migrated_url, tmp_path)
    assert code == 0
    assert "erased 0 inactive profiles" in output
