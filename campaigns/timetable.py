"""What the scheduler should do now, read from the database (the truth for schedules): the occurrences
that are due, those missed for too long to still send, and each live step's next fire time.

After downtime a one-off step is still sent when it is at most `grace` late; recurring occurrences missed
meanwhile collapse into the latest one (sent when within `grace`), so nobody gets a week of reminders at
once. What is too late is recorded as missed, never sent, and never considered again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import service
from campaigns.firing import fire_step, has_future
from campaigns.schedule import ONCE, QuietHours, StepSchedule, occurrence_key, occurrence_time
from contacts.registry import audit
from storage.models.campaigns import Campaign, CampaignStep, StepFiring


@dataclass(frozen=True)
class Occurrence:
    step_id: int
    occurrence: str
    at: datetime


@dataclass(frozen=True)
class Timetable:
    due: tuple[Occurrence, ...]
    missed: tuple[Occurrence, ...]
    upcoming: tuple[Occurrence, ...]


async def timetable(session: AsyncSession, now: datetime, grace: timedelta) -> Timetable:
    """Due, missed and next occurrences of every step of every scheduled or sending campaign."""
    rows = (
        await session.execute(
            select(CampaignStep, Campaign.scheduled_at)
            .join(Campaign, Campaign.id == CampaignStep.campaign_id)
            .where(Campaign.status.in_(service.LIVE))
            .order_by(CampaignStep.id)
        )
    ).all()
    step_ids = [step.id for step, _ in rows]
    fired_once = set(
        (
            await session.scalars(
                select(StepFiring.step_id).where(
                    StepFiring.step_id.in_(step_ids), StepFiring.occurrence == ONCE
                )
            )
        ).all()
    )
    latest = dict(
        (
            await session.execute(
                select(StepFiring.step_id, func.max(StepFiring.occurrence))
                .where(StepFiring.step_id.in_(step_ids), StepFiring.occurrence != ONCE)
                .group_by(StepFiring.step_id)
            )
        ).all()
    )
    due: list[Occurrence] = []
    missed: list[Occurrence] = []
    upcoming: list[Occurrence] = []
    for step, scheduled_at in rows:
        anchor = scheduled_at or now
        plan = StepSchedule.of(step)
        if plan.recurring:
            after = occurrence_time(latest[step.id]) if step.id in latest else None
            moment = plan.latest_due(anchor, after, now)
            if moment is not None:
                found = Occurrence(step.id, occurrence_key(moment), moment)
                (due if now - moment <= grace else missed).append(found)
            following = plan.next_time(anchor, now)
            if following is not None:
                upcoming.append(Occurrence(step.id, occurrence_key(following), following))
            continue
        if step.id in fired_once:
            continue
        moment = plan.single_time(anchor)
        if moment > now:
            upcoming.append(Occurrence(step.id, ONCE, moment))
        else:
            (due if now - moment <= grace else missed).append(Occurrence(step.id, ONCE, moment))
    return Timetable(tuple(due), tuple(missed), tuple(upcoming))


async def record_missed(session: AsyncSession, missed: Occurrence, now: datetime) -> bool:
    """Mark an occurrence as too late to send (audited); False when it was fired or recorded already."""
    step = await session.get(CampaignStep, missed.step_id)
    if step is None:
        return False
    try:
        async with session.begin_nested():
            session.add(StepFiring(step_id=step.id, occurrence=missed.occurrence, fired_at=now, missed=True))
    except IntegrityError:
        return False
    await audit(
        session,
        service.SCHEDULER,
        "campaign.step_missed",
        f"campaign:{step.campaign_id}",
        details={"step": step.position, "occurrence": missed.occurrence, "due": missed.at.isoformat()},
        now=now,
    )
    campaign = await session.get_one(Campaign, step.campaign_id)
    await session.flush()
    if not await has_future(session, campaign, now):
        await service.finish(session, campaign, now)
    return True


async def fire_due(
    session: AsyncSession,
    campaign_id: int,
    now: datetime,
    grace: timedelta,
    *,
    quiet: QuietHours | None = None,
) -> int:
    """Fire the campaign's occurrences that are due now, in the transaction that scheduled it, so a
    campaign scheduled "now" is queued at once instead of at the scheduler's next sync (a minute later).
    Firing is idempotent: the scheduler finds these occurrences fired and skips them."""
    plan = await timetable(session, now, grace)
    steps = set(await session.scalars(select(CampaignStep.id).where(CampaignStep.campaign_id == campaign_id)))
    queued = 0
    for due in plan.due:
        if due.step_id in steps:
            queued += await fire_step(session, due.step_id, due.occurrence, now, quiet=quiet)
    return queued
