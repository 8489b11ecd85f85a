"""One hearing at a glance in chat, for its officer (Telegram's /summary), channel-neutral.

The same facts as `civicbot hearing summary` (`hearings.summary`, which checks the officer's scope and
audits the reading): answers by answer and language, interpretation needs, the accessibility offered,
the questions with their moderation state, the feedback and how its messages fared, and names when the
hearing asks for them. Everything is catalog text in the reader's language; people's words are literals
(escaped by the channel). A long summary is one message of many parts: Telegram sends it as several
(`channels.telegram.pieces`). Tables (CSV, XLSX) stay in the CLI and the console. Button data carry ids
only: `hsum:v:<hearing id>`.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.errors import CampaignError
from channels.message import N_, Choice, Content, Joined, Literal, Outgoing, Renderable, Text
from hearings import notices, officers
from hearings.summary import Summary, summary
from storage.base import utcnow
from storage.ids import parse_id
from storage.models import Municipality
from storage.models.campaigns import StaffMember
from storage.models.hearings import HearingStatus, Moderation, Rsvp

NAMESPACE = "hsum"
LISTED = 10  # hearings offered as buttons by /summary without a number; the CLI lists them all

STATES: Mapping[HearingStatus, str] = {
    HearingStatus.DRAFT: N_("draft"),
    HearingStatus.ANNOUNCED: N_("announced"),
    HearingStatus.CANCELLED: N_("cancelled"),
    HearingStatus.HELD: N_("held"),
}
MODERATION: Mapping[Moderation, str] = {
    Moderation.NEW: N_("not looked at"),
    Moderation.SHOWN: N_("to be shown"),
    Moderation.HIDDEN: N_("hidden"),
}
ANSWERS: Mapping[Rsvp, str] = {
    Rsvp.GOING: N_("going"),
    Rsvp.MAYBE: N_("maybe"),
    Rsvp.NOT_GOING: N_("not going"),
}


def _say(*parts: Renderable, choices: tuple[Choice, ...] = ()) -> Outgoing:
    return Outgoing(parts=parts, choices=choices)


@dataclass
class SummaryDesk:
    """/summary for one staff member: which hearing, then its summary; a refusal becomes the reply."""

    session: AsyncSession
    member: StaffMember
    now: datetime = field(default_factory=utcnow)

    async def command(self, argument: str) -> list[Outgoing]:
        """`/summary 3`: that hearing's summary; `/summary`: the hearings to choose from."""
        text = argument.strip().lstrip("#")
        if (hearing_id := parse_id(text)) is not None:
            return await self._summary(hearing_id)
        if text:
            return [_say(Text("Send /summary and the hearing's number, like /summary 3."))]
        return await self._choices()

    async def choose(self, data: str) -> list[Outgoing]:
        """A button: `hsum:v:<id>`."""
        _, action, value = [*data.split(":", 2), "", ""][:3]
        match action:
            case "v" if (hearing_id := parse_id(value)) is not None:
                return await self._summary(hearing_id)
        return [_say(Text("This button is no longer active."))]

    async def _choices(self) -> list[Outgoing]:
        found = await officers.listing(self.session, self.member.municipality_id, limit=LISTED)
        if not found:
            return [_say(Text("There are no hearings yet."))]
        buttons = tuple(
            Choice(
                f"{NAMESPACE}:v:{hearing.id}",
                Joined((Literal(f"{hearing.id} · "), notices.title(hearing)), ""),
            )
            for hearing in found
        )
        return [_say(Text("Which hearing? Choose one to see its summary."), choices=buttons)]

    async def _summary(self, hearing_id: int) -> list[Outgoing]:
        try:
            found = await summary(self.session, hearing_id, self.member, self.now)
        except CampaignError as refusal:
            return [_say(refusal.message)]
        place = await self.session.get_one(Municipality, found.hearing.municipality_id)
        return [Outgoing(parts=tuple(sections(found, place, as_option(self.member))))]


def as_option(member: StaffMember) -> str:
    """How `--as` names `member` so that a printed command works as printed: the name, quoted for the
    shell where it needs it, else the Telegram id (the `tg:` of `label` is for reading; `--as` refuses it)."""
    return shlex.quote(member.name) if member.name else str(member.telegram_id)


def sections(found: Summary, place: Municipality, actor: str) -> list[Renderable]:
    """The summary's parts in reading order; each question is a part of its own. `actor` is the
    `--as` value of the table command offered at the end (`as_option`)."""
    hearing = found.hearing
    parts: list[Renderable] = [
        Text.of(
            "Hearing {id}: {title}\n{status} · {municipality} · {start} (Tbilisi time)",
            id=hearing.id,
            title=notices.title(hearing),
            status=Text(STATES[HearingStatus(hearing.status)]),
            municipality=Content(place.names, fallback="en"),
            start=hearing.starts_at,
        ),
        Joined([_answers(found, answer) for answer in Rsvp], "\n"),
    ]
    if hearing.capacity is not None:
        parts.append(
            Text.of(
                "Places: {places}. Waiting list: {waiting}.", places=hearing.capacity, waiting=found.waiting
            )
        )
    for code, n in found.interpretation.items():
        parts.append(
            Text.plural_of(
                "Interpretation into {language}: {n} person going or maybe reads it.",
                "Interpretation into {language}: {n} people going or maybe read it.",
                n,
                language=notices.language_name(code),
            )
        )
    if hearing.accessibility:
        parts.append(
            Text.of(
                "Accessibility: {note}",
                note=notices.content(hearing.accessibility, hearing.fallback_language),
            )
        )
    parts.extend(_questions(found))
    parts.extend(_feedback(found))
    if found.names:
        names = [
            Text.of(
                "{answer}: {name}",
                answer=Text(ANSWERS[answer]),
                name=Literal(name) if name else Text("(not given yet)"),
            )
            for answer, name in found.names
        ]
        parts.append(Joined([Text("Names given by those going or maybe:"), *names], "\n"))
    parts.append(
        Text.of(
            "As a table (CSV or XLSX): the console's hearing page, or civicbot hearing summary {id} "
            "--as {who} --format xlsx --output hearing-{id}.xlsx",
            id=hearing.id,
            who=Literal(actor),
        )
    )
    return parts


def _answers(found: Summary, answer: Rsvp) -> Text:
    total = found.by_answer()[answer]
    languages = [
        Joined((notices.language_name(lang), Literal(f" {n}")), "")
        for (given, lang), n in sorted(found.answers.items())
        if given == answer and n
    ]
    if not languages:
        return Text.of("{answer}: {n}", answer=Text(ANSWERS[answer]), n=total)
    return Text.of(
        "{answer}: {n} ({languages})", answer=Text(ANSWERS[answer]), n=total, languages=Joined(languages)
    )


def _questions(found: Summary) -> list[Renderable]:
    if not found.questions:
        return [Text("No questions were sent in advance.")]
    states = found.by_moderation()
    head = Text.plural_of(
        "{n} question sent in advance: {new} not looked at, {shown} to be shown, {hidden} hidden.",
        "{n} questions sent in advance: {new} not looked at, {shown} to be shown, {hidden} hidden.",
        len(found.questions),
        new=states[Moderation.NEW],
        shown=states[Moderation.SHOWN],
        hidden=states[Moderation.HIDDEN],
    )
    return [
        head,
        *(
            Text.of(
                "#{id} · {state} · {time}\n{text}",
                id=question.id,
                state=Text(MODERATION[question.moderation]),
                time=question.received_at,
                text=Literal(question.text),
            )
            for question in found.questions
        ),
    ]


def _feedback(found: Summary) -> list[Renderable]:
    if not found.feedback:
        return [Text("No feedback has been published yet.")]
    return [
        Text.of(
            "Feedback {id}, published on {time} by {who}: {sent} sent, {failed} not delivered, "
            "{waiting} waiting.",
            id=item.id,
            time=item.published_at,
            who=Literal(item.published_by),
            sent=item.sent,
            failed=item.failed,
            waiting=item.waiting,
        )
        for item in found.feedback
    ]
