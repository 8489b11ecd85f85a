"""A PostgreSQL test database a test is done with, put back into the template's state for the next test.

Dropping a database costs PostgreSQL 15 a checkpoint (`DROP DATABASE` forces one), which flushes every
dirty page of the whole server: on the shared test machine that was seconds per drop, and the next
clones waited behind the drops. A reset is one round trip of small statements instead: every row goes
(`DELETE` with the foreign-key triggers off, as `pg_restore --disable-triggers` does), the template's rows
and every sequence's position come back from a snapshot of a fresh clone, and a fingerprint of the
schema first checks that the test changed no structure. A database whose schema differs from the
snapshot's (a test ran DDL or a downgrade) is dropped instead, so the next test never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

# Everything structural a test could change: relations with their columns, defaults and options,
# indexes, constraints, types and enum labels, functions, triggers, schemas, extensions, sequences'
# parameters, the database's own settings and large objects.
_FINGERPRINT = r"""
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_%'
)
SELECT md5(coalesce(string_agg(item, E'\n' ORDER BY item), '')) FROM (
    SELECT 'n ' || nspname AS item FROM ns
    UNION ALL
    SELECT 'r ' || ns.nspname || '.' || c.relname || ' ' || c.relkind::text || ' '
        || coalesce(array_to_string(c.reloptions, ','), '') || ' '
        || coalesce((
            SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
                || a.attnotnull::text || ' ' || a.attgenerated::text || a.attidentity::text || ' '
                || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum)
            FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        ), '')
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    UNION ALL
    SELECT 'i ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN ns ON ns.oid = c.relnamespace
    UNION ALL
    SELECT 'k ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(k.oid)
    FROM pg_constraint k JOIN ns ON ns.oid = k.connamespace
    UNION ALL
    SELECT 't ' || ns.nspname || '.' || t.typname || ' ' || t.typtype::text || ' '
        || coalesce((SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder)
                     FROM pg_enum WHERE enumtypid = t.oid), '')
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    UNION ALL
    SELECT 'f ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc)
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION ALL
    SELECT 'g ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT 'x ' || extname || ' ' || extversion FROM pg_extension
    UNION ALL
    SELECT 's ' || seqrelid::regclass::text || ' ' || seqtypid || ' ' || seqstart || ' ' || seqincrement
        || ' ' || seqmax || ' ' || seqmin || ' ' || seqcache || ' ' || seqcycle::text
    FROM pg_sequence
    UNION ALL
    SELECT 'd ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
    UNION ALL
    SELECT 'l ' || count(*) FROM pg_largeobject_metadata
) AS items
"""

_TABLES = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""
_COLUMNS = """
SELECT attname FROM pg_attribute
WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum
"""
_SEQUENCES = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' ORDER BY c.relname
"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Snapshot:
    """What a fresh clone of the template holds, taken once per session from the first clone."""

    fingerprint: str
    rows: list[tuple[str, list[str], list[asyncpg.Record]]]  # (table, columns, rows): non-empty tables
    wipe: str  # the statements that empty every table and put every sequence back

    @classmethod
    async def of(cls, conn: asyncpg.Connection) -> Snapshot:
        rows: list[tuple[str, list[str], list[asyncpg.Record]]] = []
        statements = ["SET LOCAL session_replication_role = replica"]  # no FK triggers: any order
        for table in [r[0] for r in await conn.fetch(_TABLES)]:
            statements.append(f"DELETE FROM public.{_quoted(table)}")
            columns = [r[0] for r in await conn.fetch(_COLUMNS, f"public.{_quoted(table)}")]
            listed = ", ".join(_quoted(c) for c in columns)
            found = await conn.fetch(f"SELECT {listed} FROM public.{_quoted(table)}")
            if found:
                rows.append((table, columns, found))
        for sequence in [r[0] for r in await conn.fetch(_SEQUENCES)]:
            qualified = f"public.{_quoted(sequence)}"
            state = await conn.fetchrow(f"SELECT last_value, is_called FROM {qualified}")
            assert state is not None
            literal = qualified.replace("'", "''")
            statements.append(f"SELECT setval('{literal}', {state['last_value']}, {state['is_called']})")
        return cls(await conn.fetchval(_FINGERPRINT), rows, ";\n".join(statements))


async def reset(admin: asyncpg.Connection, dsn: str, name: str, snapshot: Snapshot) -> bool:
    """Put database `name` back into the snapshot's state; False (nothing changed) if its schema differs."""
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        name,
    )  # a test's connection left open must not see the next test's data
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval(_FINGERPRINT) != snapshot.fingerprint:
            return False
        async with conn.transaction():
            await conn.execute(snapshot.wipe)
            for table, columns, records in snapshot.rows:
                await conn.copy_records_to_table(
                    table, records=records, columns=columns, schema_name="public"
                )
    finally:
        await conn.close()
    return True
