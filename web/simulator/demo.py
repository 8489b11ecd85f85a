"""The line `civicbot serve` logs when demo data is present, so the first command shows a working bot."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models.surveys import SurveyRecord, SurveyStatus


async def simulator_hint(
    sessions: async_sessionmaker[AsyncSession], host: str, port: int, public_base_url: str | None = None
) -> str | None:
    """ "Talk to the bot in a browser: http://127.0.0.1:8080/try" when a survey is open; else None."""
    async with sessions() as session:
        found = await session.scalar(
            select(SurveyRecord.id).where(SurveyRecord.status == SurveyStatus.OPEN).limit(1)
        )
    if found is None:
        return None
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = (public_base_url or f"http://{shown_host}:{port}").rstrip("/")
    return f"demo data is present: talk to the bot in a browser at {base}/try (public pages: {base}/)"
