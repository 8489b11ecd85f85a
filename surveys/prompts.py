"""A survey question as a channel-neutral message, and the compact callback data its buttons carry.

Choices come in the order of `choice_numbering`, "prefer not to answer" last, so the numbers an SMS
renderer puts in front of them are exactly the numbers `parse_answer` reads back. What differs by
channel is only what the channel can do: Telegram gets buttons (a Done button and check marks for
multiple choice, a Skip button where a question may be skipped), SMS gets a one-line hint how to reply
and answers multiple choice in one message ("1,3"). A rating is a row of buttons on Telegram, but on
SMS just "a number from 1 to 5": a list "1. 1, 2. 2, ..." costs segments and says nothing, and a scale
from 0 would not agree with the 1-based numbering of a list.

Callback data (ASCII, at most 40 bytes, far below Telegram's 64):
`sv:<survey>:go` start or resume, `sa:<response>:<question index>:<number>` an answer by its number,
`sm:...:<number>` tick or untick a multiple-choice option, `sd:<response>:<question index>` Done,
`sk:<response>:<question index>` skip or "prefer not to answer" on a typed question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from channels.message import Choice, Content, Joined, Literal, Outgoing, Renderable, Text
from channels.vocabulary import WORDS, Word, first_spelling
from storage.models import Channel
from surveys.answers import PREFER_NOT_TO_ANSWER, choice_numbering, range_hint
from surveys.definition import DECLINED, Answer, Question, QuestionKind, Survey

NAMESPACES = ("sv", "sa", "sm", "sd", "sk")
DONE = Text("Done")
SKIP = Text("Skip")
CHECK = "✅ "
SKIP_WORD = Content({lang: first_spelling(Word.SKIP, lang) for lang in WORDS[Word.SKIP]})
"""The skip word of each language (GLOSSARY term 44), from the table `surveys.answers` reads."""


@dataclass(frozen=True)
class Callback:
    """Parsed callback data of a survey button; `number` is None for Done and skip."""

    kind: str
    target: int
    index: int = 0
    number: int | None = None


def start_data(survey_id: int) -> str:
    return f"sv:{survey_id}:go"


def parse_callback(data: str) -> Callback | None:
    """The button's meaning, or None for data no survey button ever carried (never raises)."""
    kind, _, rest = data.partition(":")
    parts = rest.split(":")
    if not all(part.isascii() and part.isdigit() and len(part) <= 12 for part in parts if part != "go"):
        return None
    match kind, parts:
        case "sv", [survey, "go"]:
            return Callback(kind, int(survey))
        case (("sa" | "sm"), [response, index, number]):
            return Callback(kind, int(response), int(index), int(number))
        case (("sd" | "sk"), [response, index]):
            return Callback(kind, int(response), int(index))
    return None


def intro_message(survey: Survey) -> Outgoing:
    parts: list[Renderable] = [survey.title]
    if survey.description:
        parts.append(survey.description)
    return Outgoing(parts=tuple(parts))


def note_message(question: Question) -> Outgoing:
    parts: list[Renderable] = [question.label]
    if question.hint:
        parts.append(question.hint)
    return Outgoing(parts=tuple(parts))


def question_message(
    question: Question,
    *,
    response_id: int,
    index: int,
    channel: Channel,
    progress: tuple[int, int],
    draft: Sequence[str] = (),
) -> Outgoing:
    """The question with its choices (or its hint how to reply) and "n/total"."""
    parts: list[Renderable] = [question.label]
    if question.hint:
        parts.append(question.hint)
    sms = channel == Channel.SMS
    choices = (
        []
        if sms and question.kind is QuestionKind.RATING
        else _choices(question, response_id, index, sms, draft)
    )
    parts.extend(_instructions(question, sms))
    return Outgoing(
        parts=tuple(parts), choices=tuple(choices), progress=progress, columns=_columns(question, sms)
    )


def toggled_message(
    question: Question, *, response_id: int, index: int, progress: tuple[int, int], draft: Sequence[str]
) -> Outgoing:
    """The multiple-choice question again with the ticked options, replacing the tapped message."""
    message = question_message(
        question,
        response_id=response_id,
        index=index,
        channel=Channel.TELEGRAM,
        progress=progress,
        draft=draft,
    )
    return Outgoing(parts=message.parts, choices=message.choices, progress=progress, edit=True)


def echo_message(question: Question, answer: Answer) -> Outgoing:
    """The answered question with its answer and no buttons (Telegram, replacing the tapped message):
    the chat keeps a readable record, and an old keyboard cannot be pressed again."""
    return Outgoing(
        parts=(question.label, Joined((Literal(CHECK), answer_label(question, answer)), sep="")), edit=True
    )


def answer_label(question: Question, answer: Answer) -> Renderable:
    if answer.declined:
        return PREFER_NOT_TO_ANSWER
    value = answer.value
    if value is None:
        return Literal("—")
    if isinstance(value, tuple):
        return Joined(tuple(_option_label(question, item) for item in value))
    if isinstance(value, str):
        return _option_label(question, value)
    return Literal(str(value))


def _option_label(question: Question, value: str) -> Renderable:
    option = question.option(value)
    return option.label if option else Literal(value)


def _choices(
    question: Question, response_id: int, index: int, sms: bool, draft: Sequence[str]
) -> list[Choice]:
    prefix = f"{response_id}:{index}"
    choices: list[Choice] = []
    multiple = question.kind is QuestionKind.MULTIPLE_CHOICE
    for number, value in choice_numbering(question):
        if value == DECLINED:
            choices.append(Choice(f"sa:{prefix}:{number}", PREFER_NOT_TO_ANSWER))
        elif multiple:
            label = _option_label(question, value)
            choices.append(Choice(f"sm:{prefix}:{number}", label, selected=value in draft))
        else:
            label = _option_label(question, value) if question.choices else Literal(value)
            choices.append(Choice(f"sa:{prefix}:{number}", label))
    if multiple and not sms:
        choices.append(Choice(f"sd:{prefix}", DONE))
    if not sms and question.kind in (QuestionKind.NUMBER, QuestionKind.TEXT):
        if question.prefer_not_to_answer:
            choices.append(Choice(f"sk:{prefix}", PREFER_NOT_TO_ANSWER))
        elif not question.required:
            choices.append(Choice(f"sk:{prefix}", SKIP))
    return choices


def _columns(question: Question, sms: bool) -> int:
    if sms:
        return 1
    if question.kind is QuestionKind.RATING:
        points = len(choice_numbering(question)) - int(question.prefer_not_to_answer)
        return points if points <= 6 else (points + 1) // 2
    return 2 if question.kind is QuestionKind.YES_NO else 1


def _instructions(question: Question, sms: bool) -> list[Renderable]:
    kind = question.kind
    hints: list[Renderable] = []
    if kind is QuestionKind.MULTIPLE_CHOICE:
        hints.append(
            Text("Reply with the numbers of all that apply, separated by commas, e.g. 1,3.")
            if sms
            else Text("Choose all that apply, then press Done.")
        )
    elif kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.YES_NO) and sms:
        hints.append(Text("Reply with the number of your answer."))
    elif kind is QuestionKind.RATING and sms:
        hints.append(range_hint(question))
        if question.prefer_not_to_answer:
            declined = choice_numbering(question)[-1][0]
            hints.append(Joined((Literal(f"{declined} – "), PREFER_NOT_TO_ANSWER), sep=""))
    elif kind is QuestionKind.NUMBER:
        hints.append(range_hint(question))
    elif kind is QuestionKind.TEXT:
        hints.append(Text("Please type your answer."))
    if (
        sms
        and kind in (QuestionKind.NUMBER, QuestionKind.TEXT)
        and (question.prefer_not_to_answer or not question.required)
    ):
        hints.append(Text.of("To skip this question, reply {word}.", word=SKIP_WORD))
    return hints
