"""What inbound handlers get from the assembly: database sessions and the privacy services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contacts.privacy import PrivacyPolicy
from contacts.vault import DataVault


@dataclass(frozen=True)
class AppContext:
    sessions: async_sessionmaker[AsyncSession]
    vault: DataVault
    policy: PrivacyPolicy
