"""Setting a plan up: the plan of a municipality, its items and the input behind each, within scope.

An officer acts only on their own municipality's plan, a coordinator on all; every action and every
refusal is in the audit log. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff
from campaigns.errors import InvalidDefinition, NotFound
from campaigns.municipalities import unknown_municipality
from channels.i18n import LANGUAGES
from channels.message import N_, Text
from contacts.registry import audit, municipality_by_code
from storage.base import utcnow
from storage.models import Municipality
from storage.models.actionplans import (
    ActionPlan,
    ActionPlanChange,
    ActionPlanItem,
    ActionPlanLink,
    ItemStatus,
    LinkKind,
)
from storage.models.campaigns import StaffMember
from storage.models.hearings import Hearing
from storage.models.surveys import SurveyRecord

TITLE_MAX = 300
UNIT_MAX = 200


@dataclass(frozen=True)
class ItemDraft:
    """A new item as a person wrote it (CLI flags, a plan file)."""

    title: Mapping[str, str]
    responsible_unit: str
    due_on: date
    indicators: Sequence[str] = ()
    survey_questions: Sequence[tuple[str, str]] = ()  # (survey code, question name)
    hearings: Sequence[int] = ()
    base_language: str | None = None


def titles(raw: Mapping[str, str], base: str | None = None) -> tuple[dict[str, str], str]:
    """Checked per-language titles and the base language (the first one written unless named)."""
    written = {
        str(lang).strip().lower(): str(text).strip() for lang, text in raw.items() if str(text).strip()
    }
    unknown = sorted(set(written) - set(LANGUAGES))
    if unknown:
        raise InvalidDefinition(
            Text.of("Unknown language: {code}. Use ka, az, hy, ru or en.", code=", ".join(unknown))
        )
    if not written:
        raise InvalidDefinition(Text("Write the title in at least one language (ka, az, hy, ru or en)."))
    if any(len(text) > TITLE_MAX for text in written.values()):
        raise InvalidDefinition(Text.of("A title is too long: at most {limit} characters.", limit=TITLE_MAX))
    base = base or ("ka" if "ka" in written else next(iter(written)))
    if base not in written:
        raise InvalidDefinition(
            Text.of("The title must be written in the base language ({code}).", code=base)
        )
    return written, base


OUTSIDE_HOME = N_("Officers can only change the action plan of their own municipality ({municipality}).")


async def ensure_scope(
    session: AsyncSession,
    member: StaffMember,
    municipality_id: int,
    *,
    action: str,
    subject: str,
    now: datetime,
) -> None:
    """Refuse (and audit `actionplan.scope_denied`) an officer acting outside their own municipality."""
    await staff.refuse_outside_home(
        session,
        member,
        municipality_id,
        domain="actionplan",
        refusal=OUTSIDE_HOME,
        action=action,
        subject=subject,
        now=now,
    )


async def municipality(session: AsyncSession, code: str) -> Municipality:
    found = await municipality_by_code(session, code.strip().lower())
    if found is None:
        raise InvalidDefinition(await unknown_municipality(session, code))
    return found


async def plan_of(session: AsyncSession, municipality_id: int) -> ActionPlan | None:
    return await session.scalar(select(ActionPlan).where(ActionPlan.municipality_id == municipality_id))


async def create_plan(
    session: AsyncSession,
    code: str,
    title: Mapping[str, str],
    by: StaffMember,
    now: datetime | None = None,
    *,
    base_language: str | None = None,
) -> ActionPlan:
    """The municipality's plan; a municipality has one current plan, so a second one is refused."""
    now = now or utcnow()
    place = await municipality(session, code)
    await ensure_scope(session, by, place.id, action="create", subject="actionplan:new", now=now)
    written, base = titles(title, base_language)
    existing = await plan_of(session, place.id)
    if existing is not None:
        raise InvalidDefinition(
            Text.of(
                "This municipality already has an action plan ({id}): add items to it instead.",
                id=existing.id,
            )
        )
    plan = ActionPlan(
        municipality_id=place.id,
        title=written,
        base_language=base,
        created_by=by.label,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    await session.flush()
    await audit(
        session, by.label, "actionplan.created", f"actionplan:{plan.id}", municipality_id=place.id, now=now
    )
    return plan


async def add_item(
    session: AsyncSession, code: str, draft: ItemDraft, by: StaffMember, now: datetime | None = None
) -> ActionPlanItem:
    """A new item (status planned) on the municipality's plan, with the input that led to it."""
    now = now or utcnow()
    place = await municipality(session, code)
    await ensure_scope(session, by, place.id, action="add", subject="actionplan-item:new", now=now)
    plan = await plan_of(session, place.id)
    if plan is None:
        raise NotFound(Text("This municipality has no action plan yet: create it first."))
    written, base = titles(draft.title, draft.base_language)
    unit = draft.responsible_unit.strip()
    if not unit or len(unit) > UNIT_MAX:
        raise InvalidDefinition(
            Text.of("Name the responsible unit (at most {limit} characters).", limit=UNIT_MAX)
        )
    links = [
        *await _survey_links(session, draft.survey_questions),
        *await _hearing_links(session, draft.hearings, place.id),
    ]
    item = ActionPlanItem(
        plan_id=plan.id,
        municipality_id=place.id,
        title=written,
        base_language=base,
        indicators=sorted({code.strip() for code in draft.indicators if code.strip()}),
        responsible_unit=unit,
        due_on=draft.due_on,
        status=ItemStatus.PLANNED,
        progress=0,
        created_at=now,
        updated_at=now,
        updated_by=by.label,
        created_by=by.label,
    )
    session.add(item)
    await session.flush()
    for link in links:
        link.item_id = item.id
        session.add(link)
    session.add(
        ActionPlanChange(
            item_id=item.id, from_status=None, to_status=ItemStatus.PLANNED, progress=0, at=now, by=by.label
        )
    )
    await session.flush()
    await audit(
        session,
        by.label,
        "actionplan.item_added",
        f"actionplan-item:{item.id}",
        municipality_id=place.id,
        details={"links": len(links)},
        now=now,
    )
    return item


async def _survey_links(session: AsyncSession, pairs: Sequence[tuple[str, str]]) -> list[ActionPlanLink]:
    links: list[ActionPlanLink] = []
    for survey_code, question in dict.fromkeys(pairs):
        survey = await session.scalar(select(SurveyRecord).where(SurveyRecord.code == survey_code))
        if survey is None:
            raise InvalidDefinition(Text.of("No survey {code}.", code=survey_code))
        names = {q.get("name") for q in survey.definition.get("questions", [])}
        if question not in names:
            raise InvalidDefinition(
                Text.of("Survey {code} has no question {name}.", code=survey_code, name=question)
            )
        links.append(
            ActionPlanLink(kind=LinkKind.SURVEY_QUESTION, survey_code=survey_code, question=question)
        )
    return links


async def _hearing_links(
    session: AsyncSession, ids: Sequence[int], municipality_id: int
) -> list[ActionPlanLink]:
    links: list[ActionPlanLink] = []
    for hearing_id in dict.fromkeys(ids):
        hearing = await session.get(Hearing, hearing_id)
        if hearing is None or hearing.municipality_id != municipality_id:
            raise InvalidDefinition(Text.of("No hearing {id} in this municipality.", id=hearing_id))
        links.append(ActionPlanLink(kind=LinkKind.HEARING, hearing_id=hearing_id))
    return links
