"""What officers do with hearings: create, announce, cancel, publish feedback, read RSVPs and questions.

An officer acts only on their own municipality, a coordinator on all; every action, and every refusal, is
in the audit log. Reading RSVP names and questions is an access to personal data, so it is audited too.
Services flush, never commit: the CLI command that called them owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff
from campaigns.audience import AudienceSpec, recipients
from campaigns.audience import count as count_audience
from campaigns.errors import InvalidDefinition, InvalidTransition, NotFound
from campaigns.municipalities import unknown_municipality
from campaigns.quiet import next_allowed, quiet_hours_of
from campaigns.schedule import QuietHours, apply_quiet_hours
from channels.message import N_, Text
from contacts.registry import audit, municipality_by_code
from hearings import notice_period, notices, participants, sms_notice
from hearings.definition import FEEDBACK_MAX, HearingDraft, field_label, texts
from storage.base import utcnow
from storage.models import Channel, Municipality
from storage.models.campaigns import StaffMember
from storage.models.hearings import (
    Hearing,
    HearingFeedback,
    HearingQuestion,
    HearingRsvp,
    HearingStatus,
    QuestionStatus,
    Rsvp,
)

TOPIC = "hearings"  # people following this topic get the notices of their municipality


@dataclass(frozen=True)
class RsvpSummary:
    """Counts per answer; `names` only for a hearing that needs them (going and maybe, by name)."""

    counts: Mapping[Rsvp, int]
    names: Sequence[tuple[Rsvp, str | None]]


def deliver_at(now: datetime, starts_at: datetime, quiet: QuietHours) -> datetime | None:
    """When a message about a hearing may go: after quiet hours, unless that is too late to matter."""
    moment = apply_quiet_hours(now, quiet)
    return moment if moment < starts_at else None


async def send_time(
    session: AsyncSession,
    hearing: Hearing,
    now: datetime,
    *,
    quiet: QuietHours | None = None,
    urgent: bool = False,
) -> datetime:
    """When a message about `hearing` queued at `now` goes out: after its municipality's quiet hours
    (`campaigns.quiet`), unless that would be after the hearing began, or it is urgent: then now."""
    if urgent:
        return now
    place = await session.get(Municipality, hearing.municipality_id)
    return deliver_at(now, hearing.starts_at, quiet_hours_of(place, quiet)) or now


async def get(session: AsyncSession, hearing_id: int) -> Hearing:
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None:
        raise NotFound(Text.of("No hearing {id}.", id=hearing_id))
    return hearing


OUTSIDE_HOME = N_("Officers can only act on hearings of their own municipality ({municipality}).")


async def ensure_scope(
    session: AsyncSession,
    member: StaffMember,
    municipality_id: int,
    *,
    action: str,
    subject: str,
    now: datetime,
) -> None:
    """Refuse (and audit `hearing.scope_denied`) an officer acting outside their own municipality."""
    await staff.refuse_outside_home(
        session,
        member,
        municipality_id,
        domain="hearing",
        refusal=OUTSIDE_HOME,
        action=action,
        subject=subject,
        now=now,
    )


async def create(
    session: AsyncSession, draft: HearingDraft, by: StaffMember, now: datetime | None = None
) -> Hearing:
    """Store a draft hearing (nobody is told until it is announced)."""
    now = now or utcnow()
    municipality = await municipality_by_code(session, draft.municipality)
    if municipality is None:
        raise InvalidDefinition(await unknown_municipality(session, draft.municipality))
    await ensure_scope(session, by, municipality.id, action="create", subject="hearing:new", now=now)
    if draft.starts_at <= now:
        raise InvalidDefinition(Text("The hearing would start in the past."))
    hearing = Hearing(
        municipality_id=municipality.id,
        title=dict(draft.title),
        description=dict(draft.description),
        place=dict(draft.place),
        accessibility=dict(draft.accessibility),
        fallback_language=draft.fallback_language,
        starts_at=draft.starts_at,
        duration_minutes=draft.duration_minutes,
        interpretation=list(draft.interpretation),
        names_required=draft.names_required,
        capacity=draft.capacity,
        status=HearingStatus.DRAFT,
        created_by=by.label,
        created_at=now,
        updated_at=now,
    )
    session.add(hearing)
    await session.flush()
    await audit(
        session,
        by.label,
        "hearing.created",
        f"hearing:{hearing.id}",
        municipality_id=municipality.id,
        details={"starts_at": hearing.starts_at.isoformat()},
        now=now,
    )
    return hearing


async def listing(
    session: AsyncSession, municipality_id: int | None = None, limit: int = 100
) -> list[Hearing]:
    """Latest start first, of one municipality or of all."""
    query = select(Hearing).order_by(Hearing.starts_at.desc(), Hearing.id).limit(limit)
    if municipality_id is not None:
        query = query.where(Hearing.municipality_id == municipality_id)
    return list((await session.scalars(query)).all())


async def announce(
    session: AsyncSession,
    hearing_id: int,
    actor: StaffMember,
    now: datetime | None = None,
    *,
    quiet: QuietHours | None = None,
    urgent: bool = False,
    public_base_url: str | None = None,
) -> int:
    """Tell everyone of the municipality who follows hearings; returns how many notices were queued.

    Announcing again (after more people signed up) reaches only those not told yet. `urgent` sends
    through quiet hours (a hearing moved at short notice); it is recorded in the audit entry.
    """
    now = now or utcnow()
    hearing = await get(session, hearing_id)
    subject = f"hearing:{hearing.id}"
    await ensure_scope(session, actor, hearing.municipality_id, action="announce", subject=subject, now=now)
    if hearing.status not in (HearingStatus.DRAFT, HearingStatus.ANNOUNCED) or hearing.starts_at <= now:
        raise InvalidTransition(
            Text("Only a hearing that has not started or been cancelled can be announced.")
        )
    municipality = await session.get_one(Municipality, hearing.municipality_id)
    if hearing.status == HearingStatus.DRAFT:
        hearing.status, hearing.announced_at, hearing.updated_at = HearingStatus.ANNOUNCED, now, now
    spec = AudienceSpec(municipalities=(municipality.code,), topics=(TOPIC,))
    await refuse_long_sms(session, hearing, spec, municipality.code, public_base_url)
    queued = await participants.send_to(
        session,
        recipients(session, spec),
        lambda p: sms_notice.notice_for(hearing, p.channel, p.language, municipality.code, public_base_url),
        lambda p: f"h{hearing.id}:notice:p{p.contact_id}:{p.channel}",
        not_before=await send_time(session, hearing, now, quiet=quiet, urgent=urgent),
        now=now,
    )
    await audit(
        session,
        actor.label,
        "hearing.announced",
        subject,
        municipality_id=hearing.municipality_id,
        details={
            "queued": queued,
            "urgent": urgent,
            "notice_days": round(notice_period.notice_days(hearing, now), 2),
        },
        now=now,
    )
    return queued


async def refuse_long_sms(
    session: AsyncSession, hearing: Hearing, spec: AudienceSpec, code: str, public_base_url: str | None
) -> None:
    """No SMS reader may get a notice over `sms_notice.MAX_SEGMENTS` segments, even shortened."""
    counted = await count_audience(session, spec)
    for channel, lang in sorted(counted.by_channel_language):
        if channel == Channel.SMS and sms_notice.too_long_for_sms(hearing, lang, code, public_base_url):
            raise InvalidDefinition(
                Text.of(
                    "Even shortened, the SMS notice is over {limit} segments in {language}. Please "
                    "shorten the title or the place.",
                    limit=sms_notice.MAX_SEGMENTS,
                    language=notices.language_name(lang),
                )
            )


async def cancel(
    session: AsyncSession,
    hearing_id: int,
    actor: StaffMember,
    now: datetime | None = None,
    *,
    quiet: QuietHours | None = None,
) -> int:
    """Cancel, withdraw notices and reminders not sent yet, and tell those who meant to come or asked."""
    now = now or utcnow()
    hearing = await get(session, hearing_id)
    subject = f"hearing:{hearing.id}"
    await ensure_scope(session, actor, hearing.municipality_id, action="cancel", subject=subject, now=now)
    if hearing.status not in (HearingStatus.DRAFT, HearingStatus.ANNOUNCED):
        raise InvalidTransition(Text("Only a draft or announced hearing can be cancelled."))
    was_announced = hearing.status == HearingStatus.ANNOUNCED
    hearing.status, hearing.cancelled_at, hearing.updated_at = HearingStatus.CANCELLED, now, now
    withdrawn = await participants.withdraw(session, hearing.id, ("notice:", "rem"), now)
    notified = 0
    if was_announced:
        who = participants.rsvp_or_asked(hearing.id, (Rsvp.GOING, Rsvp.MAYBE))
        notified = await participants.send_to(
            session,
            participants.reach(session, who),
            notices.cancellation(hearing),
            lambda p: f"h{hearing.id}:cancel:p{p.contact_id}:{p.channel}",
            not_before=await send_time(session, hearing, now, quiet=quiet),
            now=now,
        )
    await audit(
        session,
        actor.label,
        "hearing.cancelled",
        subject,
        municipality_id=hearing.municipality_id,
        details={"notified": notified, "withdrawn": withdrawn},
        now=now,
    )
    return notified


async def publish_feedback(
    session: AsyncSession,
    hearing_id: int,
    feedback: Mapping[str, str],
    actor: StaffMember,
    now: datetime | None = None,
    *,
    fallback: str | None = None,
    quiet: QuietHours | None = None,
) -> int:
    """Publish what was done with the input and tell everyone who answered or asked; returns how many."""
    now = now or utcnow()
    hearing = await get(session, hearing_id)
    subject = f"hearing:{hearing.id}"
    await ensure_scope(session, actor, hearing.municipality_id, action="feedback", subject=subject, now=now)
    if hearing.status == HearingStatus.ANNOUNCED and hearing.starts_at <= now:
        hearing.status, hearing.updated_at = HearingStatus.HELD, now
    if hearing.status != HearingStatus.HELD:
        raise InvalidTransition(Text("Feedback can be published once the hearing has taken place."))
    written = texts("feedback", feedback, FEEDBACK_MAX)
    if not written:
        raise InvalidDefinition(Text("The feedback needs a text in at least one language."))
    preferred = [code for code in ("ka", hearing.fallback_language) if code in written]
    language = fallback or (preferred or list(written))[0]
    if language not in written:
        raise InvalidDefinition(
            Text.of(
                "The {field} must be written in the fallback language ({code}).",
                field=field_label("feedback"),
                code=language,
            )
        )
    published = HearingFeedback(
        hearing_id=hearing.id,
        texts=written,
        fallback_language=language,
        published_by=actor.label,
        published_at=now,
    )
    session.add(published)
    await session.flush()
    await session.execute(
        update(HearingQuestion)
        .where(HearingQuestion.hearing_id == hearing.id, HearingQuestion.status == QuestionStatus.RECEIVED)
        .values(status=QuestionStatus.CONSIDERED),
        execution_options={"synchronize_session": False},
    )
    who = participants.rsvp_or_asked(hearing.id, tuple(Rsvp))
    notified = await participants.send_to(
        session,
        participants.reach(session, who),
        notices.feedback(hearing, published),
        lambda p: f"h{hearing.id}:fb{published.id}:p{p.contact_id}:{p.channel}",
        not_before=next_allowed(now, await session.get(Municipality, hearing.municipality_id), default=quiet),
        now=now,
    )
    await audit(
        session,
        actor.label,
        "hearing.feedback_published",
        subject,
        municipality_id=hearing.municipality_id,
        details={"feedback": published.id, "notified": notified},
        now=now,
    )
    return notified


async def rsvp_summary(
    session: AsyncSession, hearing_id: int, actor: StaffMember, now: datetime | None = None
) -> RsvpSummary:
    now = now or utcnow()
    hearing = await get(session, hearing_id)
    subject = f"hearing:{hearing.id}"
    await ensure_scope(session, actor, hearing.municipality_id, action="rsvps", subject=subject, now=now)
    rows = await session.execute(
        select(HearingRsvp.answer, func.count())
        .where(HearingRsvp.hearing_id == hearing.id)
        .group_by(HearingRsvp.answer)
    )
    found = {Rsvp(answer): int(n) for answer, n in rows}
    counts = {answer: found.get(answer, 0) for answer in Rsvp}
    names: list[tuple[Rsvp, str | None]] = []
    if hearing.names_required:
        named = await session.execute(
            select(HearingRsvp.answer, HearingRsvp.name)
            .where(HearingRsvp.hearing_id == hearing.id, HearingRsvp.answer.in_((Rsvp.GOING, Rsvp.MAYBE)))
            .order_by(HearingRsvp.answer, HearingRsvp.name, HearingRsvp.id)
        )
        names = [(Rsvp(answer), name) for answer, name in named]
        await audit(
            session,
            actor.label,
            "hearing.names_viewed",
            subject,
            municipality_id=hearing.municipality_id,
            details={"names": len(names)},
            now=now,
        )
    return RsvpSummary(counts, names)


async def questions(
    session: AsyncSession, hearing_id: int, actor: StaffMember, now: datetime | None = None
) -> list[HearingQuestion]:
    """The questions sent in advance, oldest first (erased ones left out), for preparing the answers."""
    now = now or utcnow()
    hearing = await get(session, hearing_id)
    subject = f"hearing:{hearing.id}"
    await ensure_scope(session, actor, hearing.municipality_id, action="questions", subject=subject, now=now)
    found = list(
        (
            await session.scalars(
                select(HearingQuestion)
                .where(
                    HearingQuestion.hearing_id == hearing.id, HearingQuestion.status != QuestionStatus.ERASED
                )
                .order_by(HearingQuestion.received_at, HearingQuestion.id)
            )
        ).all()
    )
    await audit(
        session,
        actor.label,
        "hearing.questions_viewed",
        subject,
        municipality_id=hearing.municipality_id,
        details={"questions": len(found)},
        now=now,
    )
    return found
