"""Public hearings as a citizen meets them, channel-neutral: the list, RSVP, a question sent in advance.

Telegram presses buttons and SMS types numbers (mapped back through `offered_choices`), so both call the
same three entry points. What the person is typing (a question, a name) is kept in `contact.dialog_state`
(`hearing.question.<id>`, `hearing.name.<id>`) so any replica, and either channel, can take the next
message. The officer side (`announce`, `cancel`, feedback) and the reminders are re-exported from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from channels.message import Choice, Content, Literal, Outgoing, Reply, Text
from hearings import calendar, capacity, notices
from hearings.officers import announce, cancel, create, publish_feedback, questions, rsvp_summary
from hearings.reminders import enqueue_due_reminders, mark_held, run_hearing_reminders
from storage.base import utcnow
from storage.ids import parse_id
from storage.models import Channel, Contact, Municipality
from storage.models.hearings import Hearing, HearingQuestion, HearingRsvp, HearingStatus, Rsvp

__all__ = [
    "CalendarFile",
    "HearingConversation",
    "announce",
    "cancel",
    "create",
    "enqueue_due_reminders",
    "mark_held",
    "publish_feedback",
    "questions",
    "rsvp_summary",
    "run_hearing_reminders",
]

QUESTION_STATE = "hearing.question."
NAME_STATE = "hearing.name."
QUESTION_MAX = 1000  # characters; a question is read out at the hearing, not an essay
QUESTIONS_PER_PERSON = 5  # per hearing: enough for real questions, too few to flood the officer
NAME_MAX = 100
LISTED = 10  # hearings shown at once
_ANSWERS = {data: answer for answer, data in notices.RSVP_DATA.items()}


@dataclass(frozen=True)
class CalendarFile:
    """One hearing's .ics: its file name, the iCalendar bytes, and its title for a caption."""

    name: str
    body: bytes
    title: Content


class HearingConversation:
    """One person's hearing conversation for one inbound event. Methods return what to say."""

    def __init__(
        self, session: AsyncSession, contact: Contact, channel: Channel, now: datetime | None = None
    ) -> None:
        self.session = session
        self.contact = contact
        self.channel = channel
        self.now = now or utcnow()

    async def list_upcoming(self) -> Reply:
        """/hearings: the announced hearings of the person's municipality that have not started."""
        if not self.contact.has_consent:
            return [Outgoing.say("Please finish signing up first: send /start.")]
        if self.contact.municipality_id is None:
            return [
                Outgoing.say("Choose your municipality first (/municipality) to see its public hearings.")
            ]
        municipality = await self.session.get_one(Municipality, self.contact.municipality_id)
        place = Content(municipality.names, fallback="en")
        hearings = await self._upcoming(municipality)
        self._clear_state()
        if not hearings:
            none = Outgoing.say(
                "There are no upcoming public hearings right now ({municipality}).", municipality=place
            )
            return self._offer([none])
        answers = dict(
            (
                await self.session.execute(
                    select(HearingRsvp.hearing_id, HearingRsvp.answer).where(
                        HearingRsvp.contact_id == self.contact.id,
                        HearingRsvp.hearing_id.in_([h.id for h in hearings]),
                    )
                )
            ).all()
        )
        heading = Outgoing.say("Upcoming public hearings ({municipality}):", municipality=place)
        listed = [notices.listed(hearing, _rsvp(answers.get(hearing.id))) for hearing in hearings]
        return self._offer([heading, *listed])

    async def choose(self, data: str) -> Reply:
        """`hr:<id>:go|maybe|no` (RSVP) or `hq:<id>` (ask a question); anything else is stale."""
        namespace, _, rest = data.partition(":")
        hearing_ref, _, value = rest.partition(":")
        hearing_id = parse_id(hearing_ref)
        if namespace not in ("hr", "hq") or hearing_id is None:
            return _stale()
        if not self.contact.has_consent:
            return [Outgoing.say("Please finish signing up first: send /start.")]
        hearing = await self.session.get(Hearing, hearing_id)
        if hearing is None or hearing.status == HearingStatus.DRAFT:
            return _stale()
        if closed := self._closed(hearing):
            self._clear_state()
            return closed
        if namespace == "hq":
            return await self._ask_question(hearing)
        answer = _ANSWERS.get(value)
        if answer is None:
            return _stale()
        return await self._rsvp(hearing, answer)

    async def text(self, raw: str) -> Reply:
        """The question (or name) typed after the button; empty or too long gets a helpful reply."""
        state = self.contact.dialog_state or ""
        prefix = next((p for p in (QUESTION_STATE, NAME_STATE) if state.startswith(p)), None)
        hearing_ref = state.removeprefix(prefix) if prefix else ""
        hearing_id = parse_id(hearing_ref)
        hearing = await self.session.get(Hearing, hearing_id) if hearing_id else None
        if prefix is None or hearing is None:
            self._clear_state()
            return [
                Outgoing.say(
                    "Sorry, I did not understand that. Send /hearings to see upcoming public hearings."
                )
            ]
        if closed := self._closed(hearing):
            self._clear_state()
            return closed
        if prefix == NAME_STATE:
            return await self._save_name(hearing, raw)
        return await self._save_question(hearing, raw)

    async def calendar_files(self, public_base_url: str | None = None) -> list[CalendarFile]:
        """Each upcoming hearing of /hearings as an .ics file in the person's language (Telegram sends
        them as documents); nothing for someone not signed up or without a municipality."""
        if not self.contact.has_consent or self.contact.municipality_id is None:
            return []
        municipality = await self.session.get_one(Municipality, self.contact.municipality_id)
        return [
            CalendarFile(
                calendar.file_name(hearing),
                calendar.calendar(
                    [hearing],
                    municipality,
                    self.contact.language,
                    name=calendar.in_language(
                        hearing.title, self.contact.language, hearing.fallback_language
                    ),
                    base_url=public_base_url or "",
                ),
                notices.title(hearing),
            )
            for hearing in await self._upcoming(municipality)
        ]

    async def _upcoming(self, municipality: Municipality) -> list[Hearing]:
        found = await self.session.scalars(
            select(Hearing)
            .where(
                Hearing.municipality_id == municipality.id,
                Hearing.status == HearingStatus.ANNOUNCED,
                Hearing.starts_at > self.now,
            )
            .order_by(Hearing.starts_at, Hearing.id)
            .limit(LISTED)
        )
        return list(found.all())

    def offered_choices(self) -> list[str]:
        """The choice data of the last listing, in order (SMS maps "2" to the second)."""
        return list(self.contact.dialog_data.get("choices", []))

    # -- steps ---------------------------------------------------------------------------------------

    async def _rsvp(self, hearing: Hearing, answer: Rsvp) -> Reply:
        rsvp = await self._find_rsvp(hearing.id)
        had_place = rsvp is not None and rsvp.answer == Rsvp.GOING and rsvp.waiting_since is None
        if rsvp is None:
            rsvp = HearingRsvp(
                hearing_id=hearing.id,
                contact_id=self.contact.id,
                answer=answer,
                channel=self.channel,
                created_at=self.now,
                updated_at=self.now,
            )
            try:
                async with self.session.begin_nested():
                    self.session.add(rsvp)
            except IntegrityError:  # the same person answered at the same moment elsewhere
                rsvp = await self._find_rsvp(hearing.id)
                assert rsvp is not None
        if rsvp.answer != answer:
            rsvp.answer, rsvp.updated_at, rsvp.channel = answer, self.now, self.channel
        if answer == Rsvp.NOT_GOING:
            rsvp.name = None  # a name is kept only for people who may come
        self._clear_state()
        title = notices.title(hearing)
        waiting = await capacity.place_or_wait(self.session, hearing, rsvp, had_place, self.now)
        match answer:
            case Rsvp.GOING:
                confirm = Outgoing.say(
                    "Thank you! You said you will come to “{title}”. We will remind you "
                    "a day before and 2 hours before.",
                    title=title,
                )
            case Rsvp.MAYBE:
                confirm = Outgoing.say(
                    "Noted: you may come to “{title}”. We will remind you a day before and 2 hours before.",
                    title=title,
                )
            case _:
                confirm = Outgoing(
                    parts=(
                        Text.of(
                            "Noted: you will not come to “{title}”. You can still send a question "
                            "in advance.",
                            title=title,
                        ),
                    ),
                    choices=(Choice(f"hq:{hearing.id}", Text(notices.ASK_LABEL)),),
                )
        if waiting is not None:
            confirm = Outgoing.say(
                "“{title}” is full: you are number {n} on the waiting list. We will tell "
                "you if a place frees up.",
                title=title,
                n=waiting,
            )
        if hearing.names_required and answer != Rsvp.NOT_GOING and not rsvp.name:
            self._set_state(f"{NAME_STATE}{hearing.id}")
            return [
                confirm,
                Outgoing.say(
                    "This hearing needs the names of participants. Please type your first and last name."
                ),
            ]
        return self._offer([confirm])

    async def _ask_question(self, hearing: Hearing) -> Reply:
        if await self._questions_sent(hearing.id) >= QUESTIONS_PER_PERSON:
            self._clear_state()
            return _enough_questions()
        self._set_state(f"{QUESTION_STATE}{hearing.id}")
        return [
            Outgoing.say(
                "Please type your question for “{title}” in one message (at most {limit} characters).",
                title=notices.title(hearing),
                limit=QUESTION_MAX,
            )
        ]

    async def _save_question(self, hearing: Hearing, raw: str) -> Reply:
        question = raw.strip()
        if not question:
            return [Outgoing.say("Please type your question as text.")]
        if len(question) > QUESTION_MAX:
            too_long = Text.plural_of(
                "Your question is {n} character long. Please shorten it to at most {limit} characters "
                "and send it again.",
                "Your question is {n} characters long. Please shorten it to at most {limit} characters "
                "and send it again.",
                len(question),
                limit=QUESTION_MAX,
            )
            return [Outgoing(parts=(too_long,))]
        if await self._questions_sent(hearing.id) >= QUESTIONS_PER_PERSON:
            self._clear_state()
            return _enough_questions()
        self.session.add(
            HearingQuestion(
                hearing_id=hearing.id, contact_id=self.contact.id, text=question, received_at=self.now
            )
        )
        await self.session.flush()
        self._clear_state()
        return [
            Outgoing(
                parts=(
                    Text.of(
                        "Thank you! The municipality has received your question for “{title}”:",
                        title=notices.title(hearing),
                    ),
                    Literal(question),
                )
            )
        ]

    async def _save_name(self, hearing: Hearing, raw: str) -> Reply:
        name = " ".join(raw.split())
        rsvp = await self._find_rsvp(hearing.id)
        if rsvp is None or rsvp.answer == Rsvp.NOT_GOING:
            self._clear_state()
            return _stale()
        if not 2 <= len(name) <= NAME_MAX:
            return [
                Outgoing.say(
                    "Please type your first and last name (at most {limit} characters).", limit=NAME_MAX
                )
            ]
        rsvp.name = name
        self._clear_state()
        return [
            Outgoing.say(
                "Thank you, {name}. Your name is noted for “{title}”.",
                name=Literal(name),
                title=notices.title(hearing),
            )
        ]

    # -- small pieces --------------------------------------------------------------------------------

    def _closed(self, hearing: Hearing) -> Reply | None:
        if hearing.status == HearingStatus.CANCELLED:
            return [Outgoing.say("This public hearing has been cancelled.")]
        if hearing.status == HearingStatus.HELD or hearing.starts_at <= self.now:
            return [Outgoing.say("This public hearing has already taken place.")]
        return None

    async def _find_rsvp(self, hearing_id: int) -> HearingRsvp | None:
        return await self.session.scalar(
            select(HearingRsvp).where(
                HearingRsvp.hearing_id == hearing_id, HearingRsvp.contact_id == self.contact.id
            )
        )

    async def _questions_sent(self, hearing_id: int) -> int:
        found = await self.session.scalar(
            select(func.count())
            .select_from(HearingQuestion)
            .where(HearingQuestion.hearing_id == hearing_id, HearingQuestion.contact_id == self.contact.id)
        )
        return int(found or 0)

    def _set_state(self, state: str) -> None:
        self.contact.dialog_state = state
        self.contact.dialog_data = {}

    def _clear_state(self) -> None:
        """Leave a hearing state; another conversation's state (sign-up) is not ours to clear."""
        if (self.contact.dialog_state or "").startswith("hearing."):
            self.contact.dialog_state = None
            self.contact.dialog_data = {}

    def _offer(self, reply: list[Outgoing]) -> Reply:
        self.contact.dialog_data = {**self.contact.dialog_data, "choices": notices.all_choices(reply)}
        return reply


def _rsvp(value: str | None) -> Rsvp | None:
    return Rsvp(value) if value is not None else None


def _enough_questions() -> Reply:
    return [
        Outgoing(
            parts=(
                Text.plural_of(
                    "You have already sent {n} question for this hearing. Thank you!",
                    "You have already sent {n} questions for this hearing. Thank you!",
                    QUESTIONS_PER_PERSON,
                ),
            )
        )
    ]


def _stale() -> Reply:
    return [Outgoing.say("This button is no longer active.")]
