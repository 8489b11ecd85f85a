"""An inbound spool (`handlers.spool.Intake`) for tests that mount a webhook without the whole service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from handlers.spool import Intake, SpoolSettings


async def database_answers() -> bool:
    return True


@asynccontextmanager
async def running_intake(directory: Path, *, spool_after_ms: int = 500) -> AsyncIterator[Intake]:
    """Started on a spool of its own under `directory`; the database is taken to answer."""
    intake = Intake(directory / "inbound-spool", "test", database_answers,
                    SpoolSettings(inbound_spool_after_ms=spool_after_ms))  # fmt: skip
    intake.start()
    try:
        yield intake
    finally:
        await intake.stop()
