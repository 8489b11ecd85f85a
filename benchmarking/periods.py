"""Measurement periods, officers' self-assessment scores and resident counts: what people enter by hand.

Periods are named ("2026-baseline") with inclusive dates in Tbilisi time and never overlap, so an answer
belongs to at most one period. A self-assessment is entered by an officer of that municipality or a
coordinator (the same scope rule as hearings), for an indicator whose source is `self_assessment`, on
the indicator's own scale; every entry and every refusal is in the audit log. Services flush; the
caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.framework import Framework, Source
from campaigns.errors import InvalidDefinition, NotFound, ScopeDenied
from campaigns.municipalities import unknown_municipality
from channels.i18n import TIMEZONE
from channels.message import Content, Text
from contacts.registry import audit, municipality_by_code
from storage.base import utcnow
from storage.models import Municipality
from storage.models.benchmarking import BenchmarkPeriod, MunicipalityPopulation, SelfAssessment
from storage.models.campaigns import Role, StaffMember

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
# Residents at the 2014 General Population Census (Geostat, the National Statistics Office of Georgia),
# used until an officer enters a newer figure (`civicbot benchmark population set`). These were first
# typed from memory; checked on 2026-12-04 against secondary sources quoting the census, not against
# Geostat's own tables, which could not be reached from here. TO VERIFY against Geostat's 2014 census
# results before a report is published:
# - batumi 152,839: the census figure quoted for Batumi city (Wikipedia, "Batumi", demography).
# - chokhatauri 19,001: quoted as the 2014 population (Wikipedia, "Chokhatauri Municipality").
# - dmanisi 19,141: the census table of Wikipedia's "Dmanisi Municipality" (source: "Population
#   statistics Georgia"); 19,094 had been entered from memory.
# - marneuli 104,300: not found in any source reachable here (they give 2018/2021 estimates only).
CENSUS_2014 = {"batumi": 152_839, "chokhatauri": 19_001, "dmanisi": 19_141, "marneuli": 104_300}
CENSUS_SOURCE = "Geostat, 2014 General Population Census"


@dataclass(frozen=True)
class Window:
    """A period as UTC instants: `start` inclusive, `end` exclusive."""

    name: str
    start: datetime
    end: datetime
    starts_on: date
    ends_on: date
    period_id: int  # the answer tallies are counted per stored period


def window(period: BenchmarkPeriod) -> Window:
    start = datetime.combine(period.starts_on, time(), TIMEZONE).astimezone(UTC)
    end = datetime.combine(period.ends_on + timedelta(days=1), time(), TIMEZONE).astimezone(UTC)
    return Window(period.name, start, end, period.starts_on, period.ends_on, period.id)


async def add_period(
    session: AsyncSession,
    name: str,
    starts_on: date,
    ends_on: date,
    *,
    actor: str,
    now: datetime | None = None,
) -> BenchmarkPeriod:
    if not _NAME.match(name):
        raise InvalidDefinition(Text("A period name is 1-40 letters, digits, dots, dashes or underscores."))
    if ends_on < starts_on:
        raise InvalidDefinition(Text("A period cannot end before it starts."))
    if await session.scalar(select(BenchmarkPeriod.id).where(BenchmarkPeriod.name == name)):
        raise InvalidDefinition(Text.of("There is already a period called {name}.", name=name))
    overlapping = await session.scalar(
        select(BenchmarkPeriod.name).where(
            BenchmarkPeriod.starts_on <= ends_on, BenchmarkPeriod.ends_on >= starts_on
        )
    )
    if overlapping:
        raise InvalidDefinition(
            Text.of("Periods cannot overlap: {name} covers some of these days.", name=overlapping)
        )
    period = BenchmarkPeriod(
        name=name, starts_on=starts_on, ends_on=ends_on, created_by=actor, created_at=now or utcnow()
    )
    session.add(period)
    await session.flush()
    await audit(session, actor, "benchmark.period_added", f"period:{period.id}", now=now)
    return period


async def periods(session: AsyncSession) -> list[BenchmarkPeriod]:
    return list((await session.scalars(select(BenchmarkPeriod).order_by(BenchmarkPeriod.starts_on))).all())


async def period_by_name(session: AsyncSession, name: str) -> BenchmarkPeriod:
    found = await session.scalar(select(BenchmarkPeriod).where(BenchmarkPeriod.name == name))
    if found is None:
        raise NotFound(Text.of("No period called {name}.", name=name))
    return found


async def municipality(session: AsyncSession, code: str) -> Municipality:
    found = await municipality_by_code(session, code)
    if found is None:
        raise NotFound(await unknown_municipality(session, code))
    return found


async def assess(
    session: AsyncSession,
    framework: Framework,
    member: StaffMember,
    *,
    municipality_code: str,
    period_name: str,
    indicator: str,
    score: float,
    evidence: str,
    link: str | None = None,
    now: datetime | None = None,
) -> SelfAssessment:
    """Record one self-assessment score; refuses (and audits) an officer of another municipality."""
    now = now or utcnow()
    place = await municipality(session, municipality_code)
    if member.role != Role.COORDINATOR and member.municipality_id != place.id:
        home = await session.get(Municipality, member.municipality_id) if member.municipality_id else None
        await audit(
            session,
            member.label,
            "benchmark.scope_denied",
            f"municipality:{place.id}",
            municipality_id=member.municipality_id,
            details={"indicator": indicator},
            now=now,
        )
        await session.flush()
        raise ScopeDenied(
            Text.of(
                "Officers can only assess their own municipality ({municipality}).",
                municipality=Content(home.names, fallback="en") if home else "-",
            )
        )
    period = await period_by_name(session, period_name)
    item = framework.indicator(indicator)
    if item is None or item.source is not Source.SELF_ASSESSMENT or item.target is None:
        raise InvalidDefinition(
            Text.of("{indicator} is not a self-assessment indicator.", indicator=indicator)
        )
    low, high = sorted((item.target.worst, item.target.best))
    if not low <= score <= high:
        bounds = {"low": format(low, "g"), "high": format(high, "g")}
        raise InvalidDefinition(Text.of("The score must be from {low} to {high}.", **bounds))
    if not evidence.strip():
        raise InvalidDefinition(Text("Say what the score is based on (the evidence)."))
    if link and not re.match(r"^https?://\S+$", link):
        raise InvalidDefinition(Text("The link must be a web address (http:// or https://)."))
    entry = SelfAssessment(
        municipality_id=place.id,
        period_id=period.id,
        indicator=indicator,
        score=score,
        evidence=evidence.strip(),
        link=link or None,
        entered_by=member.label,
        entered_at=now,
    )
    session.add(entry)
    await session.flush()
    await audit(
        session,
        member.label,
        "benchmark.assessed",
        f"assessment:{entry.id}",
        municipality_id=place.id,
        details={"indicator": indicator, "score": score},
        now=now,
    )
    return entry


async def set_population(
    session: AsyncSession,
    municipality_code: str,
    residents: int,
    year: int,
    source: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> MunicipalityPopulation:
    if residents <= 0:
        raise InvalidDefinition(Text("The number of residents must be above 0."))
    place = await municipality(session, municipality_code)
    row = await session.get(MunicipalityPopulation, place.id)
    if row is None:
        row = MunicipalityPopulation(municipality_id=place.id, residents=residents, year=year, source=source)
        session.add(row)
    row.residents, row.year, row.source = residents, year, source
    await session.flush()
    await audit(
        session,
        actor,
        "benchmark.population_set",
        f"municipality:{place.id}",
        municipality_id=place.id,
        details={"residents": residents, "year": year},
        now=now,
    )
    return row


async def populations(session: AsyncSession) -> dict[int, int]:
    """Residents per municipality id: the figure entered, else the 2014 census for the pilots."""
    entered: dict[int, int] = dict(
        (
            await session.execute(
                select(MunicipalityPopulation.municipality_id, MunicipalityPopulation.residents)
            )
        ).all()
    )
    codes = (await session.execute(select(Municipality.id, Municipality.code))).all()
    return {
        mid: entered.get(mid) or CENSUS_2014[code]
        for mid, code in codes
        if mid in entered or code in CENSUS_2014
    }


async def latest_assessments(session: AsyncSession, period_id: int) -> dict[tuple[int, str], float]:
    """The latest score of each municipality and indicator in a period: {(municipality_id, code): score}."""
    latest = (
        select(func.max(SelfAssessment.id))
        .where(SelfAssessment.period_id == period_id)
        .group_by(SelfAssessment.municipality_id, SelfAssessment.indicator)
    )
    rows = await session.execute(
        select(SelfAssessment.municipality_id, SelfAssessment.indicator, SelfAssessment.score).where(
            SelfAssessment.id.in_(latest)
        )
    )
    return {(mid, code): score for mid, code, score in rows.all()}
