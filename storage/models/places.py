"""Municipalities: the unit every audience, survey result and benchmark is counted in."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class Municipality(Base):
    """A municipality with its name, and its whole official name, in each interface language.

    `official_names` holds the full phrase ("მარნეულის მუნიციპალიტეტი", "Marneuli bələdiyyəsi") because the
    phrase inflects differently in each language and must never be built by concatenation.
    """

    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    names: Mapped[dict[str, str]]
    official_names: Mapped[dict[str, str]]
    default_language: Mapped[str] = mapped_column(String(8), default="ka")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tbilisi")
    sms_latin: Mapped[bool] = mapped_column(default=False)
    # Settings an officer may change (`civicbot municipality set`); NULL means "the service's default".
    privacy_contact: Mapped[str | None] = mapped_column(String(200))
    quiet_hours: Mapped[str | None] = mapped_column(String(16))  # "22:00-09:00", or "off"
    sms_sender: Mapped[str | None] = mapped_column(String(32))  # E.164 number or alphanumeric sender id

    def name_in(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or self.code
