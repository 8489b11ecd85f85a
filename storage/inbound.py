"""Provider event ids already handled (Twilio MessageSid, Telegram update_id): a re-send runs once.

Looked up, then inserted, inside the caller's transaction and without a savepoint: on SQLite a savepoint
opened before any write commits on release (pysqlite's transaction handling), which would record the
event even when the transaction that handles it is rolled back. Concurrent deliveries of one event are
serialised by the caller (a per-sender lock); a race that still slips through fails on the unique key.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundEvent


async def record_event(session: AsyncSession, channel: str, external_id: str) -> bool:
    """Record the event; False when it was recorded before (nothing to do)."""
    known = await session.scalar(
        select(InboundEvent.id).where(
            InboundEvent.channel == channel, InboundEvent.external_id == external_id
        )
    )
    if known is not None:
        return False
    session.add(InboundEvent(channel=channel, external_id=external_id))
    await session.flush()
    return True
