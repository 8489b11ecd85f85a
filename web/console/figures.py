"""Read-only figures the console shows: one municipality's people, surveys, hearings and campaigns.

Counting rules live in the domains (audiences, survey responses, the outbox); this only gathers them for
one page. Nothing here writes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import audience
from campaigns.audience import AudienceSpec
from campaigns.service import FINISHED
from channels import outbox
from storage.base import utcnow
from storage.models import Contact, ContactStatus, Municipality
from storage.models.campaigns import Campaign, CampaignStatus
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.hearings import Hearing, HearingRsvp, HearingStatus
from surveys import lifecycle

IN_FLIGHT = (CampaignStatus.APPROVED, CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED)


@dataclass(frozen=True)
class Progress:
    """A campaign's delivery: waiting (of which held for quiet hours, until when), sent, failed."""

    queued: int
    held: int
    held_until: datetime | None
    sent: int
    failed: int
    cancelled: int


@dataclass
class Overview:
    municipality: Municipality
    people: audience.AudienceCount
    topics: list[tuple[str, int]] = field(default_factory=list)
    surveys: list[tuple[str, str, dict[str, int]]] = field(default_factory=list)
    hearings: list[tuple[Hearing, dict[str, int]]] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)


def reaches(campaign: Campaign, code: str) -> bool:
    """A campaign concerns a municipality when its audience names it or names none (everyone)."""
    codes = campaign.audience.get("municipalities") or []
    return not codes or code in codes


async def overview(
    session: AsyncSession, municipality: Municipality, now: datetime | None = None
) -> Overview:
    now = now or utcnow()
    code = municipality.code
    result = Overview(municipality, await audience.count(session, AudienceSpec(municipalities=(code,))))
    topic_lists = await session.scalars(
        select(Contact.topics).where(
            Contact.municipality_id == municipality.id, Contact.status == ContactStatus.ACTIVE
        )
    )
    result.topics = Counter(t for topics in topic_lists for t in (topics or [])).most_common()
    for record in await lifecycle.list_surveys(session):
        if lifecycle.is_open(record, now) and (
            not record.target_municipalities or code in record.target_municipalities
        ):
            result.surveys.append(
                (record.code, record.code, await lifecycle.response_counts(session, record.id))
            )
    hearings = await session.scalars(
        select(Hearing)
        .where(Hearing.municipality_id == municipality.id, Hearing.starts_at >= now)
        .where(Hearing.status != HearingStatus.CANCELLED)
        .order_by(Hearing.starts_at)
    )
    for hearing in hearings:
        rows = await session.execute(
            select(HearingRsvp.answer, func.count())
            .where(HearingRsvp.hearing_id == hearing.id)
            .group_by(HearingRsvp.answer)
        )
        result.hearings.append((hearing, {str(answer): int(n) for answer, n in rows.all()}))
    campaigns = await session.scalars(
        select(Campaign).where(Campaign.status.in_(IN_FLIGHT)).order_by(Campaign.id.desc())
    )
    result.campaigns = [c for c in campaigns if reaches(c, code) and c.status not in FINISHED]
    return result


async def progress(session: AsyncSession, campaign_id: int, now: datetime | None = None) -> Progress:
    """The outbox's counts for a campaign, plus what waits for quiet hours (pending, due later)."""
    now = now or utcnow()
    counts = await outbox.progress(session, campaign_id=campaign_id)
    held, until = (
        await session.execute(
            select(func.count(), func.max(Delivery.not_before)).where(
                Delivery.campaign_id == campaign_id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.not_before > now,
            )
        )
    ).one()
    return Progress(
        queued=counts.pending + counts.sending,
        held=int(held or 0),
        held_until=until,
        sent=counts.sent + counts.delivered,
        failed=counts.failed + counts.undelivered + counts.unreachable,
        cancelled=counts.cancelled,
    )
