"""Provider event ids already handled (Twilio MessageSid, Telegram update_id): a re-send runs once.

Recorded inside the caller's transaction with one `INSERT … ON CONFLICT DO NOTHING` (SQLite: the same
clause, `INSERT OR IGNORE`'s spelling with a conflict target): no look-up first and no savepoint. A
savepoint would cost two more round trips, and on SQLite one opened before any write commits on release
under pysqlite's own transaction handling (`storage.db` turns that off), which would record the event
even when the transaction that handles it is rolled back. Concurrent deliveries of one event are
serialised by the caller (a per-sender lock); two that still race meet at the unique key, where the
second waits for the first's transaction and then inserts nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import utcnow
from storage.models import InboundEvent


async def record_events(
    session: AsyncSession, events: Sequence[tuple[str, str]], now: datetime | None = None
) -> set[tuple[str, str]]:
    """Record several (channel, event id) at once; returns those recorded now (the others were before)."""
    if not events:
        return set()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    at = now or utcnow()
    statement = (
        insert(InboundEvent)
        .values([{"channel": c, "external_id": e, "received_at": at} for c, e in events])
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(InboundEvent.channel, InboundEvent.external_id)
    )
    return {(channel, external_id) for channel, external_id in (await session.execute(statement)).all()}


async def record_event(
    session: AsyncSession, channel: str, external_id: str, now: datetime | None = None
) -> bool:
    """Record the event; False when it was recorded before (nothing to do)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(InboundEvent)
        .values(channel=channel, external_id=external_id, received_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
