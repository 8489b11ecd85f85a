"""Firing a step: the idempotent enqueue of one occurrence of one step to its whole audience.

The firing is recorded first (`step_firings`, unique per step and occurrence): a second call for the
same occurrence, from a retry, a restart or a second scheduler, finds the record and enqueues nothing;
on top of that every message has a dedupe key, so the outbox would refuse a duplicate anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import audience, service
from campaigns.audience import AudienceSpec, Recipient
from campaigns.quiet import next_allowed_for
from campaigns.schedule import ONCE, QuietHours, StepSchedule
from channels.message import N_, Choice, Content, LinkButton, Literal, Outgoing, Renderable, Text, Urgency
from channels.outbox import OutboxItem, enqueue
from storage.base import utcnow
from storage.models.campaigns import Campaign, CampaignStep, StepFiring

log = logging.getLogger(__name__)

SURVEY_BUTTON = N_("Take the survey")
MEDIA_BUTTON = N_("Open the attachment")


def dedupe_key(campaign_id: int, step_id: int, contact_id: int, channel: str, occurrence: str | None) -> str:
    """`c{campaign}:s{step}:p{person}:{channel}`, plus `:r{occurrence}` for each recurring firing."""
    key = f"c{campaign_id}:s{step_id}:p{contact_id}:{channel}"
    return f"{key}:r{occurrence}" if occurrence else key


def link_label(campaign: Campaign, link: Mapping[str, Any]) -> Renderable:
    """A link's label in the reader's language, else the fallback or base language, else its address."""
    labels: dict[str, str] = {k: v for k, v in dict(link.get("label") or {}).items() if v}
    if not labels:
        return Literal(str(link["url"]))
    fallback = campaign.fallback_language if campaign.fallback_language in labels else campaign.base_language
    if fallback not in labels:
        fallback = next(iter(labels))
    return Content(labels, fallback=fallback)


def message_for(campaign: Campaign, step: CampaignStep) -> Outgoing:
    """The step as citizens receive it (the Telegram preview shows exactly this)."""
    links = [LinkButton(link_label(campaign, link), str(link["url"])) for link in step.links]
    if step.media_url:
        links.append(LinkButton(Text(MEDIA_BUTTON), step.media_url))
    choices = [Choice(f"sv:{step.survey_id}:go", Text(SURVEY_BUTTON))] if step.survey_id is not None else []
    return Outgoing(
        parts=(Content(dict(step.texts), fallback=campaign.fallback_language),),
        choices=choices,
        links=links,
        urgency=Urgency.URGENT if step.urgent else Urgency.NORMAL,
    )


def can_read(campaign: Campaign, step: CampaignStep, language: str) -> bool:
    return language in step.texts or (
        campaign.fallback_language is not None and campaign.fallback_language in step.texts
    )


async def fire_step(
    session: AsyncSession,
    step_id: int,
    occurrence: str = ONCE,
    now: datetime | None = None,
    *,
    quiet: QuietHours | None = None,
    batch: int = 1000,
) -> int:
    """Enqueue one occurrence of a step to its audience; returns how many messages were queued.

    Nothing happens (0) for an unknown step, a campaign that is not scheduled or sending (paused,
    cancelled: the occurrence stays unfired), or an occurrence already fired. Non-urgent messages get
    `not_before` at the end of quiet hours. Marks the campaign sending, and done when nothing is left.
    """
    now = now or utcnow()
    step = await session.get(CampaignStep, step_id)
    if step is None:
        return 0
    campaign = await session.get_one(Campaign, step.campaign_id)
    if campaign.status not in service.LIVE:
        return 0
    firing = StepFiring(step_id=step.id, occurrence=occurrence, fired_at=now)
    try:
        async with session.begin_nested():
            session.add(firing)
    except IntegrityError:
        log.info("step %s occurrence %s already fired", step_id, occurrence)
        return 0
    await service.start_sending(session, campaign, now)
    message = message_for(campaign, step)
    spec = AudienceSpec.from_dict(campaign.audience)
    not_before = None
    if not step.urgent:  # quiet hours of every municipality it reaches (`campaigns.quiet`)
        not_before = await next_allowed_for(session, spec.municipalities, now, default=quiet)
    recurring = StepSchedule.of(step).recurring
    queued = skipped = 0
    chunk: list[OutboxItem] = []
    async for person in audience.recipients(session, spec, batch):
        if not can_read(campaign, step, person.language):
            skipped += 1
            continue
        chunk.append(_item(campaign, step, person, message, not_before, occurrence if recurring else None))
        if len(chunk) >= batch:
            queued += await enqueue(session, chunk, now=now)
            chunk = []
    if chunk:
        queued += await enqueue(session, chunk, now=now)
    if skipped:
        log.warning("step %s: %s people read a language with no text and no fallback", step_id, skipped)
    firing.enqueued = queued
    step.fired_count += 1
    step.last_fired_at = now
    await session.flush()
    if not await has_future(session, campaign, now):
        await service.finish(session, campaign, now)
    return queued


def _item(
    campaign: Campaign,
    step: CampaignStep,
    person: Recipient,
    message: Outgoing,
    not_before: datetime | None,
    occurrence: str | None,
) -> OutboxItem:
    return OutboxItem(
        dedupe_key=dedupe_key(campaign.id, step.id, person.contact_id, person.channel, occurrence),
        contact_id=person.contact_id,
        channel=person.channel,
        address=person.address,
        language=person.language,
        message=message,
        not_before=not_before,
        campaign_id=campaign.id,
        step_id=step.id,
    )


async def has_future(session: AsyncSession, campaign: Campaign, now: datetime) -> bool:
    """Whether any step still has an occurrence to fire (a one-off not yet fired, a recurring one not
    past its end)."""
    fired_once = set(
        (
            await session.scalars(
                select(StepFiring.step_id).where(
                    StepFiring.step_id.in_([s.id for s in campaign.steps]), StepFiring.occurrence == ONCE
                )
            )
        ).all()
    )
    scheduled_at = campaign.scheduled_at or now
    for step in campaign.steps:
        plan = StepSchedule.of(step)
        if plan.recurring:
            if plan.next_time(scheduled_at, now) is not None:
                return True
        elif step.id not in fired_once:
            return True
    return False
