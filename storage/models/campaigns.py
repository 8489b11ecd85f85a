"""Staff, campaigns, their steps and the record of each firing.

A step's firing is recorded (`StepFiring`, unique per step and occurrence) in the same transaction that
enqueues its messages, so a scheduler that fires twice, or two schedulers that both fire, enqueue once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, JSONType, utcnow


class Role(StrEnum):
    """A coordinator works across municipalities and approves; an officer drafts for one municipality."""

    COORDINATOR = "coordinator"
    OFFICER = "officer"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


class ScheduleKind(StrEnum):
    NOW = "now"  # as soon as the campaign is scheduled
    AT = "at"  # once, at `send_at`
    RECURRING = "recurring"  # every time `cron` matches (Asia/Tbilisi), until `until`
    RELATIVE = "relative"  # once, `offset_minutes` from `event_at` (negative: before the event)


class StaffMember(Base):
    """Someone allowed to run campaigns, known by Telegram user id (admin commands) and/or a name (CLI).

    Staff are not contacts: their admin dialog state lives here, not in the contact row, and what the bot
    tells them unprompted (a campaign to approve, a decision on theirs) is an outbox row addressed to this
    row (`deliveries.staff_id`), never to a contact, so no citizen audience or count can include it.
    `language` is the language of those notices (`staff grant --language`).
    """

    __tablename__ = "staff_members"
    __table_args__ = (
        CheckConstraint("telegram_id IS NOT NULL OR name IS NOT NULL", name="identified"),
        CheckConstraint("role <> 'officer' OR municipality_id IS NOT NULL", name="officer_has_municipality"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(String(16))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    language: Mapped[str] = mapped_column(String(8), default="ka", server_default="ka")
    active: Mapped[bool] = mapped_column(default=True)
    dialog_state: Mapped[str | None] = mapped_column(String(64))
    dialog_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    @property
    def label(self) -> str:
        """How the audit log and listings name this person (never a phone number)."""
        if self.name:
            return self.name
        return f"tg:{self.telegram_id}"


class Campaign(Base):
    """Who wrote it, who approved it, to whom it goes (`audience`, an AudienceSpec as JSON) and its state.

    `base_language` is the language the author wrote first; `fallback_language`, when set, is what people
    whose language has no text receive instead. `rejection_reason` is why it last came back to draft from
    review (kept after resubmission, so the next reviewer sees it). `finish_reported_at` is when its
    submitter was told that sending finished: set once, so a repeated check never tells them twice.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    audience: Mapped[dict[str, Any]]
    status: Mapped[CampaignStatus] = mapped_column(String(16), default=CampaignStatus.DRAFT, index=True)
    paused_from: Mapped[CampaignStatus | None] = mapped_column(String(16))
    base_language: Mapped[str] = mapped_column(String(8), default="ka")
    fallback_language: Mapped[str | None] = mapped_column(String(8))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    rejected_at: Mapped[datetime | None]
    finish_reported_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    steps: Mapped[list[CampaignStep]] = relationship(
        back_populates="campaign",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="CampaignStep.position",
    )


class CampaignStep(Base):
    """One message of a campaign and when it goes out.

    `texts` is {language: text}; `links` is [{"url": ..., "label": {language: text}}]. `survey_id` points
    into the surveys tables (another migration branch, hence no foreign key). `media_url` is sent as a
    link until outgoing messages carry attachments.
    """

    __tablename__ = "campaign_steps"
    __table_args__ = (UniqueConstraint("campaign_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    texts: Mapped[dict[str, str]]
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    survey_id: Mapped[int | None]
    media_url: Mapped[str | None] = mapped_column(String(500))
    schedule_kind: Mapped[ScheduleKind] = mapped_column(String(16), default=ScheduleKind.NOW)
    send_at: Mapped[datetime | None]
    cron: Mapped[str | None] = mapped_column(String(100))
    until: Mapped[datetime | None]
    event_at: Mapped[datetime | None]
    offset_minutes: Mapped[int | None]
    urgent: Mapped[bool] = mapped_column(default=False)
    fired_count: Mapped[int] = mapped_column(default=0)
    last_fired_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship(back_populates="steps")


class StepFiring(Base):
    """One occurrence of a step that has been fired ("once", or the UTC minute of a recurring firing).

    `missed` marks an occurrence the scheduler skipped because it came back too late to send it.
    """

    __tablename__ = "step_firings"
    __table_args__ = (UniqueConstraint("step_id", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("campaign_steps.id", ondelete="CASCADE"))
    occurrence: Mapped[str] = mapped_column(String(32))
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued: Mapped[int] = mapped_column(default=0)
    missed: Mapped[bool] = mapped_column(default=False)
