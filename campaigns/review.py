"""A campaign's approval view: everything an approver must read before deciding, channel-neutral.

The summary (author, municipalities, first message, audience and cost), then each step with its time and
its text in every language, exactly as written (the base language first), then the decision. The texts
are shown whole: Telegram sends a message too long for one as several (`channels.telegram.pieces`).
Button data carry ids only: `adm:ap:<id>` approve, `adm:rj:<id>` return with a reason, `adm:rv:<id>` open
this view (the button of the coordinators' notice).
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.dryrun import Rates, dry_run
from campaigns.outline import NAMESPACE, first_message, places, review_choice, step_time
from channels.i18n import LANGUAGE_SELF_NAMES, LANGUAGES
from channels.message import Choice, Literal, Outgoing, Renderable, Text
from storage.models.campaigns import Campaign, StaffMember


def step_texts(campaign: Campaign, now: datetime) -> list[Outgoing]:
    """One message per step: its time, then each language's text under the language's own name."""
    order = {lang: n for n, lang in enumerate(dict.fromkeys((campaign.base_language, *LANGUAGES)))}
    steps = sorted(campaign.steps, key=lambda step: step.position)
    said: list[Outgoing] = []
    for step in steps:
        parts: list[Renderable] = [
            Text.of(
                "Step {step} of {steps}: {when}",
                step=step.position,
                steps=len(steps),
                when=step_time(step, now),
            )
        ]
        for lang, text in sorted(step.texts.items(), key=lambda item: order.get(item[0], len(order))):
            parts.append(Literal(f"{LANGUAGE_SELF_NAMES.get(lang, lang)}:\n{text}"))
        urls = [str(link["url"]) for link in step.links] + ([step.media_url] if step.media_url else [])
        if urls:
            parts.append(Text.of("Links: {urls}", urls=Literal(" ".join(urls))))
        if step.survey_id is not None:
            parts.append(Text.of("With the button to take survey {id}.", id=step.survey_id))
        said.append(Outgoing(parts=tuple(parts)))
    return said


async def approval_view(
    session: AsyncSession, campaign: Campaign, member: StaffMember, rates: Rates, now: datetime
) -> list[Outgoing]:
    """The whole view for `member`: Approve and Return buttons unless they wrote or submitted it."""
    result = await dry_run(session, campaign, rates)
    author = await session.get(StaffMember, campaign.created_by_id)
    submitter = await session.get(StaffMember, campaign.submitted_by_id) if campaign.submitted_by_id else None
    minutes = max(1, math.ceil(result.step_duration.total_seconds() / 60))
    summary: list[Renderable] = [
        Text.of(
            "Campaign {id}: {name}\nWritten by: {author}\nSubmitted by: {by}\n"
            "Municipalities: {places}\nFirst message: {first}\n"
            "People: {people} (Telegram {telegram}, SMS {sms})\n"
            "Steps: {steps}. SMS segments: {segments}, estimated cost {cost}\n"
            "Sending one step takes {duration}.",
            id=campaign.id,
            name=Literal(campaign.name),
            author=Literal(author.label if author else "?"),
            by=Literal(submitter.label if submitter else "?"),
            places=await places(session, campaign),
            first=first_message(campaign, now),
            people=result.audience.total,
            telegram=result.audience.by_channel.get("telegram", 0),
            sms=result.audience.by_channel.get("sms", 0),
            steps=result.steps,
            segments=result.sms_segments,
            cost=str(result.sms_cost),
            duration=Text.plural_of("about {n} minute", "about {n} minutes", minutes),
        )
    ]
    if campaign.rejection_reason:
        returner = (
            await session.get(StaffMember, campaign.rejected_by_id) if campaign.rejected_by_id else None
        )
        summary.append(
            Text.of(
                "Returned earlier by {who}: {reason}",
                who=Literal(returner.label if returner else "?"),
                reason=Literal(campaign.rejection_reason),
            )
        )
    if member.id in (campaign.created_by_id, campaign.submitted_by_id):
        decision = Outgoing.say(
            "You wrote or submitted this campaign, so another coordinator must approve it."
        )
    else:
        decision = Outgoing(
            parts=(
                Text.of("Approve campaign {id}, or return it to its author with a reason?", id=campaign.id),
            ),
            choices=(
                Choice(f"{NAMESPACE}:ap:{campaign.id}", Text("Approve")),
                Choice(f"{NAMESPACE}:rj:{campaign.id}", Text("Return with a reason")),
            ),
        )
    return [Outgoing(parts=tuple(summary)), *step_texts(campaign, now), decision]


async def waiting_list(session: AsyncSession, waiting: list[Campaign]) -> list[Outgoing]:
    """Several campaigns wait: one line each, with the button that opens its view."""
    said: list[Outgoing] = []
    for campaign in waiting:
        submitter = (
            await session.get(StaffMember, campaign.submitted_by_id) if campaign.submitted_by_id else None
        )
        said.append(
            Outgoing(
                parts=(
                    Text.of(
                        "Campaign {id}: {name}\nSubmitted by: {by}\nMunicipalities: {places}",
                        id=campaign.id,
                        name=Literal(campaign.name),
                        by=Literal(submitter.label if submitter else "?"),
                        places=await places(session, campaign),
                    ),
                ),
                choices=(review_choice(campaign.id),),
            )
        )
    return said
