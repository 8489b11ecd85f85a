"""Who gets SMS in Latin letters: a municipality's default, and each person's own choice above it.

Latin SMS (an official romanization, `channels.sms.transliterate`) costs two to three times less than
Georgian, Armenian or Russian script, but changes how a person's own language looks, so it is used only
where the person asked for it or their municipality chose it; a person's own choice (on or off) always
wins over the municipality's. The delivery workers read both when they send (`channels.claims`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contacts.registry import audit, municipality_by_code
from storage.identities import find_identity
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus, Municipality


class NotFound(LookupError):
    """No municipality with that code, or no SMS contact with that number."""


async def set_municipality_latin(
    session: AsyncSession, code: str, on: bool, *, actor: str, now: datetime
) -> tuple[Municipality, int]:
    """Switch the municipality's default; returns it and how many SMS contacts follow that default."""
    municipality = await municipality_by_code(session, code)
    if municipality is None:
        raise NotFound(f"no municipality with code {code!r}")
    municipality.sms_latin = on
    await audit(
        session,
        actor,
        "municipality.sms_latin",
        f"municipality:{municipality.id}",
        municipality_id=municipality.id,
        details={"on": on},
        now=now,
    )
    following = await session.scalar(
        select(func.count(func.distinct(Contact.id)))
        .join(ChannelIdentity, ChannelIdentity.contact_id == Contact.id)
        .where(
            Contact.municipality_id == municipality.id,
            Contact.sms_latin.is_(None),
            Contact.status == ContactStatus.ACTIVE,
            ChannelIdentity.channel == Channel.SMS,
        )
    )
    return municipality, int(following or 0)


async def set_contact_latin(
    session: AsyncSession, phone: str, choice: bool | None, *, actor: str, now: datetime
) -> Contact:
    """A person's own choice (True/False), or None to follow their municipality again."""
    identity = await find_identity(session, Channel.SMS, phone)
    if identity is None:
        raise NotFound("no SMS contact with that number")
    contact = await session.get_one(Contact, identity.contact_id)
    contact.sms_latin = choice
    await audit(
        session,
        actor,
        "contact.sms_latin",
        f"contact:{contact.id}",
        municipality_id=contact.municipality_id,
        details={"choice": choice},
        now=now,
    )
    return contact
