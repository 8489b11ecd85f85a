"""Hearings, people and staff for hearing tests, built through the real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hearings import officers
from hearings.definition import HearingDraft
from storage.models.campaigns import Role, StaffMember
from storage.models.deliveries import Delivery
from storage.models.hearings import Hearing
from tests.campaigns.people import add_staff

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday, 14:00 in Tbilisi
STARTS = datetime(2026, 12, 15, 11, 0, tzinfo=UTC)  # 15:00 in Tbilisi


def draft(**overrides: Any) -> HearingDraft:
    data: dict[str, Any] = {
        "municipality": "marneuli",
        "title": {"ka": "ბიუჯეტის განხილვა", "az": "Büdcə müzakirəsi", "en": "Budget hearing"},
        "place": {"ka": "მერია", "az": "Meriya", "en": "City Hall"},
        "starts_at": STARTS,
        "duration_minutes": 120,
        "fallback_language": "ka",
        **overrides,
    }
    return HearingDraft.from_dict(data)


async def coordinator(session: AsyncSession, name: str = "coordinator") -> StaffMember:
    found = await session.scalar(select(StaffMember).where(StaffMember.name == name))
    return found or await add_staff(session, name)


async def officer(
    session: AsyncSession, municipality: str = "marneuli", name: str | None = None
) -> StaffMember:
    return await add_staff(session, name or f"officer-{municipality}", Role.OFFICER, municipality)


async def hearing(
    session: AsyncSession, *, announced: bool = True, now: datetime = NOW, **overrides: Any
) -> Hearing:
    """A hearing created (and by default announced) by a coordinator at `now`."""
    by = await coordinator(session)
    created = await officers.create(session, draft(**overrides), by, now)
    if announced:
        await officers.announce(session, created.id, by, now)
    return created


async def deliveries(session: AsyncSession) -> list[Delivery]:
    return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
