"""A campaign outlined for staff: where it goes, when its messages go out, and the button that opens its
full approval view (`campaigns.review`). Light on purpose: the notices of `staff_notices`, which the
campaign service calls, need it without the dry run's imports.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience import AudienceSpec
from campaigns.schedule import StepSchedule
from channels.message import N_, Choice, Content, Joined, Literal, Renderable, Text
from contacts.registry import municipalities
from storage.models.campaigns import Campaign, CampaignStep, ScheduleKind

NAMESPACE = "adm"  # the staff console's buttons (`campaigns.console`)
REVIEW = N_("Review")
SOON = N_("as soon as it is scheduled")


def review_choice(campaign_id: int) -> Choice:
    return Choice(f"{NAMESPACE}:rv:{campaign_id}", Text(REVIEW))


async def places(session: AsyncSession, campaign: Campaign) -> Renderable:
    """The campaign's municipalities by name, in the reader's language."""
    codes = AudienceSpec.from_dict(campaign.audience).municipalities
    if not codes:
        return Text("All municipalities")
    names = [Content(m.names, fallback="en") for m in await municipalities(session) if m.code in codes]
    return Joined(tuple(names), ", ")


def step_time(step: CampaignStep, now: datetime) -> datetime | Text:
    """When the step goes out: a time, its crontab, or "as soon as it is scheduled"."""
    plan = StepSchedule.of(step)
    if plan.kind == ScheduleKind.NOW:
        return Text(SOON)
    if plan.recurring:
        return Text.of("repeating ({cron}, Tbilisi time)", cron=Literal(step.cron or ""))
    return plan.single_time(now)


def first_message(campaign: Campaign, now: datetime) -> datetime | Text:
    """When its first message would go out: a time, or "as soon as it is scheduled"."""
    times: list[datetime] = []
    for step in campaign.steps:
        plan = StepSchedule.of(step)
        if plan.kind == ScheduleKind.NOW:
            return Text(SOON)
        moment = plan.next_time(now, now) if plan.recurring else plan.single_time(now)
        if moment is not None:
            times.append(moment)
    return min(times) if times else Text("no time left")
