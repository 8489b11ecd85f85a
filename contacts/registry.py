"""Finding people by their channel address, and the facts about them every other domain relies on."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from contacts.vault import DataVault
from storage.base import utcnow
from storage.identities import find_identity
from storage.models import AuditEntry, Channel, ChannelIdentity, Contact, ContactStatus, Municipality, OptOut


def clean_username(username: str | None) -> str | None:
    """A Telegram username as stored and looked up: lower-case, without the @ (usernames ignore case)."""
    cleaned = (username or "").strip().lstrip("@").lower()
    return cleaned[:64] or None


async def remember_username(session: AsyncSession, user_id: str, username: str | None) -> None:
    """Keep the Telegram username of a known person current (staff may be told it on the phone)."""
    identity = await find_identity(session, Channel.TELEGRAM, user_id)
    cleaned = clean_username(username)
    if identity is not None and identity.username != cleaned:
        identity.username = cleaned


async def find_by_username(session: AsyncSession, username: str) -> ChannelIdentity | None:
    cleaned = clean_username(username)
    if cleaned is None:
        return None
    return await session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == Channel.TELEGRAM, ChannelIdentity.username == cleaned
        )
    )


async def contact_for(
    session: AsyncSession,
    channel: Channel,
    address: str,
    *,
    language: str,
    chat_id: str | None = None,
    now: datetime | None = None,
) -> tuple[Contact, bool]:
    """The person behind an address, created (pending, no consent) on first contact; True when new."""
    now = now or utcnow()
    identity = await find_identity(session, channel, address)
    if identity is not None:
        contact = await session.get_one(Contact, identity.contact_id)
        contact.last_seen_at = now
        if chat_id and identity.chat_id != chat_id:
            identity.chat_id = chat_id
        return contact, False
    contact = Contact(language=language, status=ContactStatus.PENDING, last_seen_at=now, created_at=now)
    contact.identities.append(ChannelIdentity(channel=channel, address=address, chat_id=chat_id))
    session.add(contact)
    await session.flush()
    return contact, True


async def municipalities(session: AsyncSession) -> list[Municipality]:
    return list((await session.scalars(select(Municipality).order_by(Municipality.id))).all())


async def municipality_by_code(session: AsyncSession, code: str) -> Municipality | None:
    """Codes are lower-case; what people type ("Marneuli", " DMANISI") finds them too."""
    return await session.scalar(select(Municipality).where(Municipality.code == code.strip().lower()))


# Where the acting person came from, added to every audit entry written while it is set: the CLI sets
# its OS login (the `--as` name is typed, not proven), the console its signed-in session.
AUDIT_ORIGIN: ContextVar[dict[str, str] | None] = ContextVar("audit_origin", default=None)


async def audit(
    session: AsyncSession,
    actor: str,
    action: str,
    subject: str,
    *,
    municipality_id: int | None = None,
    details: dict[str, object] | None = None,
    now: datetime | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=now or utcnow(),
            actor=actor,
            action=action,
            subject=subject,
            municipality_id=municipality_id,
            details=dict(details or {}) | ({"origin": origin} if (origin := AUDIT_ORIGIN.get()) else {}),
        )
    )


async def remember_opt_out(
    session: AsyncSession, vault: DataVault, channel: Channel, address: str, reason: str
) -> None:
    digest = vault.address_hash(channel, address)
    exists = await session.scalar(
        select(OptOut.id).where(OptOut.channel == channel, OptOut.address_hash == digest)
    )
    if exists is None:
        session.add(OptOut(channel=channel, address_hash=digest, reason=reason))


async def forget_opt_out(session: AsyncSession, vault: DataVault, channel: Channel, address: str) -> None:
    digest = vault.address_hash(channel, address)
    await session.execute(delete(OptOut).where(OptOut.channel == channel, OptOut.address_hash == digest))


async def is_opted_out(session: AsyncSession, vault: DataVault, channel: Channel, address: str) -> bool:
    digest = vault.address_hash(channel, address)
    found = await session.scalar(
        select(OptOut.id).where(OptOut.channel == channel, OptOut.address_hash == digest)
    )
    return found is not None
