"""People and the ways to reach them. Special-category data lives in its own table (PRIVACY.md, req. 3)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, utcnow


class ContactStatus(StrEnum):
    PENDING = "pending"  # onboarding, no consent yet: nothing but language/municipality choices held
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"  # /stop or STOP: no broadcasts, still answered when they write
    UNREACHABLE = "unreachable"  # every channel identity is unreachable (blocked the bot, number dead)
    ERASED = "erased"  # /delete: only an anonymous row remains so statistics still add up


class Channel(StrEnum):
    TELEGRAM = "telegram"
    SMS = "sms"


class IdentityStatus(StrEnum):
    ACTIVE = "active"
    UNREACHABLE = "unreachable"


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # The benchmarking figures join the real people to their responses and notices in id order
        # (merge joins) reading only this index: municipality, language, consent and status.
        Index(
            "ix_contacts_figures",
            "id",
            postgresql_include=["municipality_id", "language", "consent_at", "status"],
            postgresql_where=text("simulated IS false"),
            sqlite_where=text("simulated IS 0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(8), default="ka")
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)
    status: Mapped[ContactStatus] = mapped_column(String(16), default=ContactStatus.PENDING, index=True)
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_channel: Mapped[str | None] = mapped_column(String(16))
    consent_language: Mapped[str | None] = mapped_column(String(8))
    topics: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    age_band: Mapped[str | None] = mapped_column(String(16))
    gender: Mapped[str | None] = mapped_column(String(16))
    sms_latin: Mapped[bool | None]
    dialog_state: Mapped[str | None] = mapped_column(String(64))
    dialog_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_seen_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    # A person of the web chat simulator (/try): never in an audience, result or export; purged after a day.
    simulated: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)

    identities: Mapped[list[ChannelIdentity]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def has_consent(self) -> bool:
        return self.consent_at is not None


class ChannelIdentity(Base):
    """One address of a person on one channel: a Telegram user id or an E.164 phone number."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64), index=True)  # Telegram, lower-case, no @
    status: Mapped[IdentityStatus] = mapped_column(String(16), default=IdentityStatus.ACTIVE)
    unreachable_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact] = relationship(back_populates="identities")


class SpecialProfile(Base):
    """Self-identified groups (ethnic minority, disability, displacement): special-category data.

    Stored encrypted (`sealed`), only after a second explicit consent, in a table that production can
    restrict to the application role; deleted with the person.
    """

    __tablename__ = "special_profiles"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    consent_at: Mapped[datetime]
    consent_version: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OptOut(Base):
    """A keyed hash of an address that refused or was erased, so STOP survives deletion (PRIVACY req. 7)."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("channel", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(String(16))
    address_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
