"""One address's events wait for each other across connections; other addresses and channels do not."""

from __future__ import annotations

import asyncio

import pytest

from storage.locks import lock_address


async def test_same_address_waits_other_addresses_do_not(sessions, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers itself; the advisory lock is PostgreSQL's")
    async with sessions() as first, first.begin():
        await lock_address(first, "telegram", "42")
        async with sessions() as other, other.begin():
            await asyncio.wait_for(lock_address(other, "sms", "42"), 2)
            await asyncio.wait_for(lock_address(other, "telegram", "43"), 2)
        async with sessions() as second, second.begin():
            waiting = asyncio.ensure_future(lock_address(second, "telegram", "42"))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            await first.commit()
            await asyncio.wait_for(waiting, 5)
