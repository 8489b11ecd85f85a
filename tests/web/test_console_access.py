"""Console access rules on both databases: one-time links, passwords, attempt limits, idle sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import staff
from campaigns import staff_access as access
from campaigns.errors import CampaignError
from storage.base import utcnow
from storage.models import AuditEntry
from storage.models.campaigns import Role, StaffMember
from storage.models.console import SignInLink, WebSession

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service's argon2 settings cost ~0.1 s a hash by design; the rules under test do not need it."""
    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    access._decoy_hash.cache_clear()


async def coordinator(session: AsyncSession, name: str = "nino") -> StaffMember:
    member = await staff.grant(session, Role.COORDINATOR, name=name, telegram_id=4242)
    await access.set_password(session, member, PASSWORD, actor="test")
    return member


async def actions(session: AsyncSession, action: str) -> int:
    return int(await session.scalar(select(func.count()).where(AuditEntry.action == action)) or 0)


async def test_a_link_signs_in_once_and_is_stored_hashed(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        member = await coordinator(session)
        token = await access.issue_link(session, member)
        stored = await session.scalar(select(SignInLink.token_hash))
        assert stored is not None and token not in stored
        opened = await access.redeem_link(session, token, "10.0.0.1")
        assert opened.member.id == member.id
        with pytest.raises(access.SignInRefused):
            await access.redeem_link(session, token, "10.0.0.1")
        assert await actions(session, "console.signed_in") == 1
        assert await actions(session, "console.sign_in_failed") == 1


async def test_a_link_expires_after_ten_minutes(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        token = await access.issue_link(session, await coordinator(session), now=now)
        with pytest.raises(access.SignInRefused):
            await access.redeem_link(session, token, "10.0.0.1", now=now + timedelta(minutes=10, seconds=1))


async def test_a_revoked_staff_member_cannot_use_a_link(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        token = await access.issue_link(session, await coordinator(session))
        await staff.revoke(session, "nino")
        with pytest.raises(access.SignInRefused):
            await access.redeem_link(session, token, "10.0.0.1")


async def test_passwords_are_checked_and_short_ones_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        member = await coordinator(session)
        with pytest.raises(CampaignError):
            await access.set_password(session, member, "short", actor="test")
        assert (await access.sign_in_with_password(session, "nino", PASSWORD, "10.0.0.1")).member is member
        assert (await access.sign_in_with_password(session, "4242", PASSWORD, "10.0.0.1")).member is member
        for wrong_name, wrong_password in (("nino", "nope nope nope"), ("nobody", PASSWORD)):
            with pytest.raises(access.SignInRefused):
                await access.sign_in_with_password(session, wrong_name, wrong_password, "10.0.0.1")


async def test_five_failures_lock_the_account_for_a_while(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        await coordinator(session)
        for attempt in range(access.MAX_FAILURES_PER_ACCOUNT):
            with pytest.raises(access.SignInRefused):
                await access.sign_in_with_password(
                    session, "nino", "wrong guess", f"10.0.0.{attempt}", now=now
                )
        with pytest.raises(access.SignInRefused) as refused:
            await access.sign_in_with_password(session, "nino", PASSWORD, "10.0.1.1", now=now)
        assert "Too many" in refused.value.message.msgid
        assert await actions(session, "console.sign_in_throttled") == 1
        later = now + access.ATTEMPT_WINDOW + timedelta(seconds=1)
        assert await access.sign_in_with_password(session, "nino", PASSWORD, "10.0.1.1", now=later)


async def test_one_address_trying_many_accounts_is_stopped(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        await coordinator(session)
        for attempt in range(access.MAX_FAILURES_PER_ADDRESS):
            with pytest.raises(access.SignInRefused):
                await access.sign_in_with_password(session, f"guess{attempt}", "x" * 12, "10.9.9.9", now=now)
        with pytest.raises(access.SignInRefused):
            await access.sign_in_with_password(session, "nino", PASSWORD, "10.9.9.9", now=now)
        assert await access.sign_in_with_password(session, "nino", PASSWORD, "10.0.0.2", now=now)


async def test_sessions_end_when_idle_or_when_the_password_changes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        member = await coordinator(session)
        first = await access.sign_in_with_password(session, "nino", PASSWORD, "10.0.0.1", now=now)
        assert await access.current(session, first.token, now=now + timedelta(minutes=29)) is not None
        idle_from = now + timedelta(minutes=29) + access.IDLE_LIMIT + timedelta(seconds=1)
        assert await access.current(session, first.token, now=idle_from) is None
        second = await access.sign_in_with_password(session, "nino", PASSWORD, "10.0.0.1", now=now)
        await access.set_password(session, member, "another long password", actor="test")
        assert await access.current(session, second.token, now=now) is None
        assert await session.scalar(select(func.count()).where(WebSession.ended_at.is_(None))) == 0
