"""The survey conversation, the same for Telegram and SMS: given a person and what they sent, what to say.

State lives in the database (the response's `position` and `draft`, the contact's `dialog_state`), so a
person can stop, come back days later, even switch from Telegram to SMS, and continue at the same
question; any replica can serve the next message. While a survey is in progress `contact.dialog_state`
is `survey.<response id>`: the SMS router and Telegram's `InDialog("survey.")` send free text here.

Idempotence: an answer is accepted only for the question the response is on (`position`), and stored
with ON CONFLICT DO NOTHING, so a double tap, a re-sent update or a stale button of an answered question
records nothing and returns an empty reply (nothing to say; Telegram only stops the button's spinner).
The caller commits; this class only flushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from channels.message import N_, Choice, Outgoing, Reply, Text
from storage.base import utcnow
from storage.models import Channel, Contact
from storage.models.surveys import ResponseStatus, SurveyRecord, SurveyResponse, SurveyStatus
from surveys import lifecycle, prompts, responses
from surveys.answers import AnswerError, choice_numbering, parse_answer
from surveys.definition import Answer, QuestionKind, Survey

STATE_PREFIX = "survey."
THANKS = Text(
    "Thank you! Your answers are recorded. They are counted without your name, together with everyone "
    "else's, and the municipality will publish the results."
)
_SIGN_UP_FIRST = N_("Please finish signing up first: send /start.")
_STALE = N_("This button is no longer active.")


@dataclass
class _Place:
    """A response being answered, with its survey and the answers so far."""

    response: SurveyResponse
    record: SurveyRecord
    survey: Survey
    answers: dict[str, Answer]


class SurveyConversation:
    """One person's survey conversation for one inbound message or button press."""

    def __init__(
        self, session: AsyncSession, contact: Contact, channel: Channel, now: datetime | None = None
    ) -> None:
        self.session = session
        self.contact = contact
        self.channel = channel
        self.now = now or utcnow()

    # -- entry points -------------------------------------------------------------------------------

    async def list_open(self) -> Reply:
        """/polls: the surveys open to this person that they have not finished, as choices."""
        if not lifecycle.may_answer(self.contact):
            return [Outgoing.say(_SIGN_UP_FIRST)]
        finished = await responses.completed_survey_ids(self.session, self.contact.id)
        records = [
            r for r in await lifecycle.open_for(self.session, self.contact, self.now) if r.id not in finished
        ]
        if not records:
            return [Outgoing.say("There are no open surveys for you right now.")]
        choices = [Choice(prompts.start_data(r.id), lifecycle.definition(r).title) for r in records]
        return [Outgoing(parts=(Text("Choose a survey to answer:"),), choices=tuple(choices))]

    async def choose(self, data: str) -> Reply:
        """A survey button: `sv:<survey>:go` starts or resumes; the others answer (see `prompts`)."""
        if not lifecycle.may_answer(self.contact):
            return [Outgoing.say(_SIGN_UP_FIRST)]
        callback = prompts.parse_callback(data)
        if callback is None:
            return [Outgoing.say(_STALE)]
        if callback.kind == "sv":
            return await self._go(callback.target)
        place = await self._place(callback.target)
        if isinstance(place, list):
            return place
        if place.response.status != ResponseStatus.STARTED or callback.index != place.response.position:
            return []  # answered already: a double tap, a replay, or an old button
        question = place.survey.questions[callback.index]
        if not _fits(callback.kind, question.kind):
            return [Outgoing.say(_STALE)]
        if callback.kind == "sm":
            return self._toggle(place, callback.number)
        if callback.kind == "sd":
            numbers = {value: number for number, value in choice_numbering(question)}
            raw = ",".join(str(numbers[value]) for value in place.response.draft if value in numbers)
            return await self._submit(place, raw, button=True)
        if callback.kind == "sk":
            return await self._submit(place, "skip", button=True)
        return await self._submit(place, str(callback.number), button=True)

    async def text(self, raw: str) -> Reply:
        """A typed answer to the current question: an SMS reply, or free text on Telegram."""
        if not lifecycle.may_answer(self.contact):
            return [Outgoing.say(_SIGN_UP_FIRST)]
        state = self.contact.dialog_state or ""
        response_id = state.removeprefix(STATE_PREFIX)
        if not state.startswith(STATE_PREFIX) or not response_id.isdigit():
            return [Outgoing.say("You are not filling in a survey. Send /polls to see the open surveys.")]
        place = await self._place(int(response_id))
        if isinstance(place, list):
            return place
        if place.response.status != ResponseStatus.STARTED:
            self._leave(place.response.id)
            return [Outgoing.say("You are not filling in a survey. Send /polls to see the open surveys.")]
        return await self._submit(place, raw, button=False)

    # -- steps ---------------------------------------------------------------------------------------

    async def _go(self, survey_id: int) -> Reply:
        """Start, or resume where they stopped; a finished survey is politely refused."""
        record = await self.session.get(SurveyRecord, survey_id)
        if record is None or not await lifecycle.available_to(self.session, record, self.contact, self.now):
            if (
                record is not None
                and record.status != SurveyStatus.DRAFT
                and not lifecycle.is_open(record, self.now)
            ):
                return [Outgoing.say("This survey is closed. Thank you for your interest.")]
            return [Outgoing.say("This survey is not open to you.")]
        survey = lifecycle.definition(record)
        response, created = await responses.start_response(
            self.session, record, self.contact, self.channel, self.now
        )
        if response.status == ResponseStatus.COMPLETED:
            return [Outgoing.say("You have already answered this survey. Thank you!")]
        self._enter(response.id)
        answers = await responses.answers_of(self.session, survey, response.id)
        place = _Place(response, record, survey, answers)
        if created:
            return [prompts.intro_message(survey), *await self._continue(place, 0)]
        return [
            Outgoing.say("Welcome back! Let us continue where you stopped."),
            *await self._continue(place, response.position),
        ]

    async def _place(self, response_id: int) -> _Place | list[Outgoing]:
        """The response this person is answering, or what to tell them when it cannot be answered."""
        found = await responses.response_with_survey(self.session, response_id)
        if found is None or found[0].contact_id != self.contact.id:
            return [Outgoing.say(_STALE)]
        response, record = found
        if not lifecycle.is_open(record, self.now):
            self._leave(response.id)
            return [Outgoing.say("This survey is closed. Thank you for your interest.")]
        survey = await lifecycle.survey_of(self.session, record)
        return _Place(response, record, survey, await responses.answers_of(self.session, survey, response.id))

    def _toggle(self, place: _Place, number: int | None) -> Reply:
        """Tick or untick one option of a multiple-choice question (Telegram), kept in the response."""
        index = place.response.position
        question = place.survey.questions[index]
        value = dict(choice_numbering(question)).get(number or -1)
        if question.kind is not QuestionKind.MULTIPLE_CHOICE or value is None:
            return [Outgoing.say(_STALE)]
        draft = list(place.response.draft)
        draft.remove(value) if value in draft else draft.append(value)
        place.response.draft = [v for v in question.option_values() if v in draft]
        place.response.updated_at = self.now
        self._enter(place.response.id)
        return [
            prompts.toggled_message(
                question,
                response_id=place.response.id,
                index=index,
                draft=place.response.draft,
                progress=responses.progress(place.survey, index, place.answers),
            )
        ]

    async def _submit(self, place: _Place, raw: str, *, button: bool) -> Reply:
        """Check the answer to the current question; store it and go on, or say what is wrong and ask
        the same question again."""
        index = place.response.position
        question = place.survey.questions[index]
        answer = parse_answer(question, raw, self.contact.language)
        if isinstance(answer, AnswerError):
            return [Outgoing(parts=(answer.message,)), self._question(place)]
        if not await responses.store_answer(self.session, place.response.id, question.name, answer, self.now):
            return []  # another delivery of the same answer won the race
        place.answers[question.name] = answer
        echo = [prompts.echo_message(question, answer)] if button and self.channel == Channel.TELEGRAM else []
        return [*echo, *await self._continue(place, index + 1)]

    async def _continue(self, place: _Place, start: int) -> list[Outgoing]:
        """Show the notes on the way and ask the next question, or finish with a thank-you."""
        position, notes = responses.advance(place.survey, start, place.answers)
        reply = [prompts.note_message(place.survey.questions[i]) for i in notes]
        response = place.response
        if position != response.position:
            response.position, response.draft = position, []
        response.updated_at = self.now
        if position >= len(place.survey.questions):
            response.status, response.completed_at = ResponseStatus.COMPLETED, self.now
            self._leave(response.id)
            return [*reply, Outgoing(parts=(THANKS,))]
        self._enter(response.id)
        return [*reply, self._question(place)]

    def _question(self, place: _Place) -> Outgoing:
        index = place.response.position
        return prompts.question_message(
            place.survey.questions[index],
            response_id=place.response.id,
            index=index,
            channel=self.channel,
            draft=place.response.draft,
            progress=responses.progress(place.survey, index, place.answers),
        )

    def _enter(self, response_id: int) -> None:
        """Route this person's free text to this response (assigned only on change: no needless UPDATE)."""
        state = f"{STATE_PREFIX}{response_id}"
        if self.contact.dialog_state != state:
            self.contact.dialog_state = state

    def _leave(self, response_id: int) -> None:
        """Forget the survey as the current conversation (only if it is this one)."""
        if self.contact.dialog_state == f"{STATE_PREFIX}{response_id}":
            self.contact.dialog_state = None
            self.contact.dialog_data = {}


def _fits(callback_kind: str, question_kind: QuestionKind) -> bool:
    """Whether a button of this kind can belong to a question of that kind (else it is not ours)."""
    if callback_kind in ("sm", "sd"):
        return question_kind is QuestionKind.MULTIPLE_CHOICE
    if callback_kind == "sk":
        return question_kind in (QuestionKind.NUMBER, QuestionKind.TEXT)
    return question_kind not in (QuestionKind.NUMBER, QuestionKind.TEXT, QuestionKind.NOTE)
