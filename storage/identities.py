"""A person's channel addresses: finding one, and marking it (un)reachable.

Low in the layers because every layer needs it: the delivery workers and Twilio's receipts mark an
address unreachable (`channels/`), the Telegram handlers when someone blocks or unblocks the bot, and
contacts, web and CLI find people by address.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models.contacts import Channel, ChannelIdentity, Contact, ContactStatus, IdentityStatus


async def find_identity(session: AsyncSession, channel: Channel, address: str) -> ChannelIdentity | None:
    return await session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.address == address)
    )


async def find_contact(session: AsyncSession, channel: Channel, address: str) -> Contact | None:
    """The person behind an address with their addresses, in one query (every inbound message needs it:
    an identity look-up, the contact and its identities were three round trips)."""
    return (await find_contacts(session, channel, [address])).get(address)


async def find_contacts(
    session: AsyncSession, channel: Channel, addresses: Sequence[str]
) -> dict[str, Contact]:
    """`find_contact` for several addresses of one channel in one query, by address."""
    contacts = (
        await session.scalars(
            select(Contact)
            .join(ChannelIdentity, ChannelIdentity.contact_id == Contact.id)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.address.in_(addresses))
            .options(joinedload(Contact.identities))
        )
    ).unique()
    wanted = set(addresses)
    return {
        identity.address: contact
        for contact in contacts
        for identity in contact.identities
        if identity.channel == channel and identity.address in wanted
    }


async def set_identity_reachable(
    session: AsyncSession, channel: Channel, address: str, reachable: bool, reason: str | None = None
) -> Contact | None:
    """Mark one address (un)reachable and keep the person's overall status in step with it."""
    identity = await find_identity(session, channel, address)
    if identity is None:
        return None
    identity.status = IdentityStatus.ACTIVE if reachable else IdentityStatus.UNREACHABLE
    identity.unreachable_reason = None if reachable else reason
    contact = await session.get_one(Contact, identity.contact_id)
    any_reachable = any(i.status == IdentityStatus.ACTIVE for i in contact.identities)
    if not any_reachable and contact.status == ContactStatus.ACTIVE:
        contact.status = ContactStatus.UNREACHABLE
    elif any_reachable and contact.status == ContactStatus.UNREACHABLE:
        contact.status = ContactStatus.ACTIVE
    return contact
