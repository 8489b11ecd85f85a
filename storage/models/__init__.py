"""Every table, imported in one place so that metadata (and Alembic) sees the whole schema."""

import storage.models.actionplans  # action plans, items, status changes, links to input
import storage.models.benchmarking  # periods, self-assessments, residents
import storage.models.campaigns
import storage.models.console  # staff console: passwords, sign-in links, sessions
import storage.models.deliveries  # the outbox; import names from the module
import storage.models.delivery_holds  # learned pace and flood waits per channel and process
import storage.models.hearings  # public hearings; import names from the module
import storage.models.offers  # the numbered choices in front of each person
import storage.models.surveys  # noqa: F401  (the lines above register their tables too)
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
