"""A database error never carries what a person typed: parameters are hidden from errors and logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.logging import QUIET_LOGGERS, configure_logging

ANSWER = "my neighbour Nino Beridze, +995 555 12 34 56, is ill"


@pytest.fixture
def debug_logging() -> Iterator[None]:
    """The service's logging at its most verbose; the test runner's own handlers restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    configure_logging("DEBUG")
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


async def test_a_failed_statement_shows_no_parameters(sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises((IntegrityError, DBAPIError)) as failure:
        async with sessions() as session, session.begin():
            await session.execute(
                text("INSERT INTO municipalities (id, code) VALUES (:id, :code)"),
                {"id": None, "code": ANSWER},
            )
    assert ANSWER not in str(failure.value)
    assert "hidden due to hide_parameters" in str(failure.value)


@pytest.mark.usefixtures("debug_logging")
def test_drivers_that_log_parameters_stay_quiet_even_at_debug() -> None:
    assert logging.getLogger().level == logging.DEBUG
    for name in QUIET_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
