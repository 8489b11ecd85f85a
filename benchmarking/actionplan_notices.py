"""Telling people that an action-plan item changed status: its followers, and those whose input led to it.

Two groups hear of a change: people of the municipality who follow the "action plan" topic, and people
who answered a linked survey question (living in the municipality now) or answered or asked at a linked
hearing ("you said, we did"). Both must be active (consented, not stopped, not erased). Each person gets
ONE message per change, keyed `actionplan:change:<change>:contact:<contact>` in the outbox, so someone in
both groups gets the "you said" one and running this again (a retry, a restart) queues nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience import AudienceSpec, Recipient, recipients
from campaigns.quiet import next_allowed
from campaigns.schedule import QuietHours
from channels.message import N_, Content, LinkButton, Outgoing, Renderable, Text
from hearings import participants
from storage.models import Contact, Municipality
from storage.models.actionplans import ActionPlanChange, ActionPlanItem, ActionPlanLink, ItemStatus, LinkKind
from storage.models.hearings import HearingQuestion, HearingRsvp, QuestionStatus
from storage.models.surveys import SurveyAnswer, SurveyRecord, SurveyResponse

TOPIC = "action_plan"  # contacts.options.TOPICS

STATUS_LABELS: Mapping[ItemStatus, str] = {
    ItemStatus.PLANNED: N_("planned"),
    ItemStatus.IN_PROGRESS: N_("in progress"),
    ItemStatus.DONE: N_("completed"),
    ItemStatus.DELAYED: N_("delayed"),
    ItemStatus.DROPPED: N_("dropped"),
}


@dataclass(frozen=True)
class Told:
    """How many messages were queued for a change, and when they may go (None: nobody to tell)."""

    queued: int = 0
    goes_at: datetime | None = None
    waiting: bool = False  # the item awaits a coordinator's approval: nobody is told before it


def status_label(status: str) -> Text:
    return Text(STATUS_LABELS[ItemStatus(status)])


def item_title(item: ActionPlanItem) -> Content:
    return Content(dict(item.title), fallback=item.base_language)


def change_key(change_id: int, contact_id: int) -> str:
    return f"actionplan:change:{change_id}:contact:{contact_id}"


def _links(item: ActionPlanItem) -> tuple[LinkButton, ...]:
    return (LinkButton(Text("Evidence"), item.evidence_link),) if item.evidence_link else ()


def follower_message(item: ActionPlanItem, change: ActionPlanChange, place: Municipality) -> Outgoing:
    """For people who follow the action plan of their municipality."""
    line = Text.of(
        "Action plan of {municipality}: “{title}” is now {status} ({progress}% done).",
        municipality=Content(place.names, fallback="en"),
        title=item_title(item),
        status=status_label(change.to_status),
        progress=change.progress,
    )
    return Outgoing(parts=(line,), links=_links(item))


def participant_message(item: ActionPlanItem, change: ActionPlanChange, place: Municipality) -> Outgoing:
    """ "You said, we did": for people whose survey answers or hearing input led to the item."""
    parts: tuple[Renderable, ...] = (
        Text.of(
            "You said, we did. You gave {municipality} your views in a survey or at a public hearing. "
            "The action plan item that came from them, “{title}”, is now {status} ({progress}% done).",
            municipality=Content(place.names, fallback="en"),
            title=item_title(item),
            status=status_label(change.to_status),
            progress=change.progress,
        ),
        Text("Thank you for taking part."),
    )
    return Outgoing(parts=parts, links=_links(item))


def contributors(item: ActionPlanItem) -> Select[int]:
    """Everyone whose input is linked to the item: non-declined answers to the linked survey questions
    (from people of the item's municipality) and RSVPs or questions for the linked hearings."""
    link = ActionPlanLink
    answered = (
        select(SurveyResponse.contact_id)
        .join(SurveyRecord, SurveyRecord.id == SurveyResponse.survey_id)
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .join(link, (link.survey_code == SurveyRecord.code) & (link.question == SurveyAnswer.question))
        .join(Contact, Contact.id == SurveyResponse.contact_id)
        .where(
            link.item_id == item.id,
            link.kind == LinkKind.SURVEY_QUESTION,
            SurveyAnswer.declined.is_(False),
            Contact.municipality_id == item.municipality_id,
        )
    )
    rsvped = (
        select(HearingRsvp.contact_id)
        .join(link, link.hearing_id == HearingRsvp.hearing_id)
        .where(link.item_id == item.id, link.kind == LinkKind.HEARING)
    )
    asked = (
        select(HearingQuestion.contact_id)
        .join(link, link.hearing_id == HearingQuestion.hearing_id)
        .where(
            link.item_id == item.id,
            link.kind == LinkKind.HEARING,
            HearingQuestion.status != QuestionStatus.ERASED,
        )
    )
    everyone = union(answered, rsvped, asked).subquery()
    return select(everyone.c[0])


async def notify_change(
    session: AsyncSession, change_id: int, now: datetime, *, quiet: QuietHours | None = None
) -> Told:
    """Queue the messages about one change (idempotent); returns how many are new and when they go.

    An item not approved yet tells nobody: its approval tells the people of its latest change."""
    change = await session.get_one(ActionPlanChange, change_id)
    item = await session.get_one(ActionPlanItem, change.item_id)
    if item.approved_at is None:
        return Told(waiting=True)
    place = await session.get_one(Municipality, item.municipality_id)
    goes_at = next_allowed(now, place, default=quiet)

    def key(person: Recipient) -> str:
        return change_key(change.id, person.contact_id)

    queued = await participants.send_to(
        session,
        participants.reach(session, contributors(item)),
        participant_message(item, change, place),
        key,
        not_before=goes_at,
        now=now,
    )
    spec = AudienceSpec(municipalities=(place.code,), topics=(TOPIC,))
    queued += await participants.send_to(
        session,
        recipients(session, spec),
        follower_message(item, change, place),
        key,
        not_before=goes_at,
        now=now,
    )
    return Told(queued, goes_at if queued else None)
