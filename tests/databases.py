"""Test databases from one migrated, seeded template per backend, instead of migrating one per test.

PostgreSQL: the template `civicbot_template_<digest>` is built once (under an advisory lock, so several
pytest processes at once build it once) and named after a digest of everything that shapes it (the
migrations, the models, the seed), so a template left by an earlier run of other migrations is never
reused. A background thread clones it ahead of the tests (`CREATE DATABASE … TEMPLATE`, whose cost is
mostly waiting on the disk) and puts the databases tests are done with back into the template's state for
the next test (`tests/pg_recycle.py`: a reset is far cheaper than the checkpoint a drop costs), so a test
waits for neither. SQLite: the template is a file, copied for each test.

Every test still gets a database of its own; nothing here is shared between two tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import queue
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from pathlib import Path

import asyncpg

from storage.db import create_engine, session_factory, unit_of_work
from storage.migrate import upgrade
from storage.seed import seed_municipalities
from tests.pg_recycle import Snapshot, reset

PG_ADMIN_DSN = os.environ.get("CIVICBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
TEST_PREFIX = "civicbot_test_"
TEMPLATE_PREFIX = "civicbot_template_"
_BUILD_PREFIX = "civicbot_build_"
_LOCK_KEY = 0x63697669_63746D70  # "civi" "ctmp": one advisory lock for every template build
_UNUSED_TEMPLATE_SECONDS = 3600  # a template no session started with for this long is dropped
_STORAGE = Path(__file__).resolve().parents[1] / "storage"


def schema_digest() -> str:
    """A digest of the files a template is built from: every migration (all branches), models, seed."""
    digest = hashlib.sha256()
    files = [*_STORAGE.glob("migrations/**/*.py"), *_STORAGE.glob("models/**/*.py"), _STORAGE / "seed.py"]
    for path in sorted(files):
        digest.update(str(path.relative_to(_STORAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def pg_dsn(name: str) -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name


def pg_url(name: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def migrate_and_seed(url: str) -> None:
    """What every template holds: the schema at all heads and the pilot municipalities."""
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            await seed_municipalities(session)
    finally:
        await engine.dispose()


async def pg_available() -> bool:
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def create_empty(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def ensure_pg_template(conn: asyncpg.Connection, digest: str) -> str:
    """The template for `digest`, built if no process has built it (one builder at a time)."""
    name = TEMPLATE_PREFIX + digest
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            for (stale,) in await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1", _BUILD_PREFIX + "%"
            ):
                await conn.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')  # a crashed build
            build = f"{_BUILD_PREFIX}{uuid.uuid4().hex[:12]}"
            await conn.execute(f'CREATE DATABASE "{build}"')
            try:
                await migrate_and_seed(pg_url(build))
                await conn.execute(f'ALTER DATABASE "{build}" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true')
                # Under its name only once complete: no process ever clones a half-built template.
                await conn.execute(f'ALTER DATABASE "{build}" RENAME TO "{name}"')
            except BaseException:
                await conn.execute(f'DROP DATABASE IF EXISTS "{build}" WITH (FORCE)')
                raise
        await conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{int(time.time())}'")  # last used
        await _drop_unused_templates(conn, keep=name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return name


async def _drop_unused_templates(conn: asyncpg.Connection, keep: str) -> None:
    rows = await conn.fetch(
        "SELECT datname, shobj_description(oid, 'pg_database') AS used FROM pg_database "
        "WHERE datname LIKE $1 AND datname <> $2",
        TEMPLATE_PREFIX + "%",
        keep,
    )
    for row in rows:
        used = row["used"]
        if used is not None and used.isdigit() and time.time() - int(used) < _UNUSED_TEMPLATE_SECONDS:
            continue
        try:
            await conn.execute(f'ALTER DATABASE "{row["datname"]}" WITH IS_TEMPLATE false')
            await conn.execute(f'DROP DATABASE "{row["datname"]}"')
        except asyncpg.PostgresError:
            pass  # being cloned right now: it goes next time


class PgClones:
    """Migrated databases cloned from the template by a background thread, `ahead` of the tests, and
    reset for the next test once a test is done with them (dropped only at the end, or when a test
    changed the schema).

    Resets, clones and drops run on `connections` connections at once: their cost is mostly waiting on
    the disk, which several share.
    """

    def __init__(self, ahead: int = 4, connections: int = 2) -> None:
        self._ahead, self._connections = ahead, connections
        self._ready: queue.Queue[str] = queue.Queue()
        self._dropping: queue.Queue[str] = queue.Queue()
        self._returned: queue.Queue[str] = queue.Queue()  # done with by a test: to reset or drop
        self._ours: set[str] = set()  # clones of the template made (or adopted) here: resettable
        self._snapshot: Snapshot | None = None
        self._cloning = 0
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._changed = asyncio.Event()
        self._template_lock = asyncio.Lock()
        self._template = ""
        self._thread = threading.Thread(target=self._run, name="pg-clones", daemon=True)
        self._thread.start()

    def take(self, timeout: float = 300.0) -> str:
        """The name of a new migrated, seeded database, now the caller's alone."""
        deadline = time.monotonic() + timeout
        while True:
            if self._failure is not None:
                raise RuntimeError("could not prepare PostgreSQL test databases") from self._failure
            try:
                name = self._ready.get(timeout=0.05)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise TimeoutError("no PostgreSQL test database ready in time") from None
                continue
            self._poke()
            return name

    def discard(self, name: str) -> None:
        """Take back a database a test is done with, without making the test wait: a clone is reset
        for the next test, anything else dropped."""
        (self._returned if name in self._ours else self._dropping).put(name)
        self._poke()

    def adopt(self, name: str) -> None:
        """`name` is now a clone of the template (renamed from one): reset it, not drop it, when done."""
        self._ours.add(name)

    def close(self) -> None:
        """Drop every database left (the pool of clones, the drops not done yet) and stop."""
        self._stop.set()
        self._poke()
        self._thread.join(timeout=300)

    def _poke(self) -> None:
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._changed.set)

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # handed to the test that waits for a database
            self._failure = exc
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            self._template = await ensure_pg_template(conn, schema_digest())
        finally:
            await conn.close()
        await asyncio.gather(*(self._work() for _ in range(self._connections)))
        left: set[str] = set()  # every connection has stopped by now
        for waiting in (self._ready, self._returned, self._dropping):
            while not waiting.empty():
                left.add(waiting.get())
        # At once: concurrent drops share PostgreSQL's checkpoints instead of forcing one each.
        await asyncio.gather(*(drop(name) for name in left))

    async def _work(self) -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            while True:
                self._changed.clear()
                if self._stop.is_set():
                    return
                if not self._returned.empty():
                    await self._recycle(conn, self._returned.get())
                elif not self._dropping.empty():
                    await conn.execute(f'DROP DATABASE IF EXISTS "{self._dropping.get()}" WITH (FORCE)')
                elif self._ready.qsize() + self._cloning < self._ahead:
                    self._cloning += 1
                    try:
                        self._ready.put(await self._clone(conn))
                    finally:
                        self._cloning -= 1
                else:
                    await self._changed.wait()
        finally:
            await conn.close()

    async def _recycle(self, conn: asyncpg.Connection, name: str) -> None:
        assert self._snapshot is not None
        if await reset(conn, pg_dsn(name), name, self._snapshot):
            self._ready.put(name)
        else:  # the test changed the schema
            self._ours.discard(name)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _clone(self, conn: asyncpg.Connection) -> str:
        name = f"{TEST_PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        except asyncpg.InvalidCatalogNameError:  # another run dropped it as unused: build it again
            async with self._template_lock:
                self._template = await ensure_pg_template(conn, schema_digest())
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        # A commit need not wait for the disk: only a crash of the server itself could lose it.
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        if self._snapshot is None:  # the first clone, untouched yet: what every reset goes back to
            async with self._template_lock:
                if self._snapshot is None:
                    fresh = await asyncpg.connect(pg_dsn(name))
                    try:
                        self._snapshot = await Snapshot.of(fresh)
                    finally:
                        await fresh.close()
        self._ours.add(name)
        return name


class SqliteTemplate:
    """One migrated, seeded SQLite file, copied for each test."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._path: Path | None = None

    def place_in(self, folder: Path) -> None:
        self._folder = folder

    async def copy_to(self, target: Path) -> None:
        if self._path is None:
            await self._build()
        assert self._path is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._path, target)

    async def _build(self) -> None:
        folder = self._folder or Path(tempfile.mkdtemp(prefix="civicbot-template-"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"template-{schema_digest()}.sqlite3"
        path.unlink(missing_ok=True)
        await migrate_and_seed(f"sqlite+aiosqlite:///{path}")
        _into_one_file(path)
        self._path = path


def _into_one_file(path: Path) -> None:
    """Checkpoint the write-ahead log into the main file, so copying that one file copies the database."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the SQLite template is not in one file"


class Templates:
    """The per-session state: the SQLite template file and the PostgreSQL clones, both made on first use."""

    def __init__(self) -> None:
        self.sqlite = SqliteTemplate()
        self._pg: PgClones | None = None
        self._pg_checked: bool | None = None
        self.prepared: set[str] = set()  # URLs that are already a migrated, seeded clone

    async def pg_available(self) -> bool:
        if self._pg_checked is None:
            self._pg_checked = await pg_available()
        return self._pg_checked

    async def pg_clone(self) -> str:
        if self._pg is None:
            self._pg = PgClones()
        name = await asyncio.to_thread(self._pg.take)
        url = pg_url(name)
        self.prepared.add(url)
        return url

    async def sqlite_clone(self, path: Path) -> str:
        await self.sqlite.copy_to(path)
        url = f"sqlite+aiosqlite:///{path}"
        self.prepared.add(url)
        return url

    async def discard(self, url: str) -> None:
        """Hand back a PostgreSQL database a test is done with: reset for another test or dropped (in the
        background once clones are made)."""
        self.prepared.discard(url)
        if not url.startswith("postgresql"):
            return
        if self._pg is not None:
            self._pg.discard(database_name(url))
        else:
            await drop(database_name(url))

    async def prepare(self, url: str) -> None:
        """Make the empty database at `url` migrated and seeded: a clone where possible, else migrations."""
        if url in self.prepared:
            return
        if url.startswith("sqlite"):
            path = Path(url.split("///", 1)[1])
            if not _exists(path):
                await self.sqlite_clone(path)
                return
        elif database_name(url).startswith(TEST_PREFIX) and await self._replace_if_empty(url):
            self.prepared.add(url)
            return
        await migrate_and_seed(url)

    async def _replace_if_empty(self, url: str) -> bool:
        """Swap an empty test database (nothing connected) for a clone under the same name."""
        name = database_name(url)
        probe = await asyncpg.connect(pg_dsn(name))
        try:
            tables = await probe.fetchval(
                "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            )
        finally:
            await probe.close()
        if tables:
            return False
        clone = database_name(await self.pg_clone())
        emptied = f"{TEST_PREFIX}{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:  # renames, not a drop, which would wait for a checkpoint; a rename refuses while anyone is connected
            await conn.execute(f'ALTER DATABASE "{name}" RENAME TO "{emptied}"')
        except asyncpg.PostgresError:
            await self.discard(pg_url(clone))
            return False
        finally:
            await conn.close()
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'ALTER DATABASE "{clone}" RENAME TO "{name}"')
        finally:
            await conn.close()
        self.prepared.discard(pg_url(clone))
        assert self._pg is not None
        self._pg.adopt(name)
        await self.discard(pg_url(emptied))
        return True

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
            self._pg = None


def _exists(path: Path) -> bool:
    return path.exists()


TEMPLATES = Templates()
