"""Building the people and staff that campaign tests need, straight into the database."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff
from campaigns.definition import CampaignDraft
from storage.models import (
    Channel,
    ChannelIdentity,
    Contact,
    ContactStatus,
    IdentityStatus,
    Municipality,
)
from storage.models.campaigns import Role, StaffMember

CONSENTED = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
_numbers = count(1)


async def municipality_id(session: AsyncSession, code: str) -> int:
    found = await session.scalar(select(Municipality.id).where(Municipality.code == code))
    assert found is not None
    return found


async def add_person(
    session: AsyncSession,
    *,
    municipality: str | None = "marneuli",
    language: str = "ka",
    status: ContactStatus = ContactStatus.ACTIVE,
    telegram: bool = True,
    sms: bool = False,
    telegram_reachable: bool = True,
    sms_reachable: bool = True,
    topics: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    age_band: str | None = None,
    gender: str | None = None,
    consent: bool = True,
) -> Contact:
    """A signed-up person (or, with `status`/`consent`, one who must never be in an audience)."""
    number = next(_numbers)
    contact = Contact(
        language=language,
        municipality_id=await municipality_id(session, municipality) if municipality else None,
        status=status,
        consent_at=CONSENTED if consent else None,
        topics=list(topics),
        tags=list(tags),
        age_band=age_band,
        gender=gender,
    )
    if telegram:
        contact.identities.append(
            ChannelIdentity(
                channel=Channel.TELEGRAM,
                address=str(700000 + number),
                chat_id=str(700000 + number),
                status=IdentityStatus.ACTIVE if telegram_reachable else IdentityStatus.UNREACHABLE,
            )
        )
    if sms:
        contact.identities.append(
            ChannelIdentity(
                channel=Channel.SMS,
                address=f"+99555{number:07d}",
                status=IdentityStatus.ACTIVE if sms_reachable else IdentityStatus.UNREACHABLE,
            )
        )
    session.add(contact)
    await session.flush()
    return contact


async def add_staff(
    session: AsyncSession,
    name: str,
    role: Role = Role.COORDINATOR,
    municipality: str | None = None,
    telegram_id: int | None = None,
) -> StaffMember:
    return await staff.grant(
        session, role, name=name, telegram_id=telegram_id, municipality_code=municipality
    )


def draft(
    *,
    municipalities: tuple[str, ...] = ("marneuli",),
    texts: dict[str, str] | None = None,
    fallback: str | None = None,
    schedule: object = "now",
    languages: tuple[str, ...] = (),
    urgent: bool = False,
    survey_id: int | None = None,
    extra_steps: tuple[dict[str, object], ...] = (),
) -> CampaignDraft:
    audience: dict[str, object] = {"municipalities": list(municipalities)}
    if languages:
        audience["languages"] = list(languages)
    step: dict[str, object] = {
        "texts": texts or {"ka": "საჯარო განხილვა ხვალ."},
        "schedule": schedule,
        "urgent": urgent,
    }
    if survey_id is not None:
        step["survey_id"] = survey_id
    data: dict[str, object] = {
        "name": "Budget hearing notice",
        "audience": audience,
        "steps": [step, *extra_steps],
        "base_language": next(iter(texts)) if texts else "ka",
    }
    if fallback:
        data["fallback_language"] = fallback
    return CampaignDraft.from_dict(data)


async def scheduled(session: AsyncSession, plan: CampaignDraft, now: datetime) -> int:
    """A campaign taken through create, submit, approve (by someone else) and schedule; its id."""
    from campaigns import service

    author = await add_staff(session, f"author{next(_numbers)}")
    approver = await add_staff(session, f"approver{next(_numbers)}")
    campaign = await service.create(session, plan, author, now)
    await service.submit(session, campaign.id, author, now)
    await service.approve(session, campaign.id, approver, now)
    await service.schedule(session, campaign.id, approver, now)
    return campaign.id
