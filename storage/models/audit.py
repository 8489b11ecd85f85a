"""Who did what to whom, when: administrative actions, approvals and erasures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow


class AuditEntry(Base):
    """`details` never holds message content or personal data, only ids, counts and states."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(64))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class InboundEvent(Base):
    """Provider event ids already handled (Telegram update_id, Twilio MessageSid): re-sends run once."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
