"""Rotating DATA_KEY: data sealed with the old key opens after re-sealing with the new, hashes stay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from contacts.vault import DataVault
from storage.models import Contact, ContactStatus
from storage.models.contacts import SpecialProfile


async def _sealed_profile(sessions: async_sessionmaker[AsyncSession], vault: DataVault) -> int:
    async with sessions() as session, session.begin():
        contact = Contact(language="hy", status=ContactStatus.ACTIVE)
        session.add(contact)
        await session.flush()
        session.add(
            SpecialProfile(
                contact_id=contact.id,
                sealed=vault.seal({"groups": {"ethnic_minority": "yes"}}),
                consent_at=datetime.now(UTC),
                consent_version="2026-11",
            )
        )
        return contact.id


async def test_rotate_reseals_with_the_newest_key_and_keeps_hashes(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    before = DataVault(old)
    contact_id = await _sealed_profile(sessions, before)
    env = {
        "DATABASE_URL": migrated_url,
        "DATA_KEY": f"{new.decode()},{old.decode()}",
        "STATE_DIR": str(tmp_path),
    }

    result = await asyncio.to_thread(CliRunner().invoke, app, ["keys", "rotate"], env=env)

    assert result.exit_code == 0, result.output
    assert "1 special-category records sealed again" in result.output
    async with sessions() as session:
        row = await session.scalar(select(SpecialProfile).where(SpecialProfile.contact_id == contact_id))
    assert row is not None
    assert DataVault(new).unseal(row.sealed) == {"groups": {"ethnic_minority": "yes"}}
    try:
        Fernet(old).decrypt(row.sealed)
        raise AssertionError("still sealed with the old key")
    except InvalidToken:
        pass
    after = DataVault([new, old])
    assert after.address_hash("sms", "+995555123456") == before.address_hash("sms", "+995555123456")
    assert after.reference_digest(contact_id) == before.reference_digest(contact_id)


async def test_rotate_with_one_key_says_what_to_do(migrated_url: str, tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": migrated_url,
        "DATA_KEY": Fernet.generate_key().decode(),
        "STATE_DIR": str(tmp_path),
    }
    result = await asyncio.to_thread(CliRunner().invoke, app, ["keys", "rotate"], env=env)
    assert result.exit_code == 1
    assert "civicbot keys new" in result.output
