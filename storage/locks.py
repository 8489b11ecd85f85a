"""Serialising one person's inbound events across replicas (PostgreSQL; SQLite has one writer anyway)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def lock_address(session: AsyncSession, channel: str, address: str) -> None:
    """Hold a transaction-scoped advisory lock on `channel:address` until the transaction ends.

    The key is hashed from the namespaced text, so Telegram ids and phone numbers never share a lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"{channel}:{address}"}
        )
