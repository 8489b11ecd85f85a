"""The four pilot municipalities, with their names in every interface language (GLOSSARY.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Municipality


@dataclass(frozen=True)
class PilotMunicipality:
    code: str
    names: Mapping[str, str]
    official_names: Mapping[str, str]
    default_language: str


PILOTS: tuple[PilotMunicipality, ...] = (
    PilotMunicipality(
        "batumi",
        {"ka": "ბათუმი", "az": "Batumi", "hy": "Բաթումի", "ru": "Батуми", "en": "Batumi"},
        {
            "ka": "ქალაქ ბათუმის მუნიციპალიტეტი",
            "az": "Batumi şəhər bələdiyyəsi",
            "hy": "Բաթումի քաղաքային մունիցիպալիտետ",
            "ru": "муниципалитет города Батуми",
            "en": "Batumi City Municipality",
        },
        "ka",
    ),
    PilotMunicipality(
        "chokhatauri",
        {"ka": "ჩოხატაური", "az": "Çoxatauri", "hy": "Չոխատաուրի", "ru": "Чохатаури", "en": "Chokhatauri"},
        {
            "ka": "ჩოხატაურის მუნიციპალიტეტი",
            "az": "Çoxatauri bələdiyyəsi",
            "hy": "Չոխատաուրիի մունիցիպալիտետ",
            "ru": "муниципалитет Чохатаури",
            "en": "Chokhatauri Municipality",
        },
        "ka",
    ),
    PilotMunicipality(
        "dmanisi",
        {"ka": "დმანისი", "az": "Dmanisi", "hy": "Դմանիսի", "ru": "Дманиси", "en": "Dmanisi"},
        {
            "ka": "დმანისის მუნიციპალიტეტი",
            "az": "Dmanisi bələdiyyəsi",
            "hy": "Դմանիսիի մունիցիպալիտետ",
            "ru": "муниципалитет Дманиси",
            "en": "Dmanisi Municipality",
        },
        "ka",
    ),
    PilotMunicipality(
        "marneuli",
        {"ka": "მარნეული", "az": "Marneuli", "hy": "Մառնեուլի", "ru": "Марнеули", "en": "Marneuli"},
        {
            "ka": "მარნეულის მუნიციპალიტეტი",
            "az": "Marneuli bələdiyyəsi",
            "hy": "Մառնեուլիի մունիցիպալիտետ",
            "ru": "муниципалитет Марнеули",
            "en": "Marneuli Municipality",
        },
        "ka",
    ),
)


async def seed_municipalities(session: AsyncSession) -> int:
    """Insert or refresh the pilots; returns how many were new. Safe to run any number of times."""
    existing = {m.code: m for m in (await session.scalars(select(Municipality))).all()}
    added = 0
    for pilot in PILOTS:
        row = existing.get(pilot.code)
        if row is None:
            session.add(
                Municipality(
                    code=pilot.code,
                    names=dict(pilot.names),
                    official_names=dict(pilot.official_names),
                    default_language=pilot.default_language,
                    timezone="Asia/Tbilisi",
                )
            )
            added += 1
        else:
            row.names = dict(pilot.names)
            row.official_names = dict(pilot.official_names)
    await session.flush()
    return added
