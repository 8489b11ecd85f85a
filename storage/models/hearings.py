"""Public hearings, the RSVPs and questions people send for them, and the feedback published afterwards.

Per-language text written by officers (title, description, place, accessibility note, feedback) is stored
as {language: text} with a declared fallback language, so every reader gets the notice in some language
they were promised. Names are stored only on RSVPs of hearings that need them (PRIVACY.md, req. 4).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JSONType, utcnow
from storage.erasure import personal_data


class HearingStatus(StrEnum):
    DRAFT = "draft"  # written, nobody told yet
    ANNOUNCED = "announced"  # notices sent: people can RSVP and ask
    CANCELLED = "cancelled"
    HELD = "held"  # its time has passed; feedback can be published


class Rsvp(StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    NOT_GOING = "not_going"


class QuestionStatus(StrEnum):
    RECEIVED = "received"
    CONSIDERED = "considered"  # feedback on the hearing has been published since it arrived
    ERASED = "erased"  # the person deleted their data: the text is gone, the count stays


class Moderation(StrEnum):
    """What the officer decided to do with a question at the hearing."""

    NEW = "new"  # not looked at yet
    SHOWN = "shown"  # to be read out / shown at the hearing
    HIDDEN = "hidden"  # off-topic or abusive: kept, counted, not shown


class Hearing(Base):
    """One public hearing of one municipality. `starts_at` is UTC; readers see Tbilisi time.

    `created_by` is the staff member's label (`StaffMember.label`): staff live on another migration
    branch, so there is no foreign key, and the label stays readable after the member is revoked.
    """

    __tablename__ = "hearings"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    title: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]]
    place: Mapped[dict[str, str]]
    accessibility: Mapped[dict[str, str]]
    fallback_language: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int]
    interpretation: Mapped[list[str]] = mapped_column(JSONType, default=list)
    names_required: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[int | None]  # places; beyond it people wait (None: no limit)
    status: Mapped[HearingStatus] = mapped_column(String(16), default=HearingStatus.DRAFT, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    announced_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HearingRsvp(Base):
    """One person's answer for one hearing; changing one's mind updates this row (unique per person).

    `name` is kept only while the hearing needs names and the answer is going or maybe.
    """

    __tablename__ = "hearing_rsvps"
    __table_args__ = (UniqueConstraint("hearing_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    answer: Mapped[Rsvp] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    waiting_since: Mapped[datetime | None]  # set while the hearing is full: on the waiting list


class HearingQuestion(Base):
    """A question sent in advance, stored exactly as typed (escaping is the renderer's job)."""

    __tablename__ = "hearing_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[QuestionStatus] = mapped_column(String(16), default=QuestionStatus.RECEIVED)
    moderation: Mapped[Moderation] = mapped_column(String(16), default=Moderation.NEW, server_default="new")


class HearingFeedback(Base):
    """What the municipality did with the input, published after the hearing (possibly more than once)."""

    __tablename__ = "hearing_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"), index=True)
    texts: Mapped[dict[str, str]]
    fallback_language: Mapped[str] = mapped_column(String(8))
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


# Erasure drops names and the texts of questions; anonymous counts of RSVPs and questions stay.
personal_data(HearingRsvp, HearingRsvp.contact_id, {"name": None})
personal_data(HearingQuestion, HearingQuestion.contact_id, {"text": "", "status": QuestionStatus.ERASED})
