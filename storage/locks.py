"""Serialising one person's inbound events across replicas (PostgreSQL; SQLite has one writer anyway)."""

from __future__ import annotations

from collections.abc import Iterable

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


async def lock_addresses(session: AsyncSession, addresses: Iterable[tuple[str, str]]) -> None:
    """`lock_address` for several (channel, address) in one statement, in sorted order: two transactions
    that take overlapping sets this way never wait on each other in a circle."""
    keys = sorted({f"{channel}:{address}" for channel, address in addresses})
    if keys and session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(CAST(:keys AS text[])) AS k"
            ),
            {"keys": keys},
        )
