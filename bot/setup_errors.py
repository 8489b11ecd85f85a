"""Set-up mistakes in one line with what to do, instead of a traceback (`--debug` shows the traceback).

A municipality's administrator meets these on the first day: PostgreSQL not running, a database not
created, the schema not migrated, the CLI run from another folder (the default SQLite file is relative to
the working directory, so a new empty one appears there).
"""

from __future__ import annotations

import asyncio
import errno
import socket

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, ProgrammingError

from storage.db import create_engine_unpooled, is_sqlite


def shown_url(url: str) -> str:
    """The database URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is itself the problem; show it as given
        return url


_UNREACHABLE = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EADDRNOTAVAIL,
}


def _unreachable(exc: BaseException) -> bool:
    """A connection that could not be made (asyncpg raises these unwrapped, before any DBAPI call)."""
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True
    # asyncpg joins the failures of every address it tried into one plain OSError without an errno
    return type(exc) is OSError and (exc.errno in _UNREACHABLE or "connect" in str(exc).lower())


def explain(exc: BaseException, url: str) -> str | None:
    """One line for a set-up problem, or None when `exc` is not one (a bug: show the traceback).

    Only database errors and failed connections are explained: the same words in any other exception
    (a missing file, a ValueError saying "does not exist") are a different problem and keep their traceback.
    """
    if not (isinstance(exc, DBAPIError) or _unreachable(exc)):
        return None
    raw = str(getattr(exc, "orig", None) or exc).strip()
    message = raw.splitlines()[0] if raw else type(exc).__name__
    lowered = message.lower()
    where = shown_url(url)
    if isinstance(exc, ProgrammingError | OperationalError) and (
        "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered)
    ):
        hint = (
            " (the default SQLite file is relative to the current folder: run from the project folder "
            "or set DATABASE_URL to an absolute path)"
            if is_sqlite(url)
            else ""
        )
        return f"the database at {where} has no civicbot schema yet: run `civicbot db upgrade`{hint}"
    if is_sqlite(url) and "unable to open database file" in lowered:
        return (
            f"there is no database file at {where}: run `civicbot db upgrade` from the project folder "
            "(it creates one), or set DATABASE_URL to an absolute path"
        )
    if "database" in lowered and "does not exist" in lowered:
        name = make_url(url).database or "civicbot"
        return (
            f"the database {name!r} does not exist on {where}: create it (createdb {name}), "
            "then run `civicbot db upgrade`"
        )
    if "password authentication failed" in lowered or ("role" in lowered and "does not exist" in lowered):
        return f"PostgreSQL refused the user in DATABASE_URL ({where}): {message}"
    if (
        _unreachable(exc)
        or isinstance(exc, InterfaceError | OperationalError)
        or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
        or "the database system is" in lowered  # starting up / shutting down / in recovery mode
    ):
        return (
            f"cannot reach the database at {where} ({message}): is PostgreSQL running, and is DATABASE_URL "
            "right? Without DATABASE_URL civicbot uses an SQLite file in ./var"
        )
    return None


async def check_database(url: str) -> None:
    """Connect and look for the schema, raising what `explain` turns into advice."""
    engine = create_engine_unpooled(url)
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1 FROM municipalities LIMIT 1")), 15)
    finally:
        await engine.dispose()
