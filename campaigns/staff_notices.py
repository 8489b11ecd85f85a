"""What staff are told on Telegram without asking: a campaign waits for their approval (coordinators who
may approve it), theirs was approved or returned with a reason, theirs finished sending (its author and
submitter).

Each notice is an outbox row like any message, with a dedupe key naming the occasion and the staff member
(`staff:c12:approved:m3`), so a retried transaction or a repeated check queues it once. The row is
addressed to the staff member (`staff_id`), never to a contact, and carries no campaign id: audiences,
campaign tallies, benchmarks and privacy exports, which all go through contacts or campaign ids, never
see it, and pausing or cancelling the campaign does not hold back news about it.

Quiet hours do not apply. They keep unasked-for broadcasts away from citizens at night; these are a few
work messages to people who took on the work, each answering a colleague's action, and holding a
submission notice until 09:00 would hold the approval, and the citizens' notice behind it, just as long.
Staff who do not want them at night mute the chat in Telegram.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.outline import first_message, places, review_choice
from channels import outbox
from channels.message import N_, Literal, Outgoing, Text
from channels.outbox import OutboxItem
from storage.base import utcnow
from storage.models.campaigns import Campaign, CampaignStatus, Role, StaffMember
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery

PREFIX = "staff:"
SUBMITTED = N_(
    "Campaign {id} “{name}” is waiting for your approval.\n"
    "Submitted by: {by}\nMunicipalities: {places}\nFirst message: {first}"
)
APPROVED = N_("Your campaign {id} “{name}” was approved by {by}.")
RETURNED = N_(
    "Your campaign {id} “{name}” was returned by {by}, who asks for changes:\n\n{reason}\n\n"
    "It is a draft again: change it and submit it once more."
)
FINISHED = N_("Your campaign {id} “{name}” has finished sending: {sent} sent, {failed} not delivered.")
REPORT_BATCH = 50  # finished campaigns looked at per check; the rest wait for the next one


async def approvers(session: AsyncSession, campaign: Campaign) -> list[StaffMember]:
    """The active coordinators who may approve it: everyone but its author and its submitter."""
    own = [i for i in (campaign.created_by_id, campaign.submitted_by_id) if i is not None]
    found = await session.scalars(
        select(StaffMember)
        .where(StaffMember.active.is_(True), StaffMember.role == Role.COORDINATOR, StaffMember.id.not_in(own))
        .order_by(StaffMember.id)
    )
    return list(found.all())


async def submitted(session: AsyncSession, campaign: Campaign, now: datetime) -> list[StaffMember]:
    """Tell each approver with a Telegram id that the campaign waits for them; returns those told."""
    told = [member for member in await approvers(session, campaign) if member.telegram_id is not None]
    submitter = await session.get(StaffMember, campaign.submitted_by_id) if campaign.submitted_by_id else None
    message = Outgoing(
        parts=(
            Text.of(
                SUBMITTED,
                id=campaign.id,
                name=Literal(campaign.name),
                by=Literal(submitter.label if submitter else "?"),
                places=await places(session, campaign),
                first=first_message(campaign, now),
            ),
        ),
        choices=(review_choice(campaign.id),),
    )
    await _tell(
        session, told, f"c{campaign.id}:submitted{_stamp(campaign.submitted_at or now)}", message, now
    )
    return told


async def approved(session: AsyncSession, campaign: Campaign, by: StaffMember, now: datetime) -> None:
    message = Outgoing.say(APPROVED, id=campaign.id, name=Literal(campaign.name), by=Literal(by.label))
    await _tell(session, await _owners(session, campaign), f"c{campaign.id}:approved", message, now)


async def returned(session: AsyncSession, campaign: Campaign, by: StaffMember, now: datetime) -> None:
    message = Outgoing.say(
        RETURNED,
        id=campaign.id,
        name=Literal(campaign.name),
        by=Literal(by.label),
        reason=Literal(campaign.rejection_reason or ""),
    )
    key = f"c{campaign.id}:returned{_stamp(campaign.rejected_at or now)}"
    await _tell(session, await _owners(session, campaign), key, message, now)


async def report_finished(session: AsyncSession, now: datetime | None = None) -> int:
    """Tell author and submitter of each campaign that is done and has nothing left in the outbox how
    many messages went and how many did not; returns how many campaigns were reported.

    Run on every scheduler resync: `finish_reported_at` makes a campaign's report happen once, and its
    dedupe keys keep a repeated or concurrent run (two leaders for a moment) from doubling it.
    """
    now = now or utcnow()
    waiting = select(Delivery.id).where(
        Delivery.campaign_id == Campaign.id, Delivery.status.in_(outbox.OPEN_STATUSES)
    )
    done = await session.scalars(
        select(Campaign)
        .where(
            Campaign.status == CampaignStatus.DONE,
            Campaign.finish_reported_at.is_(None),
            ~waiting.exists(),
        )
        .order_by(Campaign.id)
        .limit(REPORT_BATCH)
    )
    reported = 0
    for campaign in done.all():
        progress = await outbox.progress(session, campaign_id=campaign.id, rates={})
        message = Outgoing.say(
            FINISHED,
            id=campaign.id,
            name=Literal(campaign.name),
            sent=progress.sent + progress.delivered,
            failed=progress.failed + progress.undelivered + progress.unreachable,
        )
        await _tell(session, await _owners(session, campaign), f"c{campaign.id}:finished", message, now)
        campaign.finish_reported_at = now
        reported += 1
    await session.flush()
    return reported


async def _owners(session: AsyncSession, campaign: Campaign) -> list[StaffMember]:
    """Its submitter and its author (one person when they are the same)."""
    ids = dict.fromkeys(i for i in (campaign.submitted_by_id, campaign.created_by_id) if i is not None)
    members = [await session.get(StaffMember, member_id) for member_id in ids]
    return [m for m in members if m is not None and m.active]


async def _tell(
    session: AsyncSession, members: Iterable[StaffMember], occasion: str, message: Outgoing, now: datetime
) -> int:
    """Queue `message` to each member's Telegram chat (members without a Telegram id cannot be told)."""
    items: Sequence[OutboxItem] = [
        OutboxItem(
            dedupe_key=f"{PREFIX}{occasion}:m{member.id}",
            contact_id=None,
            staff_id=member.id,
            channel=Channel.TELEGRAM,
            address=str(member.telegram_id),
            language=member.language,
            message=message,
            not_before=now,
        )
        for member in members
        if member.telegram_id is not None
    ]
    return await outbox.enqueue(session, items, now=now) if items else 0


def _stamp(moment: datetime) -> int:
    """A submission or return in the dedupe key: a campaign resubmitted after changes is news again."""
    return int(moment.timestamp())
