"""Plans, items, survey answers and hearing input for action-plan tests, built through the real services."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking import actionplans
from storage.models.actionplans import ActionPlanItem
from storage.models.campaigns import Role, StaffMember
from storage.models.deliveries import Delivery
from storage.models.surveys import ResponseStatus, SurveyAnswer, SurveyRecord, SurveyResponse
from tests.campaigns.people import add_staff

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday, 14:00 in Tbilisi
DUE = date(2027, 3, 31)


async def coordinator(session: AsyncSession, name: str = "coordinator") -> StaffMember:
    found = await session.scalar(select(StaffMember).where(StaffMember.name == name))
    return found or await add_staff(session, name)


async def officer(session: AsyncSession, municipality: str = "marneuli") -> StaffMember:
    name = f"officer-{municipality}"
    found = await session.scalar(select(StaffMember).where(StaffMember.name == name))
    return found or await add_staff(session, name, Role.OFFICER, municipality)


async def item(
    session: AsyncSession,
    municipality: str = "marneuli",
    *,
    due: date = DUE,
    survey_questions: tuple[tuple[str, str], ...] = (),
    hearings: tuple[int, ...] = (),
    title: dict[str, str] | None = None,
    approved: bool = True,
) -> ActionPlanItem:
    """An item on the municipality's plan (created on first use) by a coordinator, approved by another
    unless `approved` is False."""
    by = await coordinator(session)
    place = await actionplans.municipality(session, municipality)
    if await actionplans.plan_of(session, place.id) is None:
        await actionplans.create_plan(
            session, municipality, {"ka": "სამოქმედო გეგმა", "en": "Action plan"}, by, NOW
        )
    draft = actionplans.ItemDraft(
        title=title
        or {
            "ka": "გზის შეკეთება",
            "az": "Yolun təmiri",
            "hy": "Ճանապարհի վերանորոգում",
            "ru": "Ремонт дороги",
            "en": "Road repair",
        },
        responsible_unit="Infrastructure service",
        due_on=due,
        indicators=("action_plan_on_time",),
        survey_questions=survey_questions,
        hearings=hearings,
    )
    added = await actionplans.add_item(session, municipality, draft, by, NOW)
    if approved:
        await actionplans.approve_item(session, added.id, await coordinator(session, "approver"), NOW)
    return added


async def survey(
    session: AsyncSession, code: str = "roads", questions: tuple[str, ...] = ("q1", "q2")
) -> int:
    record = SurveyRecord(
        code=code,
        definition={"code": code, "questions": [{"name": q} for q in questions]},
        fingerprint=code,
        source="yaml",
    )
    session.add(record)
    await session.flush()
    return record.id


async def answer(
    session: AsyncSession, survey_id: int, contact_id: int, question: str, *, declined: bool = False
) -> None:
    response = await session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.contact_id == contact_id
        )
    )
    if response is None:
        response = SurveyResponse(
            survey_id=survey_id,
            contact_id=contact_id,
            channel="telegram",
            language="ka",
            status=ResponseStatus.COMPLETED,
        )
        session.add(response)
        await session.flush()
    session.add(
        SurveyAnswer(
            response_id=response.id, question=question, value=None if declined else "yes", declined=declined
        )
    )
    await session.flush()


async def deliveries(session: AsyncSession) -> list[Delivery]:
    return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())
