"""The retention periods the privacy notice promises are enforced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from contacts.registry import contact_for
from contacts.retention import purge
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus, InboundEvent

NOW = datetime(2027, 3, 31, 12, 0, tzinfo=UTC)


async def test_inactive_profiles_are_erased_and_active_ones_kept(sessions, vault) -> None:
    async with sessions() as session, session.begin():
        old, _ = await contact_for(
            session, Channel.TELEGRAM, "1", language="ka", now=NOW - timedelta(days=400)
        )
        fresh, _ = await contact_for(
            session, Channel.TELEGRAM, "2", language="ka", now=NOW - timedelta(days=30)
        )
        for contact in (old, fresh):
            contact.status, contact.consent_at = ContactStatus.ACTIVE, contact.created_at
        session.add(InboundEvent(channel="telegram", external_id="9", received_at=NOW - timedelta(days=8)))
        session.add(InboundEvent(channel="telegram", external_id="10", received_at=NOW - timedelta(days=1)))
    async with sessions() as session, session.begin():
        report = await purge(session, vault, now=NOW)
    assert (report.erased_inactive, report.pruned_events) == (1, 1)
    async with sessions() as session:
        statuses = dict((await session.execute(select(Contact.id, Contact.status))).all())
        assert sorted(statuses.values()) == [ContactStatus.ACTIVE, ContactStatus.ERASED]
        assert await session.scalar(select(func.count()).select_from(ChannelIdentity)) == 1


async def test_unfinished_sign_ups_are_dropped_after_a_week(sessions, vault) -> None:
    async with sessions() as session, session.begin():
        await contact_for(session, Channel.SMS, "+995555123456", language="az", now=NOW - timedelta(days=8))
        await contact_for(session, Channel.SMS, "+995555123457", language="az", now=NOW - timedelta(days=2))
    async with sessions() as session, session.begin():
        report = await purge(session, vault, now=NOW)
    assert report.dropped_unfinished == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 1


async def test_purge_twice_changes_nothing_more(sessions, vault) -> None:
    async with sessions() as session, session.begin():
        await purge(session, vault, now=NOW)
        second = await purge(session, vault, now=NOW)
    assert second == type(second)(0, 0, 0)
