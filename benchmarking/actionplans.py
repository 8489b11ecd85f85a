"""Action-plan items over time: update (status, progress, evidence), list, flag overdue ones.

An officer acts only on their own municipality's plan, a coordinator on all; every action and every
refusal is in the audit log. A status change is stored as its own row and its people are told at once
(`actionplan_notices.notify_change`), in the same transaction. Services flush, never commit. Setting
plans up (`create_plan`, `add_item`) lives in `actionplan_setup` and is re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking import actionplan_notices
from benchmarking.actionplan_setup import (
    ItemDraft,
    add_item,
    create_plan,
    ensure_scope,
    municipality,
    plan_of,
    titles,
)
from campaigns.errors import InvalidDefinition, InvalidTransition, NotAllowed, NotFound
from campaigns.schedule import QuietHours
from channels.i18n import TIMEZONE
from channels.message import Text
from contacts.registry import audit
from storage.base import utcnow
from storage.models.actionplans import ActionPlanChange, ActionPlanItem, ItemStatus
from storage.models.campaigns import Role, StaffMember

__all__ = [
    "CLOSED",
    "ItemDraft",
    "Update",
    "Updated",
    "add_item",
    "approve_item",
    "check",
    "create_plan",
    "ensure_scope",
    "get_item",
    "is_overdue",
    "items",
    "local_today",
    "municipality",
    "plan_of",
    "titles",
    "update_item",
]

NOTE_MAX = 1000
EVIDENCE_MAX = 2000
LINK_MAX = 500
CLOSED = (ItemStatus.DONE, ItemStatus.DROPPED)  # nothing is overdue once done or dropped


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
    if update.status == ItemStatus.DONE and update.progress not in (None, 100):
        raise InvalidDefinition(Text("A done item is 100% done: leave progress out or give 100."))


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


async def approve_item(
    session: AsyncSession,
    item_id: int,
    by: StaffMember,
    now: datetime | None = None,
    *,
    quiet: QuietHours | None = None,
) -> Updated:
    """A coordinator other than its author approves an item (its wording reaches citizens, as a campaign's
    does); then it is shown to citizens, and the people of its latest status change, if any, are told."""
    now = now or utcnow()
    item = await get_item(session, item_id)
    if by.role != Role.COORDINATOR:
        raise NotAllowed(Text("Only coordinators can approve action plan items."))
    if by.label == item.created_by:
        raise NotAllowed(Text("You wrote this item, so another coordinator must approve it."))
    if item.approved_at is not None:
        raise InvalidTransition(Text.of("Item {id} is already approved.", id=item.id))
    item.approved_by, item.approved_at = by.label, now
    latest = await session.scalar(
        select(ActionPlanChange)
        .where(ActionPlanChange.item_id == item.id, ActionPlanChange.from_status.is_not(None))
        .order_by(ActionPlanChange.id.desc())
        .limit(1)
    )
    await session.flush()
    told = actionplan_notices.Told()
    if latest is not None:
        told = await actionplan_notices.notify_change(session, latest.id, now, quiet=quiet)
    await audit(
        session,
        by.label,
        "actionplan.item_approved",
        f"actionplan-item:{item.id}",
        municipality_id=item.municipality_id,
        details={"told": told.queued},
        now=now,
    )
    return Updated(item, latest, told)


async def items(
    session: AsyncSession,
    municipality_id: int | None = None,
    *,
    overdue_on: date | None = None,
    limit: int | None = None,
    approved_only: bool = False,
) -> list[ActionPlanItem]:
    """Items by municipality, due date and id; with `overdue_on`, only those overdue on that day."""
    query = select(ActionPlanItem).order_by(
        ActionPlanItem.municipality_id, ActionPlanItem.due_on, ActionPlanItem.id
    )
    if municipality_id is not None:
        query = query.where(ActionPlanItem.municipality_id == municipality_id)
    if overdue_on is not None:
        query = query.where(ActionPlanItem.due_on < overdue_on, ActionPlanItem.status.not_in(CLOSED))
    if approved_only:
        query = query.where(ActionPlanItem.approved_at.is_not(None))
    if limit is not None:
        query = query.limit(limit)
    return list((await session.scalars(query)).all())
