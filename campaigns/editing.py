"""Changing a draft campaign: its name, audience, languages, steps, texts and times.

Only a draft changes (a campaign a coordinator returned with a reason is a draft again): once submitted,
what the approver reads is what goes out. An edit is a whole new definition (the same format as a
campaign file) checked by the same rules as `service.create`, the officer's scope included for the
audience before and after; relative times are fixed when the edit is made. What changed is returned,
field by field, and audited (`campaign.edited`) with who changed it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff
from campaigns.audience import AudienceSpec, municipality_ids
from campaigns.definition import CampaignDraft, LinkDraft, StepDraft, schedule_from
from campaigns.errors import InvalidDefinition, InvalidTransition
from campaigns.schedule import TBILISI, StepSchedule, ensure_upcoming
from campaigns.service import STATUS_LABELS, get, step_row
from channels.message import Text
from contacts.registry import audit
from storage.base import utcnow
from storage.models.campaigns import Campaign, CampaignStatus, ScheduleKind, StaffMember

EDITABLE = (CampaignStatus.DRAFT,)


@dataclass(frozen=True)
class Change:
    """One field that changed, in words for the person who changed it: "step 2 time", before, after."""

    field: str
    before: str
    after: str


def as_draft(campaign: Campaign) -> CampaignDraft:
    """The stored campaign as the definition it was made from (what an edit starts from)."""
    steps = tuple(
        StepDraft(
            texts=dict(step.texts),
            links=tuple(LinkDraft(str(link["url"]), dict(link["label"])) for link in step.links or ()),
            survey_id=step.survey_id,
            media_url=step.media_url,
            schedule=StepSchedule.of(step),
            urgent=step.urgent,
        )
        for step in sorted(campaign.steps, key=lambda step: step.position)
    )
    return CampaignDraft(
        campaign.name,
        AudienceSpec.from_dict(campaign.audience),
        steps,
        campaign.base_language,
        campaign.fallback_language,
    )


def amended(
    draft: CampaignDraft,
    *,
    name: str | None = None,
    step: int = 1,
    at: str | None = None,
    texts: Mapping[str, str] | None = None,
    audience: Mapping[str, Sequence[str]] | None = None,
    fallback: str | None = None,
    now: datetime | None = None,
) -> CampaignDraft:
    """`draft` with the CLI's simple changes: a name, step `step`'s time ("now", an absolute or a
    relative time) or texts (merged by language), audience lists (each one given replaces that list),
    a fallback language. The result is validated like a campaign file."""
    now = now or utcnow()
    steps = list(draft.steps)
    if (at is not None or texts) and not 1 <= step <= len(steps):
        raise InvalidDefinition(
            Text.of("The campaign has no step {step}: it has {count}.", step=step, count=len(steps))
        )
    if at is not None:
        now_kind = at.strip().lower() == "now"
        schedule = StepSchedule(ScheduleKind.NOW) if now_kind else schedule_from({"at": at}, step, now)
        steps[step - 1] = replace(steps[step - 1], schedule=schedule)
    if texts:
        steps[step - 1] = replace(steps[step - 1], texts={**steps[step - 1].texts, **texts})
    spec = draft.audience.to_dict()
    spec.update({key: list(values) for key, values in (audience or {}).items() if values})
    data: dict[str, Any] = {
        "name": draft.name if name is None else name,
        "audience": spec,
        "base_language": draft.base_language,
        "fallback_language": draft.fallback_language if fallback is None else fallback,
        "steps": [_as_dict(item) for item in steps],
    }
    return CampaignDraft.from_dict(data, now)


def _as_dict(step: StepDraft) -> dict[str, Any]:
    """A step back in the file format (its schedule as absolute times), for `CampaignDraft.from_dict`."""
    plan = step.schedule
    schedule: Any = "now"
    if plan.kind == ScheduleKind.AT:
        schedule = {"at": plan.send_at}
    elif plan.kind == ScheduleKind.RELATIVE:
        minutes = int(plan.offset.total_seconds() // 60)
        schedule = {"event": plan.event_at, "offset": f"{'-' if minutes < 0 else '+'}{abs(minutes)}m"}
    elif plan.kind == ScheduleKind.RECURRING:
        schedule = {"cron": plan.cron, **({"until": plan.until} if plan.until else {})}
    found: dict[str, Any] = {"texts": dict(step.texts), "schedule": schedule, "urgent": step.urgent}
    if step.links:
        found["links"] = [{"url": link.url, "label": dict(link.label)} for link in step.links]
    if step.survey_id is not None:
        found["survey_id"] = step.survey_id
    if step.media_url:
        found["media_url"] = step.media_url
    return found


async def editable(
    session: AsyncSession, campaign_id: int, by: StaffMember, now: datetime | None = None
) -> Campaign:
    """The campaign, once `by` may edit it: an officer's scope (a refusal is audited), then its state.
    Checked before the changes are read, so a refusal about them (no step 3) says nothing of a campaign
    outside the officer's municipality."""
    campaign = await get(session, campaign_id)
    spec = AudienceSpec.from_dict(campaign.audience)
    subject = f"campaign:{campaign.id}"
    await staff.ensure_scope(session, by, spec, action="edit", subject=subject, now=now or utcnow())
    if campaign.status not in EDITABLE:
        raise InvalidTransition(
            Text.of(
                "Campaign {id} is {status}: only a draft can be edited. To change it now, cancel it and "
                "create it again.",
                id=campaign.id,
                status=Text(STATUS_LABELS[CampaignStatus(campaign.status)]),
            )
        )
    return campaign


async def edit(
    session: AsyncSession,
    campaign_id: int,
    draft: CampaignDraft,
    by: StaffMember,
    now: datetime | None = None,
) -> tuple[Campaign, list[Change]]:
    """Replace a draft's definition with `draft`; returns the campaign and what changed (nothing
    changed: an empty list, and nothing is written)."""
    now = now or utcnow()
    campaign = await editable(session, campaign_id, by, now)
    subject = f"campaign:{campaign.id}"
    before = as_draft(campaign)
    await staff.ensure_scope(session, by, draft.audience, action="edit", subject=subject, now=now)
    ids = await municipality_ids(session, draft.audience)
    ensure_upcoming(((n, step.schedule) for n, step in enumerate(draft.steps, start=1)), now)
    changes = differences(before, draft)
    if not changes:
        return campaign, []
    campaign.name = draft.name
    campaign.audience = draft.audience.to_dict()
    campaign.base_language, campaign.fallback_language = draft.base_language, draft.fallback_language
    campaign.updated_at = now
    campaign.steps.clear()
    await session.flush()  # the old steps go before new ones take their positions
    campaign.steps.extend(step_row(position, step) for position, step in enumerate(draft.steps, start=1))
    await session.flush()
    await audit(
        session,
        by.label,
        "campaign.edited",
        subject,
        municipality_id=next(iter(ids.values())) if len(ids) == 1 else None,
        details={"changed": [change.field for change in changes]},
        now=now,
    )
    return campaign, changes


def differences(before: CampaignDraft, after: CampaignDraft) -> list[Change]:
    """What differs, field by field, in the order a reader checks them."""
    changes: list[Change] = []

    def compare(field: str, old: str, new: str) -> None:
        if old != new:
            changes.append(Change(field, old, new))

    compare("name", before.name, after.name)
    compare("audience", audience_words(before.audience), audience_words(after.audience))
    compare("base language", before.base_language, after.base_language)
    compare("fallback language", before.fallback_language or "none", after.fallback_language or "none")
    compare("steps", str(len(before.steps)), str(len(after.steps)))
    for number, (old, new) in enumerate(zip(before.steps, after.steps, strict=False), start=1):
        compare(f"step {number} time", schedule_words(old.schedule), schedule_words(new.schedule))
        for lang in sorted(set(old.texts) | set(new.texts)):
            compare(f"step {number} text ({lang})", old.texts.get(lang, "-"), new.texts.get(lang, "-"))
        compare(f"step {number} links", _links(old.links), _links(new.links))
        compare(f"step {number} survey", str(old.survey_id or "none"), str(new.survey_id or "none"))
        compare(f"step {number} media", old.media_url or "none", new.media_url or "none")
        compare(f"step {number} urgent", _yes(old.urgent), _yes(new.urgent))
    return changes


def audience_words(spec: AudienceSpec) -> str:
    """ "municipalities marneuli; languages az, hy" or "everyone": how the CLI names an audience."""
    named = [f"{key.replace('_', ' ')} {', '.join(values)}" for key, values in spec.to_dict().items()]
    return "; ".join(named) or "everyone"


def schedule_words(plan: StepSchedule) -> str:
    """When a step goes out, in words and Tbilisi time."""
    match plan.kind:
        case ScheduleKind.AT:
            assert plan.send_at is not None
            return _local(plan.send_at)
        case ScheduleKind.RELATIVE:
            assert plan.event_at is not None
            minutes = int(plan.offset.total_seconds() // 60)
            sign = "-" if minutes < 0 else "+"
            event = f"event {_local(plan.event_at)} {sign}{abs(minutes)}m"
            return f"{_local(plan.event_at + plan.offset)} ({event})"
        case ScheduleKind.RECURRING:
            until = f" until {_local(plan.until)}" if plan.until else ""
            return f"cron {plan.cron}{until}"
        case _:
            return "as soon as it is scheduled"


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(TBILISI):%Y-%m-%d %H:%M}"


def _links(links: Sequence[LinkDraft]) -> str:
    return ", ".join(link.url for link in links) or "none"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
