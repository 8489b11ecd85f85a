"""Staff members, their roles and the municipality scope of officers.

The scope check is the one gate every path goes through (CLI, Telegram, YAML file): an officer's audience
must be exactly their own municipality. A refusal is written to the audit log and flushed before the error
is raised; services refuse before changing anything, so the caller commits the session to keep that entry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience import AudienceSpec
from campaigns.errors import InvalidDefinition, NotAllowed, NotFound, ScopeDenied
from campaigns.municipalities import unknown_municipality
from channels.i18n import LANGUAGES
from channels.message import Content, Text
from contacts.registry import audit, municipality_by_code
from storage.base import utcnow
from storage.models import Municipality
from storage.models.campaigns import Role, StaffMember


async def by_telegram(session: AsyncSession, telegram_id: int) -> StaffMember | None:
    """The active staff member behind a Telegram user, or None (then they are treated as a citizen)."""
    return await session.scalar(
        select(StaffMember).where(StaffMember.telegram_id == telegram_id, StaffMember.active.is_(True))
    )


async def by_ref(session: AsyncSession, ref: str) -> StaffMember:
    """The active staff member a CLI `--as` names: a Telegram user id or a name."""
    ref = ref.strip()
    if ref.isascii() and ref.isdigit():  # a Telegram user id ("²" is a digit int() refuses)
        found = await session.scalar(select(StaffMember).where(StaffMember.telegram_id == int(ref)))
    else:
        found = await session.scalar(select(StaffMember).where(StaffMember.name == ref))
    if found is None:
        raise NotFound(Text.of("No staff member {ref}.", ref=ref))
    if not found.active:
        raise NotAllowed(Text.of("{ref} is no longer staff.", ref=ref))
    return found


async def grant(
    session: AsyncSession,
    role: Role,
    *,
    telegram_id: int | None = None,
    name: str | None = None,
    municipality_code: str | None = None,
    actor: str = "cli",
    now: datetime | None = None,
    rename: bool = False,
    language: str | None = None,
) -> StaffMember:
    """Make someone staff, or change the role of someone who is (re-activating a revoked member).
    `language` is the language of what the bot tells them unprompted (kept when not given; new: ka).

    A Telegram id and a name that already belong to two different members are refused, and so is
    changing a member's name or Telegram id unless `rename` says that is meant: a typo must never
    silently hand someone else's rights to the wrong person."""
    now = now or utcnow()
    if telegram_id is None and not name:
        raise InvalidDefinition(Text("Give a Telegram user id or a name."))
    municipality: Municipality | None = None
    if municipality_code:
        municipality = await municipality_by_code(session, municipality_code)
        if municipality is None:
            raise InvalidDefinition(await unknown_municipality(session, municipality_code))
    if role == Role.OFFICER and municipality is None:
        raise InvalidDefinition(Text("An officer needs a municipality."))
    if language is not None and language not in LANGUAGES:
        raise InvalidDefinition(Text.of("Unknown language: {code}. Use ka, az, hy, ru or en.", code=language))
    member = None
    if telegram_id is not None:
        member = await session.scalar(select(StaffMember).where(StaffMember.telegram_id == telegram_id))
    named = await session.scalar(select(StaffMember).where(StaffMember.name == name)) if name else None
    if member is not None and named is not None and member.id != named.id:
        raise InvalidDefinition(
            Text.of(
                "Telegram id {id} belongs to {holder} and the name {name} to another staff member; "
                "nothing was changed.",
                id=telegram_id,
                holder=member.label,
                name=name,
            )
        )
    if member is not None and name and member.name and member.name != name and not rename:
        raise InvalidDefinition(
            Text.of(
                "Telegram id {id} already belongs to {holder}. To rename them, add --rename.",
                id=telegram_id,
                holder=member.name,
            )
        )
    member = member or named
    if (
        member is not None
        and telegram_id is not None
        and member.telegram_id is not None
        and member.telegram_id != telegram_id
        and not rename
    ):
        raise InvalidDefinition(
            Text.of(
                "{holder} already has Telegram id {old}. To change it, add --rename.",
                holder=member.label,
                old=member.telegram_id,
            )
        )
    if member is None:
        member = StaffMember(telegram_id=telegram_id, name=name or None, created_at=now)
        session.add(member)
    elif telegram_id is not None and name:
        member.telegram_id, member.name = telegram_id, name
    member.role = role
    if language is not None:
        member.language = language
    member.municipality_id = municipality.id if municipality and role == Role.OFFICER else None
    member.active, member.revoked_at = True, None
    await session.flush()
    await audit(
        session,
        actor,
        "staff.granted",
        f"staff:{member.id}",
        municipality_id=member.municipality_id,
        details={"role": str(role)},
        now=now,
    )
    return member


async def revoke(
    session: AsyncSession, ref: str, *, actor: str = "cli", now: datetime | None = None
) -> StaffMember:
    now = now or utcnow()
    member = await by_ref(session, ref)
    member.active, member.revoked_at = False, now
    member.dialog_state, member.dialog_data = None, {}
    await audit(
        session, actor, "staff.revoked", f"staff:{member.id}", municipality_id=member.municipality_id, now=now
    )
    return member


async def all_staff(session: AsyncSession) -> list[StaffMember]:
    return list((await session.scalars(select(StaffMember).order_by(StaffMember.id))).all())


async def home(session: AsyncSession, member: StaffMember) -> Municipality | None:
    """An officer's municipality (None for a coordinator)."""
    if member.municipality_id is None:
        return None
    return await session.get(Municipality, member.municipality_id)


async def refuse_outside_home(
    session: AsyncSession,
    member: StaffMember,
    municipality_id: int,
    *,
    domain: str,
    refusal: str,
    action: str,
    subject: str,
    now: datetime,
) -> None:
    """Refuse an officer acting on another municipality's `municipality_id` (coordinators pass).

    Audited as `<domain>.scope_denied`; `refusal` is a catalog msgid naming `{municipality}` (their own).
    """
    if member.role == Role.COORDINATOR or member.municipality_id == municipality_id:
        return
    own = await session.get(Municipality, member.municipality_id) if member.municipality_id else None
    await audit(
        session,
        member.label,
        f"{domain}.scope_denied",
        subject,
        municipality_id=member.municipality_id,
        details={"action": action, "requested": municipality_id},
        now=now,
    )
    await session.flush()
    raise ScopeDenied(Text.of(refusal, municipality=Content(own.names, fallback="en") if own else "-"))


async def ensure_scope(
    session: AsyncSession,
    member: StaffMember,
    spec: AudienceSpec,
    *,
    action: str,
    subject: str,
    now: datetime | None = None,
) -> None:
    """Refuse (and audit `campaign.scope_denied`) an officer's audience outside their municipality."""
    if member.role == Role.COORDINATOR:
        return
    municipality = await home(session, member)
    if municipality is not None and spec.municipalities == (municipality.code,):
        return
    await audit(
        session,
        member.label,
        "campaign.scope_denied",
        subject,
        municipality_id=member.municipality_id,
        details={"action": action, "requested": list(spec.municipalities) or ["*"]},
        now=now,
    )
    await session.flush()
    raise ScopeDenied(
        Text.of(
            "Officers can only reach people in their own municipality ({municipality}).",
            municipality=Content(municipality.names, fallback="en") if municipality else "-",
        )
    )
