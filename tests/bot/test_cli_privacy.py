"""The DPO's CLI for requests made outside the bot: show, erase, purge."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select, update
from typer.testing import CliRunner

from bot.cli import app
from channels.claims import FAREWELL_PREFIX, Claimed, Verdict, recheck
from contacts.reference import reference_code
from contacts.registry import contact_for, remember_username
from contacts.vault import DataVault
from storage.models import AuditEntry, Channel, ChannelIdentity, ContactStatus
from storage.models.deliveries import Delivery, DeliveryStatus


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
        ["privacy", "erase", "--phone", "0555123456", "--as", "dpo", "--yes"], migrated_url, tmp_path
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


async def _telegram_person(sessions) -> int:
    async with sessions() as session, session.begin():
        contact, _ = await contact_for(session, Channel.TELEGRAM, "7003", language="hy", chat_id="7003")
        contact.status = ContactStatus.ACTIVE
        await remember_username(session, "7003", "@Ani_Marneuli")
        return contact.id


def _state_vault(tmp_path: Path) -> DataVault:
    return DataVault.from_key_or_file(None, tmp_path / "state")


async def test_a_telegram_only_person_is_found_by_reference_code_or_username(
    sessions, migrated_url, tmp_path
) -> None:
    contact_id = await _telegram_person(sessions)
    code = reference_code(_state_vault(tmp_path), contact_id)
    exit_code, output = await _invoke(
        ["privacy", "show", "--ref", code.lower().replace("-", " "), "--language", "hy"],
        migrated_url,
        tmp_path,
    )
    assert exit_code == 0, output
    assert code in output and "7003" in output and "@ani_marneuli" in output
    exit_code, output = await _invoke(
        ["privacy", "show", "--username", "ANI_marneuli"], migrated_url, tmp_path
    )
    assert exit_code == 0 and code in output
    exit_code, output = await _invoke(["privacy", "show", "--ref", "ZZZZ-ZZZZ"], migrated_url, tmp_path)
    assert exit_code == 1 and "nobody" in output


async def test_erase_shows_what_goes_asks_and_confirms_to_the_person(
    sessions, migrated_url, tmp_path
) -> None:
    contact_id = await _telegram_person(sessions)
    code = reference_code(_state_vault(tmp_path), contact_id)
    env = {"DATABASE_URL": migrated_url, "STATE_DIR": str(tmp_path / "state")}
    args = ["privacy", "erase", "--ref", code, "--as", "dpo@marneuli"]
    declined = await asyncio.to_thread(CliRunner().invoke, app, args, env=env, input="n\n")
    assert declined.exit_code == 1 and "nothing was erased" in declined.output
    assert "7003" in declined.output  # the preview listed what would go
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ChannelIdentity)) == 1
    exit_code, output = await _invoke([*args, "--yes"], migrated_url, tmp_path)
    assert exit_code == 0, output
    assert "one confirmation" in output
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ChannelIdentity)) == 0
        farewell = await session.scalar(
            select(Delivery).where(Delivery.dedupe_key.startswith(FAREWELL_PREFIX))
        )
        audit = (await session.execute(select(AuditEntry.actor, AuditEntry.action))).all()
    assert farewell is not None and farewell.address == "7003" and farewell.language == "hy"
    assert ("cli:dpo@marneuli", "contact.erased") in audit
    async with sessions() as session, session.begin():  # the outbox lets exactly this message through
        claimed = Claimed(farewell.id, None, "telegram", "7003", "hy", farewell.payload, 1, 0.0)
        await session.execute(
            update(Delivery)
            .where(Delivery.id == farewell.id)
            .values(status=DeliveryStatus.SENDING, attempts=1)
        )
        verdicts = await recheck(session, [claimed])
    assert verdicts[farewell.id][0] is Verdict.SEND
    async with sessions() as session, session.begin():
        await session.execute(update(Delivery).values(status=DeliveryStatus.SENT))
    exit_code, output = await _invoke(["privacy", "purge"], migrated_url, tmp_path)
    assert "scrubbed 1 sent erasure confirmations" in output
    async with sessions() as session:
        row = await session.get_one(Delivery, farewell.id)
    assert (row.address, row.payload) == (None, {})
