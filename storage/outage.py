"""Whether a failure means the database could not be reached or did not answer in time (the same work can
be retried unchanged later) rather than that the work itself went wrong.

The inbound spool (`handlers.spool`) keeps a message for later on the first kind and gives up on the
second, as the webhook always did. PostgreSQL says which kind by SQLSTATE: connection exceptions (08),
insufficient resources (53), operator intervention such as a shutdown or a statement timeout (57),
serialisation failures and deadlocks (40001, 40P01) and lock timeouts (55P03); SQLite by raising
`OperationalError` ("database is locked"). Retrying any of them is safe: every inbound event is
recorded once by its provider id (`storage.inbound`).
"""

from __future__ import annotations

import asyncio

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57")
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
_UNAVAILABLE = (
    TimeoutError,  # asyncio.TimeoutError too: our own time limits, a connect timeout
    OSError,  # refused, reset, unreachable: asyncpg raises these unwrapped when connecting
    sa_exc.TimeoutError,  # no pooled connection came free in time
    sa_exc.DisconnectionError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
)


class DatabaseUnavailable(Exception):
    """The work was not done because the database did not answer; it may be retried unchanged."""


def database_unavailable(error: BaseException) -> bool:
    """True when `error` says the database was down, stuck or out of connections.

    Only the error itself and the driver's error it wraps are read, not what caused them: a Bot API call
    that timed out after the commit is not a database outage, and retrying it would skip its replies.
    """
    for link in (error, getattr(error, "orig", None)):
        if isinstance(link, (DatabaseUnavailable, *_UNAVAILABLE)):
            return True
        if isinstance(link, sa_exc.DBAPIError) and link.connection_invalidated:
            return True
        state = getattr(link, "sqlstate", None)
        if isinstance(state, str) and (
            state.startswith(TRANSIENT_SQLSTATE_CLASSES) or state in TRANSIENT_SQLSTATES
        ):
            return True
    return False


async def database_answers(engine: AsyncEngine, timeout: float) -> bool:  # noqa: ASYNC109
    """A `SELECT 1` within `timeout` seconds: the database is up and not stopped."""
    try:
        async with asyncio.timeout(timeout), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure is an answer: not now
        return False
    return True
