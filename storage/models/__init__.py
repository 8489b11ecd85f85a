"""Every table, imported in one place so that metadata (and Alembic) sees the whole schema."""

from storage.models.audit import AuditEntry, InboundEvent
from storage.models.contacts import (
    Channel,
    ChannelIdentity,
    Contact,
    ContactStatus,
    IdentityStatus,
    OptOut,
    SpecialProfile,
)
from storage.models.places import Municipality

__all__ = [
    "AuditEntry",
    "Channel",
    "ChannelIdentity",
    "Contact",
    "ContactStatus",
    "IdentityStatus",
    "InboundEvent",
    "Municipality",
    "OptOut",
    "SpecialProfile",
]
