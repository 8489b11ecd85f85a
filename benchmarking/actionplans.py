"""Action plans and their items: create, add, update (status, progress, evidence), list, flag overdue ones.

An officer acts only on their own municipality's plan, a coordinator on all; every action and every
refusal is in the audit log. A status change is stored as its own row and its people are told at once
(`actionplan_notices.notify_change`), in the same transaction. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking import actionplan_notices
from campaigns.errors import InvalidDefinition, NotFound, ScopeDenied
from campaigns.schedule import QuietHours
from channels.i18n import LANGUAGES, TIMEZONE
from channels.message import Content, Text
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
from storage.models.campaigns import Role, StaffMember
from storage.models.hearings import Hearing
from storage.models.surveys import SurveyRecord

TITLE_MAX = 300
UNIT_MAX = 200
NOTE_MAX = 1000
EVIDENCE_MAX = 2000
LINK_MAX = 500
CLOSED = (ItemStatus.DONE, ItemStatus.DROPPED)  # nothing is overdue once done or dropped


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


@dataclass(frozen=True)
class Update:
    """What to change on an item; None leaves a field as it is."""

    status: ItemStatus | None = None
    progress: int | None = None
    evidence: str | None = None
    link: str | None = None
    note: str | None = None

    @property
    def empty(self) -> bool:
        return all(value is None for value in (self.status, self.progress, self.evidence, self.link))


@dataclass(frozen=True)
class Updated:
    """The item after an update; `change` when its status changed, then how many people were told when."""

    item: ActionPlanItem
    change: ActionPlanChange | None = None
    told: actionplan_notices.Told = field(default_factory=actionplan_notices.Told)


def local_today(now: datetime) -> date:
    return now.astimezone(TIMEZONE).date()


def is_overdue(item: ActionPlanItem, today: date) -> bool:
    return item.due_on < today and item.status not in CLOSED


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
    if member.role == Role.COORDINATOR or member.municipality_id == municipality_id:
        return
    home = await session.get(Municipality, member.municipality_id) if member.municipality_id else None
    await audit(
        session,
        member.label,
        "actionplan.scope_denied",
        subject,
        municipality_id=member.municipality_id,
        details={"action": action, "requested": municipality_id},
        now=now,
    )
    await session.flush()
    raise ScopeDenied(
        Text.of(
            "Officers can only change the action plan of their own municipality ({municipality}).",
            municipality=Content(home.names, fallback="en") if home else "-",
        )
    )


async def municipality(session: AsyncSession, code: str) -> Municipality:
    found = await municipality_by_code(session, code.strip().lower())
    if found is None:
        raise InvalidDefinition(Text.of("Unknown municipality: {code}.", code=code))
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


async def get_item(session: AsyncSession, item_id: int) -> ActionPlanItem:
    item = await session.get(ActionPlanItem, item_id)
    if item is None:
        raise NotFound(Text.of("No action plan item {id}.", id=item_id))
    return item


def check(update: Update) -> None:
    """Refuse an update that could never apply, before anything is looked up or changed."""
    if update.empty:
        raise InvalidDefinition(Text("Nothing to change: give a status, progress, evidence or a link."))
    if update.progress is not None and not 0 <= update.progress <= 100:
        raise InvalidDefinition(Text("Progress is a percentage from 0 to 100."))
    if update.evidence is not None and len(update.evidence) > EVIDENCE_MAX:
        raise InvalidDefinition(
            Text.of("The evidence is too long: at most {limit} characters.", limit=EVIDENCE_MAX)
        )
    if update.link is not None and update.link and not update.link.startswith(("https://", "http://")):
        raise InvalidDefinition(Text("The link must start with https:// or http://."))
    if update.link is not None and len(update.link) > LINK_MAX:
        raise InvalidDefinition(Text.of("The link is too long: at most {limit} characters.", limit=LINK_MAX))
    if update.note is not None and len(update.note) > NOTE_MAX:
        raise InvalidDefinition(Text.of("The note is too long: at most {limit} characters.", limit=NOTE_MAX))


async def update_item(
    session: AsyncSession,
    item_id: int,
    update: Update,
    by: StaffMember,
    now: datetime | None = None,
    *,
    quiet: QuietHours | None = None,
) -> Updated:
    """Apply `update`; a new status is a change row, and its people are told (after quiet hours).

    Done means 100 % and records the day (Tbilisi); leaving done forgets that day.
    """
    now = now or utcnow()
    check(update)
    item = await get_item(session, item_id)
    subject = f"actionplan-item:{item.id}"
    await ensure_scope(session, by, item.municipality_id, action="update", subject=subject, now=now)
    previous = ItemStatus(item.status)
    status = update.status or previous
    progress = update.progress if update.progress is not None else item.progress
    if status == ItemStatus.DONE:
        if update.progress is not None and update.progress != 100:
            raise InvalidDefinition(Text("A done item is 100% done: leave progress out or give 100."))
        progress = 100
    item.progress = progress
    if update.evidence is not None:
        item.evidence = update.evidence.strip() or None
    if update.link is not None:
        item.evidence_link = update.link.strip() or None
    item.updated_at, item.updated_by = now, by.label
    change: ActionPlanChange | None = None
    if status != previous:
        item.status = status
        item.done_on = local_today(now) if status == ItemStatus.DONE else None
        change = ActionPlanChange(
            item_id=item.id,
            from_status=previous,
            to_status=status,
            progress=progress,
            at=now,
            by=by.label,
            note=(update.note or "").strip() or None,
        )
        session.add(change)
    await session.flush()
    told = actionplan_notices.Told()
    if change is not None:
        told = await actionplan_notices.notify_change(session, change.id, now, quiet=quiet)
    await audit(
        session,
        by.label,
        "actionplan.item_updated",
        subject,
        municipality_id=item.municipality_id,
        details={
            "from": str(previous),
            "to": str(status),
            "progress": progress,
            "change": change.id if change else None,
            "told": told.queued,
        },
        now=now,
    )
    return Updated(item, change, told)


async def items(
    session: AsyncSession,
    municipality_id: int | None = None,
    *,
    overdue_on: date | None = None,
    limit: int | None = None,
) -> list[ActionPlanItem]:
    """Items by municipality, due date and id; with `overdue_on`, only those overdue on that day."""
    query = select(ActionPlanItem).order_by(
        ActionPlanItem.municipality_id, ActionPlanItem.due_on, ActionPlanItem.id
    )
    if municipality_id is not None:
        query = query.where(ActionPlanItem.municipality_id == municipality_id)
    if overdue_on is not None:
        query = query.where(ActionPlanItem.due_on < overdue_on, ActionPlanItem.status.not_in(CLOSED))
    if limit is not None:
        query = query.limit(limit)
    return list((await session.scalars(query)).all())
