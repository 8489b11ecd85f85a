"""The outbox: one row per message a person is to receive, written before anything is sent.

A row's `dedupe_key` makes enqueueing idempotent (a double-fired schedule inserts nothing new), and its
status, attempts and lease let any number of workers share the table without losing or doubling a
message. `contact_id` becomes NULL when the person's row is deleted: the history stays countable, and a
row without a person is never sent. A row with `staff_id` instead is a work notice to a staff member
(`campaigns.staff_notices`): no contact and no campaign id, so no audience, tally, benchmark or export,
all of which go through contacts or campaign ids, ever counts it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow
from storage.erasure import personal_data


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its `not_before`, or for a worker
    SENDING = "sending"  # claimed by a worker until `lease_until`; claimed again if the worker died
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider confirmed delivery to the handset (SMS status callbacks)
    FAILED = "failed"  # given up: a permanent error, or transient errors until the last attempt
    UNREACHABLE = "unreachable"  # the address cannot receive messages (blocked the bot, dead number)
    CANCELLED = "cancelled"  # withdrawn (campaign cancelled) or the person stopped or was erased
    UNDELIVERED = "undelivered"  # the provider accepted it but reported that it never arrived


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        # The claim query reads due rows straight off this index in claim order, without sorting a
        # broadcast's worth of rows (they share one `not_before`) for every batch.
        Index("ix_deliveries_due", "status", "channel", "not_before", "id"),
        Index("ix_deliveries_campaign_id_step_id", "campaign_id", "step_id"),
        # Messages received, in recipient order: the own-language figure reads only this index. An entry
        # is added when a message becomes sent or delivered (those updates already touch ix_deliveries_due).
        Index(
            "ix_deliveries_received",
            "contact_id",
            "sent_at",
            "language",
            postgresql_where=text("status IN ('sent', 'delivered')"),
            sqlite_where=text("status IN ('sent', 'delivered')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    channel: Mapped[str] = mapped_column(String(16))
    # The chat id (Telegram) or E.164 number (SMS); NULL once the person is erased.
    address: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]]
    campaign_id: Mapped[int | None]
    step_id: Mapped[int | None]
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[DeliveryStatus] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    # Claims so far; a worker records its outcome only while the count is still the one it claimed with.
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# Erasure: waiting messages are withdrawn, then every row loses the address and the text (counts stay).
personal_data(
    Delivery,
    Delivery.contact_id,
    {"status": DeliveryStatus.CANCELLED, "last_error": "erased", "lease_until": None},
    where=Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
)
personal_data(Delivery, Delivery.contact_id, {"address": None, "payload": {}})
