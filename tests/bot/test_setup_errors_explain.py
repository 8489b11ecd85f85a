"""Which exceptions become one line of set-up advice: database errors and failed connections only."""

from __future__ import annotations

import errno

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot.setup_errors import explain

PG = "postgresql+asyncpg://postgres:secret@db.example:5432/civicbot"


class _Driver(Exception):
    """What a DBAPI driver raises; SQLAlchemy wraps it."""


def _wrapped(cls: type[DBAPIError], message: str) -> DBAPIError:
    return cls("SELECT 1", None, _Driver(message))


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"), "cannot reach the database"),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed"), "cannot reach the database"),
        (TimeoutError(), "cannot reach the database"),
        (_wrapped(DBAPIError, 'database "civicbot" does not exist'), "does not exist on"),
        (_wrapped(DBAPIError, 'role "nobody" does not exist'), "PostgreSQL refused the user"),
        (_wrapped(OperationalError, "no such table: municipalities"), "no civicbot schema yet"),
        (_wrapped(DBAPIError, "the database system is starting up"), "cannot reach the database"),
    ],
    ids=["refused", "every-address-failed", "timeout", "no-database", "no-role", "no-schema", "starting"],
)
def test_set_up_problems_get_one_line(exc: BaseException, expected: str) -> None:
    advice = explain(exc, PG)
    assert advice is not None and expected in advice
    assert "secret" not in advice


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("survey 'x' does not exist"),
        RuntimeError("could not connect the answer to a question"),
        FileNotFoundError(errno.ENOENT, "No such file or directory", "campaign.yaml"),
        PermissionError(errno.EACCES, "Permission denied"),
        _wrapped(IntegrityError, "duplicate key value violates unique constraint"),
    ],
    ids=["value-error", "runtime-error", "missing-file", "permission", "integrity"],
)
def test_other_errors_keep_their_traceback(exc: BaseException) -> None:
    assert explain(exc, PG) is None
