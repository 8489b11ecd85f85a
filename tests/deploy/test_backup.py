"""The backup runbook (deploy/README.md) works: a PostgreSQL database dumped mid-delivery with `pg_dump -Fc`
and restored with `pg_restore` into a new database holds every row of every table and the same Alembic
revision."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import update

from channels.outbox import enqueue
from storage.db import create_engine, session_factory, unit_of_work
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.channels.recipients import add_people, items_for
from tests.conftest import create_pg_database, drop_pg_database, migrated_pg_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def libpq_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def row_counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}
    finally:
        await conn.close()


async def revisions(url: str) -> list[str]:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        return sorted(r["version_num"] for r in await conn.fetch("SELECT version_num FROM alembic_version"))
    finally:
        await conn.close()


async def run(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(*command, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()


async def seed_mid_delivery(url: str) -> None:
    """People and a broadcast half sent: some outbox rows sent, the rest still pending."""
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        people = await add_people(sessions, 300)
        async with unit_of_work(sessions) as session:
            await enqueue(session, items_for(people))
        async with unit_of_work(sessions) as session:
            await session.execute(
                update(Delivery).where(Delivery.id % 2 == 0).values(status=DeliveryStatus.SENT)
            )
    finally:
        await engine.dispose()


@pytest.mark.skipif(
    shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="pg_dump/pg_restore not installed",
)
async def test_dump_and_restore_keep_every_row(tmp_path: Path) -> None:
    source = await migrated_pg_database()
    target = await create_pg_database()
    try:
        await seed_mid_delivery(source)
        dump = tmp_path / "civicbot.dump"
        await run("pg_dump", "-Fc", "--no-owner", "-f", str(dump), "-d", libpq_dsn(source))
        await run("pg_restore", "--no-owner", "--exit-on-error", "-d", libpq_dsn(target), str(dump))

        before, after = await row_counts(source), await row_counts(target)
        assert before["deliveries"] == 300 and before["contacts"] >= 300
        assert after == before
        assert await revisions(target) == await revisions(source)
    finally:
        await drop_pg_database(source)
        await drop_pg_database(target)
