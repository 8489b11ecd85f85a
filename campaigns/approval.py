"""What must hold before a campaign is submitted or approved: every language its audience reads has text
(or there is a declared fallback), and the approver is a coordinator who neither wrote nor submitted it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import audience
from campaigns.audience import AudienceSpec
from campaigns.errors import MissingLanguage, NotAllowed
from channels.i18n import LANGUAGE_SELF_NAMES
from channels.message import Literal, Text
from contacts.registry import audit
from storage.models.campaigns import Campaign, Role, StaffMember


async def audience_languages(session: AsyncSession, spec: AudienceSpec) -> tuple[str, ...]:
    """The languages that must be covered: those the spec names, else those its people read today."""
    if spec.languages:
        return spec.languages
    counted = await audience.count(session, spec)
    return tuple(lang for lang, n in counted.by_language.items() if n)


def missing_languages(campaign: Campaign, languages: tuple[str, ...]) -> dict[int, tuple[str, ...]]:
    """Per step position, the languages with neither text nor a usable fallback."""
    missing: dict[int, tuple[str, ...]] = {}
    for step in campaign.steps:
        fallback_ok = campaign.fallback_language is not None and campaign.fallback_language in step.texts
        if fallback_ok:
            continue
        lacking = tuple(lang for lang in languages if lang not in step.texts)
        if lacking:
            missing[step.position] = lacking
    return missing


async def ensure_complete(session: AsyncSession, campaign: Campaign) -> None:
    """Refuse a campaign that would leave part of its audience without a message they can read."""
    spec = AudienceSpec.from_dict(campaign.audience)
    missing = missing_languages(campaign, await audience_languages(session, spec))
    if not missing:
        return
    position, languages = next(iter(sorted(missing.items())))
    names = ", ".join(f"{lang} ({LANGUAGE_SELF_NAMES[lang]})" for lang in languages)
    raise MissingLanguage(
        Text.of(
            "Step {step} has no text in {languages}, which people in this audience read, and the campaign "
            "declares no fallback language. Add the text or a fallback language.",
            step=position,
            languages=Literal(names),
        ),
        languages,
    )


async def ensure_may_approve(
    session: AsyncSession, campaign: Campaign, member: StaffMember, now: datetime
) -> None:
    """Only a coordinator approves, and never a campaign they wrote or submitted (four eyes).

    A refusal is audited (`campaign.approval_denied`) and flushed before it is raised.
    """
    reason: str | None = None
    message: Text | None = None
    if member.role != Role.COORDINATOR:
        reason, message = "role", Text("Only coordinators can approve campaigns.")
    elif member.id in (campaign.created_by_id, campaign.submitted_by_id):
        reason, message = "own", Text("You cannot approve a campaign you wrote or submitted.")
    if message is None:
        return
    await audit(
        session,
        member.label,
        "campaign.approval_denied",
        f"campaign:{campaign.id}",
        details={"reason": reason},
        now=now,
    )
    await session.flush()
    raise NotAllowed(message)
