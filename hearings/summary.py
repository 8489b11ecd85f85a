"""One hearing at a glance for its officer: answers by language, who may need interpretation, the
questions with their moderation state, and what became of the published feedback.

Nothing here names a person unless the hearing asked for names (going and maybe only), and no phone
number or chat id ever appears. Reading the summary is an access to personal data (the questions, the
names): it is audited like `questions` and `rsvps`. Moderation (new, shown, hidden) is the officer's note
of what is read out at the hearing; a hidden question is kept and counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.errors import NotFound
from channels.message import Text
from contacts.registry import audit
from hearings import officers
from storage.base import utcnow
from storage.models import Contact
from storage.models.campaigns import StaffMember
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.hearings import (
    Hearing,
    HearingFeedback,
    HearingQuestion,
    HearingRsvp,
    Moderation,
    QuestionStatus,
    Rsvp,
)

COMING = (Rsvp.GOING, Rsvp.MAYBE)


@dataclass(frozen=True)
class Question:
    id: int
    received_at: datetime
    moderation: Moderation
    text: str


@dataclass(frozen=True)
class FeedbackResult:
    """One published feedback and how its messages fared (sent includes delivered)."""

    id: int
    published_at: datetime
    published_by: str
    sent: int
    failed: int
    waiting: int


@dataclass(frozen=True)
class Summary:
    hearing: Hearing
    answers: Counter[tuple[Rsvp, str]]  # (answer, the person's language) -> people
    waiting: int  # on the waiting list (a hearing with a capacity)
    interpretation: dict[str, int]  # an interpretation language -> people going or maybe who read it
    questions: list[Question]
    feedback: list[FeedbackResult]
    names: list[tuple[Rsvp, str | None]]  # only for a hearing that needs names

    def by_answer(self) -> dict[Rsvp, int]:
        return {answer: sum(n for (a, _), n in self.answers.items() if a == answer) for answer in Rsvp}

    def by_moderation(self) -> dict[Moderation, int]:
        counted = Counter(q.moderation for q in self.questions)
        return {state: counted.get(state, 0) for state in Moderation}


async def summary(
    session: AsyncSession, hearing_id: int, actor: StaffMember, now: datetime | None = None
) -> Summary:
    now = now or utcnow()
    hearing = await officers.get(session, hearing_id)
    subject = f"hearing:{hearing.id}"
    await officers.ensure_scope(
        session, actor, hearing.municipality_id, action="summary", subject=subject, now=now
    )
    rows = await session.execute(
        select(HearingRsvp.answer, Contact.language, HearingRsvp.waiting_since.is_not(None), func.count())
        .join(Contact, Contact.id == HearingRsvp.contact_id)
        .where(HearingRsvp.hearing_id == hearing.id)
        .group_by(HearingRsvp.answer, Contact.language, HearingRsvp.waiting_since.is_not(None))
    )
    answers: Counter[tuple[Rsvp, str]] = Counter()
    waiting = 0
    for answer, language, waits, n in rows.all():
        answers[(Rsvp(answer), str(language))] += int(n)
        waiting += int(n) if waits else 0
    interpretation = {
        code: sum(n for (a, lang), n in answers.items() if a in COMING and lang == code)
        for code in hearing.interpretation
    }
    asked = (
        await session.scalars(
            select(HearingQuestion)
            .where(HearingQuestion.hearing_id == hearing.id, HearingQuestion.status != QuestionStatus.ERASED)
            .order_by(HearingQuestion.received_at, HearingQuestion.id)
        )
    ).all()
    questions = [Question(q.id, q.received_at, Moderation(q.moderation), q.text) for q in asked]
    names: list[tuple[Rsvp, str | None]] = []
    if hearing.names_required:
        names = list((await officers.rsvp_summary(session, hearing.id, actor, now)).names)
    await audit(
        session,
        actor.label,
        "hearing.summary_viewed",
        subject,
        municipality_id=hearing.municipality_id,
        details={"questions": len(questions), "names": len(names)},
        now=now,
    )
    return Summary(
        hearing, answers, waiting, interpretation, questions, await _feedback(session, hearing.id), names
    )


async def _feedback(session: AsyncSession, hearing_id: int) -> list[FeedbackResult]:
    published = (
        await session.scalars(
            select(HearingFeedback)
            .where(HearingFeedback.hearing_id == hearing_id)
            .order_by(HearingFeedback.published_at, HearingFeedback.id)
        )
    ).all()
    results = []
    for item in published:
        counted = dict(
            (
                await session.execute(
                    select(Delivery.status, func.count())
                    .where(Delivery.dedupe_key.startswith(f"h{hearing_id}:fb{item.id}:", autoescape=True))
                    .group_by(Delivery.status)
                )
            ).all()
        )
        sent = sum(int(counted.get(s, 0)) for s in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED))
        failed = sum(int(counted.get(s, 0)) for s in (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED))
        waiting = sum(int(counted.get(s, 0)) for s in (DeliveryStatus.PENDING, DeliveryStatus.SENDING))
        results.append(FeedbackResult(item.id, item.published_at, item.published_by, sent, failed, waiting))
    return results


async def moderate(
    session: AsyncSession,
    hearing_id: int,
    question_id: int,
    state: Moderation,
    actor: StaffMember,
    now: datetime | None = None,
) -> HearingQuestion:
    """Mark a question of this hearing new, shown or hidden (audited)."""
    now = now or utcnow()
    hearing = await officers.get(session, hearing_id)
    subject = f"hearing:{hearing.id}"
    await officers.ensure_scope(
        session, actor, hearing.municipality_id, action="moderate", subject=subject, now=now
    )
    question = await session.get(HearingQuestion, question_id)
    if question is None or question.hearing_id != hearing.id or question.status == QuestionStatus.ERASED:
        raise NotFound(Text.of("No question {id} for this hearing.", id=question_id))
    question.moderation = state
    await audit(
        session,
        actor.label,
        "hearing.question_moderated",
        subject,
        municipality_id=hearing.municipality_id,
        details={"question": question.id, "state": state},
        now=now,
    )
    await session.flush()
    return question
