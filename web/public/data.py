"""What the public pages show, read once per short while: municipalities, hearings, public results, the
action plan. Cached in this process for `TTL` seconds (language-independent data; each reader's page is
rendered from it in their language), so a burst of readers costs one round of queries.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarking.actionplan_views import PlanView, load
from benchmarking.actionplans import local_today
from hearings.calendar import upcoming
from storage.base import utcnow
from storage.models import Municipality
from storage.models.hearings import Hearing
from surveys.publication import PublicSurvey, public_results

TTL = 30.0
T = TypeVar("T")


@dataclass(frozen=True)
class MunicipalityPage:
    place: Municipality
    hearings: list[Hearing]
    surveys: list[PublicSurvey]
    plan: PlanView
    today: date


class PublicData:
    """Per-process cache in front of the queries; `clock` injectable for tests."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[tuple[str, ...], tuple[float, Any]] = {}
        self._pages: dict[tuple[str, ...], tuple[float, bytes, str | None]] = {}

    def rendered(self, key: tuple[str, ...]) -> tuple[bytes, str | None] | None:
        """A page already rendered for this path, query and language, while it is fresh."""
        hit = self._pages.get(key)
        return (hit[1], hit[2]) if hit is not None and hit[0] > self.clock() else None

    def keep(self, key: tuple[str, ...], body: bytes, media_type: str | None) -> None:
        if self.ttl > 0:
            if len(self._pages) > 2000:  # bounded: a crawler's odd queries cannot grow it for ever
                self._pages.clear()
            self._pages[key] = (self.clock() + self.ttl, body, media_type)

    async def _cached(self, key: tuple[str, ...], load_fresh: Callable[[AsyncSession], Awaitable[T]]) -> T:
        now = self.clock()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            value: T = hit[1]
            return value
        async with self.sessions() as session:
            fresh = await load_fresh(session)
        self._cache[key] = (now + self.ttl, fresh)
        return fresh

    async def municipalities(self) -> list[Municipality]:
        async def fetch(session: AsyncSession) -> list[Municipality]:
            return list((await session.scalars(select(Municipality).order_by(Municipality.id))).all())

        return await self._cached(("municipalities",), fetch)

    async def municipality(self, code: str, *, with_simulated: int | None = None) -> MunicipalityPage | None:
        """`with_simulated`: a simulator user's own view, with their test answers counted (never cached)."""

        async def fetch(session: AsyncSession) -> MunicipalityPage | None:
            place = await session.scalar(select(Municipality).where(Municipality.code == code))
            if place is None:
                return None
            now = utcnow()
            today = local_today(now)
            return MunicipalityPage(
                place,
                await upcoming(session, place, now=now),
                await public_results(session, place, with_simulated=with_simulated),
                await load(session, place, today),
                today,
            )

        if with_simulated is not None:
            async with self.sessions() as session:
                return await fetch(session)
        return await self._cached(("municipality", code), fetch)
