"""What must hold before a campaign is submitted or approved: every language its audience reads has text
(or there is a declared fallback), and the approver is a coordinator who neither wrote nor submitted it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import audience
from campaigns.audience import AudienceSpec
from campaigns.errors import InvalidDefinition, MissingLanguage, NotAllowed
from channels.i18n import LANGUAGE_SELF_NAMES
from channels.message import N_, Literal, Text
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


ROLE_APPROVE = N_("Only coordinators can approve campaigns.")
ROLE_RETURN = N_("Only coordinators can return campaigns.")
OWN_APPROVE = N_("You cannot approve a campaign you wrote or submitted.")
OWN_RETURN = N_("You cannot return a campaign you wrote or submitted; you can cancel it.")


async def ensure_may_approve(
    session: AsyncSession, campaign: Campaign, member: StaffMember, now: datetime, *, action: str = "approve"
) -> None:
    """Only a coordinator approves (or returns, `action="reject"`), and never a campaign they wrote or
    submitted (four eyes).

    A refusal is audited (`campaign.approval_denied`) and flushed before it is raised.
    """
    returning = action == "reject"
    reason: str | None = None
    message: Text | None = None
    if member.role != Role.COORDINATOR:
        reason, message = "role", Text(ROLE_RETURN if returning else ROLE_APPROVE)
    elif member.id in (campaign.created_by_id, campaign.submitted_by_id):
        reason, message = "own", Text(OWN_RETURN if returning else OWN_APPROVE)
    if message is None:
        return
    await audit(
        session,
        member.label,
        "campaign.approval_denied",
        f"campaign:{campaign.id}",
        details={"reason": reason, **({"action": action} if action != "approve" else {})},
        now=now,
    )
    await session.flush()
    raise NotAllowed(message)


MAX_REASON = 1000  # a few sentences; the notice to the author must stay one Telegram message


def checked_reason(typed: str) -> str:
    """Why a campaign goes back to its author: required, so they know what to change."""
    reason = typed.strip()
    if not reason:
        raise InvalidDefinition(
            Text("Say why the campaign is returned: its author needs to know what to change.")
        )
    if len(reason) > MAX_REASON:
        raise InvalidDefinition(
            Text.of("The reason is too long: at most {limit} characters.", limit=MAX_REASON)
        )
    return reason
