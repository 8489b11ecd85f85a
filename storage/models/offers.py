"""Offers: the numbered choices last put in front of a person on a channel, one row per person and channel.

A basic phone shows no buttons, so a bare "1" means "the first choice of the message I read last". The
row is written when a message with choices is recorded as sent or delivered (never when it is queued), so
a notice held by quiet hours does not become the question until it has actually gone out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JSONType, utcnow
from storage.erasure import personal_data


class Offer(Base):
    """`choices`: `[{"data": "hr:4:go", "word": "Gələcəyəm"}, ...]` in the order the SMS numbered them."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("contact_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    # The namespace the choices share ("hr", "sv", "lang"), or "" when they mix several.
    namespace: Mapped[str] = mapped_column(String(16))
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    # When the message was last confirmed in front of the person: sent, or delivered by a receipt.
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)


personal_data(Offer, Offer.contact_id)
