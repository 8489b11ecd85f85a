"""Surveys as stored: the checked definition, its lifecycle and targets, and the responses and answers.

Answers are the product's reason to exist, so they outlive the person: a response points at the contact
row, which `/delete` turns into an anonymous row (never deleted), and a hard delete of a contact only
sets the pointer to NULL. The two unique constraints are what make answering idempotent: one response
per person per survey, and one answer per response and question, so a double tap or a re-sent update
can never store an answer twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow

# Answer values may be JSON null (declined or left empty): keep it a JSON null, not SQL NULL.
_VALUE_TYPE = JSON(none_as_null=False).with_variant(JSONB(none_as_null=False), "postgresql")


class SurveyStatus(StrEnum):
    DRAFT = "draft"  # imported, not yet visible to anyone
    OPEN = "open"  # answerable inside its window (opens_at .. closes_at)
    CLOSED = "closed"  # no new answers; results stay


class ResponseStatus(StrEnum):
    STARTED = "started"
    COMPLETED = "completed"


class SurveyRecord(Base):
    """One imported survey. `definition` is `surveys.yaml_format.survey_to_data` of the checked survey,
    `fingerprint` the SHA-256 of that document: parsed definitions are cached by it, so answering loads
    the short fingerprint instead of the whole document. `revision` counts re-imports of a draft.

    Targets narrow who may answer; an empty list does not narrow (no municipalities: all of them).
    """

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    definition: Mapped[dict[str, Any]]
    fingerprint: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(default=1)
    status: Mapped[SurveyStatus] = mapped_column(String(16), default=SurveyStatus.DRAFT, index=True)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    target_municipalities: Mapped[list[str]] = mapped_column(default=list)
    target_languages: Mapped[list[str]] = mapped_column(default=list)
    target_topics: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    # Made public by a coordinator: its protected results appear on the municipality's public page.
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    published_at: Mapped[datetime | None]


def _municipality_of_person(context: Any) -> int | None:
    """A response's municipality when the insert does not name one: its person's at this moment."""
    contact_id = context.get_current_parameters().get("contact_id")
    if contact_id is None:
        return None
    found = context.connection.execute(
        text("SELECT municipality_id FROM contacts WHERE id = :id"), {"id": contact_id}
    ).scalar()
    return int(found) if found is not None else None


class SurveyResponse(Base):
    """One person's way through one survey. `position` is the index (in the definition) of the question
    they are on, so stopping and coming back resumes at the same question; `draft` holds the options
    ticked so far on a multiple-choice question before Done."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "contact_id"),
        # Each person's responses with their start, in person order: the response-rate figure reads it.
        Index("ix_survey_responses_contact_id_started_at", "contact_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (survey_id, contact_id) index also serves lookups by survey.
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    # Where the person lived when they started (moving later does not move the answer); the
    # benchmarking index groups by it without joining the people. Filled from the person when not given.
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id"), index=True, default=_municipality_of_person
    )
    status: Mapped[ResponseStatus] = mapped_column(String(16), default=ResponseStatus.STARTED)
    position: Mapped[int] = mapped_column(default=0)
    draft: Mapped[list[str]] = mapped_column(default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SurveyAnswer(Base):
    """One answer. `value` is the JSON of `surveys.definition.AnswerValue` (a list for multiple choice,
    null when declined or left empty); `declined` marks "prefer not to answer"."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(40))
    value: Mapped[Any] = mapped_column(_VALUE_TYPE, nullable=True)
    declined: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
