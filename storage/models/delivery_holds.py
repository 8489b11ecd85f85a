"""What each delivering process has learned about a channel's limit: its pace and any flood wait.

One row per channel and process (`replica`), written by the delivery lane, read by `campaign status`
and the console in other processes: a flood wait is visible wherever someone asks why nothing moves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow


class DeliveryHold(Base):
    __tablename__ = "delivery_holds"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    replica: Mapped[str] = mapped_column(String(120), primary_key=True)
    held_until: Mapped[datetime | None]  # the provider's flood wait ends then; NULL when not held
    pace: Mapped[float]  # messages a second the process has learned it may send
    configured: Mapped[float]  # the configured limit the pace climbs back to
    held_chats: Mapped[int] = mapped_column(default=0)  # chats in a flood wait of their own
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
