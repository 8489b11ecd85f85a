"""A campaign's life: draft -> submitted -> approved -> scheduled -> sending -> done, with pause, resume
and cancel on the way, and submitted -> draft when a coordinator returns it with a reason. Every
transition is checked (role, municipality scope, languages, state), then recorded in the audit log with
its actor; a refused action changes nothing but the audit log. Submission, approval and return are told
to the staff concerned (`staff_notices`).

Services flush, never commit: the CLI command or Telegram update that called them owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import approval, staff, staff_notices
from campaigns.audience import AudienceSpec, municipality_ids
from campaigns.definition import CampaignDraft, StepDraft
from campaigns.errors import InvalidTransition, NotFound
from campaigns.schedule import StepSchedule, ensure_upcoming
from channels import outbox
from channels.message import N_, Text
from contacts.registry import audit
from storage.base import utcnow
from storage.models.campaigns import Campaign, CampaignStatus, CampaignStep, StaffMember

SCHEDULER = "scheduler"  # the actor of transitions nobody asked for (first firing, last firing)
LIVE = (CampaignStatus.SCHEDULED, CampaignStatus.SENDING)
PAUSABLE = (CampaignStatus.APPROVED, CampaignStatus.SCHEDULED, CampaignStatus.SENDING)
FINISHED = (CampaignStatus.DONE, CampaignStatus.CANCELLED)
STATUS_LABELS = {
    CampaignStatus.DRAFT: N_("draft"),
    CampaignStatus.SUBMITTED: N_("submitted"),
    CampaignStatus.APPROVED: N_("approved"),
    CampaignStatus.SCHEDULED: N_("scheduled"),
    CampaignStatus.SENDING: N_("sending"),
    CampaignStatus.PAUSED: N_("paused"),
    CampaignStatus.DONE: N_("done"),
    CampaignStatus.CANCELLED: N_("cancelled"),
}
# A one-off step may be scheduled this late and still go out (the scheduler's catch-up window).
LATE_TOLERANCE = timedelta(minutes=5)


async def get(session: AsyncSession, campaign_id: int) -> Campaign:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(Text.of("No campaign {id}.", id=campaign_id))
    return campaign


async def listing(
    session: AsyncSession, statuses: Sequence[CampaignStatus] = (), limit: int = 100
) -> list[Campaign]:
    """Newest first; only the given statuses when some are given."""
    query = select(Campaign).order_by(Campaign.id.desc()).limit(limit)
    if statuses:
        query = query.where(Campaign.status.in_(statuses))
    return list((await session.scalars(query)).all())


async def create(
    session: AsyncSession, draft: CampaignDraft, by: StaffMember, now: datetime | None = None
) -> Campaign:
    """Store a validated draft written by `by` (an officer only for their own municipality)."""
    now = now or utcnow()
    await staff.ensure_scope(session, by, draft.audience, action="create", subject="campaign:new", now=now)
    await municipality_ids(session, draft.audience)
    ensure_upcoming(((n, step.schedule) for n, step in enumerate(draft.steps, start=1)), now)
    campaign = Campaign(
        name=draft.name,
        audience=draft.audience.to_dict(),
        status=CampaignStatus.DRAFT,
        base_language=draft.base_language,
        fallback_language=draft.fallback_language,
        created_by_id=by.id,
        created_at=now,
        updated_at=now,
    )
    campaign.steps.extend(step_row(position, step) for position, step in enumerate(draft.steps, start=1))
    session.add(campaign)
    await session.flush()
    await _record(session, campaign, by.label, "campaign.created", now, {"steps": len(draft.steps)})
    return campaign


def step_row(position: int, step: StepDraft) -> CampaignStep:
    """The stored row of a drafted step; creating and editing a campaign both write steps this way."""
    plan = step.schedule
    return CampaignStep(
        position=position,
        texts=dict(step.texts),
        links=[{"url": link.url, "label": dict(link.label)} for link in step.links],
        survey_id=step.survey_id,
        media_url=step.media_url,
        schedule_kind=plan.kind,
        send_at=plan.send_at,
        cron=plan.cron,
        until=plan.until,
        event_at=plan.event_at,
        offset_minutes=int(plan.offset.total_seconds() // 60),
        urgent=step.urgent,
    )


async def submit(
    session: AsyncSession, campaign_id: int, by: StaffMember, now: datetime | None = None
) -> Campaign:
    now = now or utcnow()
    campaign = await _managed(session, campaign_id, by, "submit", now)
    _expect(campaign, CampaignStatus.DRAFT)
    ensure_upcoming(_plans(campaign), now)
    await approval.ensure_complete(session, campaign)
    campaign.submitted_by_id, campaign.submitted_at = by.id, now
    await _move(session, campaign, CampaignStatus.SUBMITTED, by.label, now)
    await staff_notices.submitted(session, campaign, now)
    return campaign


async def approve(
    session: AsyncSession, campaign_id: int, by: StaffMember, now: datetime | None = None
) -> Campaign:
    now = now or utcnow()
    campaign = await get(session, campaign_id)
    await approval.ensure_may_approve(session, campaign, by, now)
    _expect(campaign, CampaignStatus.SUBMITTED)
    await approval.ensure_complete(session, campaign)
    campaign.approved_by_id, campaign.approved_at = by.id, now
    await _move(session, campaign, CampaignStatus.APPROVED, by.label, now)
    await staff_notices.approved(session, campaign, by, now)
    return campaign


async def reject(
    session: AsyncSession, campaign_id: int, by: StaffMember, reason: str, now: datetime | None = None
) -> Campaign:
    """Return a submitted campaign to its author as a draft, with the reason (stored, audited, sent to
    its author and submitter). Who may approve may return; a reason is required."""
    now = now or utcnow()
    campaign = await get(session, campaign_id)
    await approval.ensure_may_approve(session, campaign, by, now, action="reject")
    _expect(campaign, CampaignStatus.SUBMITTED)
    campaign.rejection_reason = approval.checked_reason(reason)
    campaign.rejected_by_id, campaign.rejected_at = by.id, now
    await _move(
        session,
        campaign,
        CampaignStatus.DRAFT,
        by.label,
        now,
        action="campaign.rejected",
        reason=campaign.rejection_reason,
    )
    await staff_notices.returned(session, campaign, by, now)
    return campaign


async def schedule(
    session: AsyncSession, campaign_id: int, by: StaffMember, now: datetime | None = None
) -> Campaign:
    """Hand an approved campaign to the scheduler; a one-off step whose time has passed is refused."""
    now = now or utcnow()
    campaign = await _managed(session, campaign_id, by, "schedule", now)
    _expect(campaign, CampaignStatus.APPROVED)
    ensure_upcoming(_plans(campaign), now, LATE_TOLERANCE)
    campaign.scheduled_at = now
    await _move(session, campaign, CampaignStatus.SCHEDULED, by.label, now)
    return campaign


async def pause(
    session: AsyncSession, campaign_id: int, by: StaffMember, now: datetime | None = None
) -> Campaign:
    """Stop firing steps; messages already queued wait in the outbox (its claim skips a paused campaign's
    rows) until `resume`. `cancel` withdraws them instead."""
    now = now or utcnow()
    campaign = await _managed(session, campaign_id, by, "pause", now)
    _expect(campaign, *PAUSABLE)
    campaign.paused_from = campaign.status
    await _move(session, campaign, CampaignStatus.PAUSED, by.label, now)
    return campaign


async def resume(
    session: AsyncSession, campaign_id: int, by: StaffMember, now: datetime | None = None
) -> Campaign:
    now = now or utcnow()
    campaign = await _managed(session, campaign_id, by, "resume", now)
    _expect(campaign, CampaignStatus.PAUSED)
    target = CampaignStatus(campaign.paused_from or CampaignStatus.APPROVED)
    campaign.paused_from = None
    await _move(session, campaign, target, by.label, now, action="campaign.resumed")
    return campaign


async def cancel(
    session: AsyncSession, campaign_id: int, by: StaffMember, now: datetime | None = None
) -> Campaign:
    """Withdraw the campaign at any point before it is done: pending outbox rows are cancelled too."""
    now = now or utcnow()
    campaign = await _managed(session, campaign_id, by, "cancel", now)
    if campaign.status in FINISHED:
        raise _wrong_state(campaign)
    withdrawn = await outbox.cancel(session, campaign_id=campaign.id)
    campaign.cancelled_at, campaign.paused_from = now, None
    await _move(session, campaign, CampaignStatus.CANCELLED, by.label, now, withdrawn=withdrawn)
    return campaign


async def start_sending(session: AsyncSession, campaign: Campaign, now: datetime) -> None:
    """The first firing moves a scheduled campaign to sending (actor: the scheduler)."""
    if campaign.status == CampaignStatus.SCHEDULED:
        campaign.started_at = now
        await _move(session, campaign, CampaignStatus.SENDING, SCHEDULER, now)


async def finish(session: AsyncSession, campaign: Campaign, now: datetime) -> None:
    """Nothing is left to fire: the campaign is done (its messages may still be in the outbox)."""
    if campaign.status in LIVE:
        campaign.finished_at = now
        await _move(session, campaign, CampaignStatus.DONE, SCHEDULER, now)


async def _managed(
    session: AsyncSession, campaign_id: int, by: StaffMember, action: str, now: datetime
) -> Campaign:
    """The campaign, when `by` may act on it: coordinators on any, officers within their municipality."""
    campaign = await get(session, campaign_id)
    spec = AudienceSpec.from_dict(campaign.audience)
    await staff.ensure_scope(session, by, spec, action=action, subject=f"campaign:{campaign.id}", now=now)
    return campaign


def _plans(campaign: Campaign) -> list[tuple[int, StepSchedule]]:
    return [(step.position, StepSchedule.of(step)) for step in campaign.steps]


def _expect(campaign: Campaign, *statuses: CampaignStatus) -> None:
    if campaign.status not in statuses:
        raise _wrong_state(campaign)


def _wrong_state(campaign: Campaign) -> InvalidTransition:
    return InvalidTransition(
        Text.of(
            "Campaign {id} is {status}; that is not possible now.",
            id=campaign.id,
            status=Text(STATUS_LABELS[CampaignStatus(campaign.status)]),
        )
    )


async def _move(
    session: AsyncSession,
    campaign: Campaign,
    to: CampaignStatus,
    actor: str,
    now: datetime,
    *,
    action: str | None = None,
    **details: object,
) -> None:
    before = campaign.status
    campaign.status, campaign.updated_at = to, now
    await _record(
        session,
        campaign,
        actor,
        action or f"campaign.{to}",
        now,
        {"from": str(before), "to": str(to), **details},
    )
    await session.flush()


async def _record(
    session: AsyncSession,
    campaign: Campaign,
    actor: str,
    action: str,
    now: datetime,
    details: dict[str, object],
) -> None:
    codes = AudienceSpec.from_dict(campaign.audience).municipalities
    ids = await municipality_ids(session, AudienceSpec(municipalities=codes)) if len(codes) == 1 else {}
    await audit(
        session,
        actor,
        action,
        f"campaign:{campaign.id}",
        municipality_id=next(iter(ids.values()), None),
        details=details,
        now=now,
    )
