"""Action plans: what a municipality promised to do after its benchmarking, item by item, followed in public.

Titles are per-language data written by staff (`{language: text}` with the language written first as
`base_language`, the fallback for readers whose language has no text). Every status change is its own row
(`ActionPlanChange`): it is the unit people are told about, once each, keyed by its id in the outbox.
`action_plan_items.municipality_id` repeats the plan's so indicators ("items done on time") count items
per municipality without a join.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow


class ItemStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DELAYED = "delayed"
    DROPPED = "dropped"


class LinkKind(StrEnum):
    """Where the input that led to an item came from."""

    SURVEY_QUESTION = "survey_question"  # a question of a survey, named by survey code + question name
    HEARING = "hearing"


class ActionPlan(Base):
    """The current action plan of one municipality (one per municipality)."""

    __tablename__ = "action_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), unique=True)
    title: Mapped[dict[str, str]]
    base_language: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionPlanItem(Base):
    """One commitment: what, who in the municipality answers for it, by when, and how far it is."""

    __tablename__ = "action_plan_items"
    __table_args__ = (CheckConstraint("progress >= 0 AND progress <= 100", name="progress_percent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    title: Mapped[dict[str, str]]
    base_language: Mapped[str] = mapped_column(String(8))
    indicators: Mapped[list[str]] = mapped_column(default=list)
    responsible_unit: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    status: Mapped[ItemStatus] = mapped_column(String(16), default=ItemStatus.PLANNED, index=True)
    progress: Mapped[int] = mapped_column(default=0)
    evidence: Mapped[str | None] = mapped_column(Text)
    evidence_link: Mapped[str | None] = mapped_column(String(500))
    done_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    # Its title reaches citizens, so, like a campaign, a coordinator other than its author approves it
    # before anyone is told about it; until then it is not shown to citizens either.
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]


class ActionPlanChange(Base):
    """One status change of one item: from, to, when, who, and the officer's note (staff-only)."""

    __tablename__ = "action_plan_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("action_plan_items.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[ItemStatus | None] = mapped_column(String(16))
    to_status: Mapped[ItemStatus] = mapped_column(String(16))
    progress: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class ActionPlanLink(Base):
    """What input led to an item: a survey question (`survey_code` + `question`) or a hearing."""

    __tablename__ = "action_plan_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("action_plan_items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LinkKind] = mapped_column(String(16))
    survey_code: Mapped[str | None] = mapped_column(String(40))
    question: Mapped[str | None] = mapped_column(String(40))
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"))
