"""A reset PostgreSQL test database is the template's again, or refused: tests share databases through it."""

from __future__ import annotations

import asyncpg
import pytest

from tests.conftest import PG_ADMIN_DSN, drop_pg_database, migrated_pg_database
from tests.databases import database_name, pg_dsn
from tests.pg_recycle import Snapshot, reset

pytestmark = pytest.mark.postgres


async def test_a_reset_restores_rows_and_sequences_and_refuses_a_changed_schema() -> None:
    url = await migrated_pg_database()
    name = database_name(url)
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        conn = await asyncpg.connect(pg_dsn(name))
        fresh = await Snapshot.of(conn)
        assert fresh.rows, "the template holds the pilot municipalities"
        sequences = [
            r[0] for r in await conn.fetch("SELECT oid::regclass::text FROM pg_class WHERE relkind = 'S'")
        ]
        assert sequences
        for table, _, _ in fresh.rows:
            await conn.execute(f'DELETE FROM public."{table}"')
        for sequence in sequences:
            await conn.fetchval("SELECT nextval($1::regclass)", sequence)
        left_open = conn  # a test's connection still open: the reset ends it

        assert await reset(admin, pg_dsn(name), name, fresh)
        assert left_open.is_closed() or not await _usable(left_open)
        conn = await asyncpg.connect(pg_dsn(name))
        again = await Snapshot.of(conn)
        assert again == fresh  # the same rows, every sequence where it was, the same schema

        await conn.execute('ALTER TABLE public."municipalities" ADD COLUMN scratch integer')
        await conn.close()
        assert not await reset(admin, pg_dsn(name), name, fresh)
    finally:
        await admin.close()
        await drop_pg_database(url)  # changed: dropped, not handed to another test


async def _usable(conn: asyncpg.Connection) -> bool:
    try:
        await conn.fetchval("SELECT 1")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError, OSError):
        return False
    return True
