"""Assembly: ADMIN_TELEGRAM_IDS bootstrap coordinators once, and a later revocation is respected."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Service
from bot.settings import Settings
from campaigns import staff
from storage.models.campaigns import Role, StaffMember


async def test_admin_ids_become_coordinators_once(
    migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "501,502")
    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    service = Service.build(Settings())
    try:
        await service._bootstrap_admins()
        async with service.sessions() as session, session.begin():
            members = (await session.scalars(select(StaffMember).order_by(StaffMember.telegram_id))).all()
            assert [(m.telegram_id, m.role, m.active) for m in members] == [
                (501, Role.COORDINATOR, True),
                (502, Role.COORDINATOR, True),
            ]
            await staff.revoke(session, "501")
        await service._bootstrap_admins()
        async with service.sessions() as session:
            revoked = await session.scalar(select(StaffMember).where(StaffMember.telegram_id == 501))
            assert revoked is not None and not revoked.active
    finally:
        await service.engine.dispose()
