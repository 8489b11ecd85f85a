"""Reading one typed answer (an SMS reply, or free text on Telegram) for one question.

People answer on basic phones in five languages, so the parser is generous about *form* and strict
about *meaning*: any script's digits, stray punctuation, yes/no words in every language and in Latin
letters are accepted; a number that is not on the list, or outside the range, is refused with a message
that says what to send instead. Decisions (documented in `surveys/FORMAT.md` too):

* Choices are numbered from 1 in the order they are defined, by `choice_numbering`, which the SMS
  renderer uses as well, so the numbers shown and the numbers read always agree. A rating scale is
  numbered by its own values (1-5 shows 1..5).
* "Prefer not to answer", where a question allows it, is one more number after the last one. Questions
  without a list (number, text) take a skip word instead (GLOSSARY term 44 in every language, or
  "skip"); on an optional question the skip word leaves it unanswered.
* Multiple choice takes numbers separated by commas, semicolons, spaces or dots ("1,3", "1 3", "1; 3").
  A run of digits is split into single digits only when every number shown has one digit ("13" means
  1 and 3 with up to 9 numbers); with 10 numbers or more it is one number, and one that is not on the
  list is refused with a request to separate the numbers.
* Integers accept a zero fraction ("7.0", "7,0"); "," and "." are both decimal separators (there are
  no thousands separators, so "1,500" is one and a half, and refused where a whole number is asked).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from channels.message import Content, Text
from channels.textnorm import latin_key, normalize_reply
from channels.vocabulary import Word, spellings, word_of
from surveys.definition import DECLINED, Answer, Question, QuestionKind

PREFER_NOT_TO_ANSWER = Text("Prefer not to answer")
"""Label of the extra numbered option; a catalog message, so it is translated like the interface."""

SKIP_WORDS = spellings(Word.SKIP)
YES_WORDS = spellings(Word.YES)
NO_WORDS = spellings(Word.NO)
"""From the one vocabulary table (`channels.vocabulary`) that consent and the SMS keywords read too."""

_NUMBER = re.compile(r"(\d{1,12})(?:[.,](\d{1,12}))?")
_SEPARATORS = re.compile(r"[\s,;.]+")
_MINUS_SIGNS = frozenset("-\u2212\u2013")


@dataclass(frozen=True)
class AnswerError:
    """Why a reply was refused, as a message to send back (a catalog `Text`, or the coordinator's
    `constraint_message` when the question has one)."""

    message: Text | Content


def choice_numbering(question: Question) -> list[tuple[int, str]]:
    """The numbers a person may type and the option value each one stands for (DECLINED last)."""
    numbering: list[tuple[int, str]]
    if question.kind is QuestionKind.RATING and question.minimum is not None and question.maximum is not None:
        low, high = int(question.minimum), int(question.maximum)
        numbering = [(value, str(value)) for value in range(low, high + 1)]
    elif question.choices:
        numbering = [(number, option.value) for number, option in enumerate(question.choices, 1)]
    else:
        return []
    if question.prefer_not_to_answer:
        numbering.append((numbering[-1][0] + 1, DECLINED))
    return numbering


def is_skip_word(raw: str) -> bool:
    return word_of(raw, (Word.SKIP,)) is Word.SKIP


def parse_answer(question: Question, raw: str, lang: str) -> Answer | AnswerError:
    """Read `raw` as an answer to `question`; never raises, whatever the text.

    `lang` is the person's language: option labels typed out in it are recognised first.
    """
    if question.kind is QuestionKind.NOTE:
        return Answer(None)
    if not normalize_reply(raw):
        return AnswerError(Text("This question needs an answer.")) if question.required else Answer(None)
    if is_skip_word(raw):
        if question.prefer_not_to_answer:
            return Answer(None, declined=True)
        return AnswerError(Text("This question needs an answer.")) if question.required else Answer(None)
    if question.kind is QuestionKind.TEXT:
        return _text(question, raw)
    if question.kind is QuestionKind.NUMBER:
        return _number(question, raw)
    if question.kind is QuestionKind.RATING:
        return _rating(question, raw)
    if question.kind is QuestionKind.MULTIPLE_CHOICE:
        return _multiple(question, raw)
    return _single(question, raw, lang)


def _declined_or(question: Question, value: str) -> Answer:
    return Answer(None, declined=True) if value == DECLINED else Answer(value)


def _single(question: Question, raw: str, lang: str) -> Answer | AnswerError:
    numbers = dict(choice_numbering(question))
    text = normalize_reply(raw)
    if text.isdigit() and len(text) <= 3 and int(text) in numbers:
        return _declined_or(question, numbers[int(text)])
    key = latin_key(raw)
    if question.kind is QuestionKind.YES_NO and (word := word_of(raw, (Word.YES, Word.NO))):
        return Answer(question.choices[0 if word is Word.YES else 1].value)
    if value := _label_match(question, key, lang):
        return Answer(value)
    if question.kind is QuestionKind.YES_NO:
        return AnswerError(Text("Please reply with 1 for yes or 2 for no."))
    return AnswerError(
        Text.of("Please reply with the number of one option, from 1 to {high}.", high=max(numbers))
    )


def _label_match(question: Question, key: str, lang: str) -> str | None:
    """The option whose label, typed out in full, is the reply (the person's language first)."""
    languages = [lang, *sorted({lng for o in question.choices for lng in o.label.translations} - {lang})]
    for language in languages:
        found = {
            option.value
            for option in question.choices
            if (label := option.label.translations.get(language)) and latin_key(label) == key
        }
        if len(found) == 1:
            return found.pop()
    return None


def _multiple(question: Question, raw: str) -> Answer | AnswerError:
    numbering = choice_numbering(question)
    numbers = dict(numbering)
    high = max(numbers)
    refusal = AnswerError(
        Text.of(
            "Please reply with the numbers of your choices from 1 to {high}, separated by commas.",
            high=high,
        )
    )
    tokens = [token for token in _SEPARATORS.split(normalize_reply(raw)) if token]
    if not tokens or not all(token.isdigit() and len(token) <= 12 for token in tokens):
        return refusal
    picked: list[int] = []
    for token in tokens:
        if high < 10:
            picked.extend(int(digit) for digit in token)
        else:
            picked.append(int(token))
    if any(number not in numbers for number in picked):
        return refusal
    values = {numbers[number] for number in picked}
    if DECLINED in values:
        if len(values) > 1:
            return AnswerError(Text("“Prefer not to answer” cannot be combined with other options."))
        return Answer(None, declined=True)
    chosen = tuple(value for _, value in numbering if value in values)
    if question.minimum is not None and len(chosen) < question.minimum:
        n = int(question.minimum)
        return _constraint(
            question,
            Text.plural_of("Please choose at least {n} option.", "Please choose at least {n} options.", n),
        )
    if question.maximum is not None and len(chosen) > question.maximum:
        n = int(question.maximum)
        return _constraint(
            question,
            Text.plural_of("Please choose at most {n} option.", "Please choose at most {n} options.", n),
        )
    return Answer(chosen)


def _read_number(raw: str) -> int | float | None:
    """A typed number in any script's digits, "," or "." as the decimal mark; None if it is not one.

    The sign is read before `normalize_reply`, which trims dashes. A zero fraction gives an int.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    negative = text[:1] in _MINUS_SIGNS
    match = _NUMBER.fullmatch(normalize_reply(text[1:] if negative else text))
    if not match:
        return None
    whole, fraction = match.group(1), (match.group(2) or "").rstrip("0")
    sign = "-" if negative else ""
    return float(f"{sign}{whole}.{fraction}") if fraction else int(f"{sign}{whole}")


def range_hint(question: Question) -> Text:
    """What number to send; the prompt shows it before the question (`surveys.prompts`), the parser
    answers it to a number out of range, so both always say the same."""
    low, high = question.minimum, question.maximum
    if low is not None and high is not None:
        return Text.of("Please reply with a number from {low} to {high}.", low=low, high=high)
    if low is not None:
        return Text.of("Please reply with a number of at least {low}.", low=low)
    if high is not None:
        return Text.of("Please reply with a number of at most {high}.", high=high)
    return Text("Please reply with a number.")


def _range_error(question: Question) -> AnswerError:
    return _constraint(question, range_hint(question))


def _in_range(question: Question, value: float) -> bool:
    low, high = question.minimum, question.maximum
    return (low is None or value >= low) and (high is None or value <= high)


def _number(question: Question, raw: str) -> Answer | AnswerError:
    value = _read_number(raw)
    if value is None:
        return AnswerError(Text("Please reply with a number."))
    if isinstance(value, float) and not question.decimal:
        return AnswerError(Text("Please reply with a whole number."))
    return Answer(value) if _in_range(question, value) else _range_error(question)


def _rating(question: Question, raw: str) -> Answer | AnswerError:
    value = _read_number(raw)
    numbers = dict(choice_numbering(question))
    if isinstance(value, int) and value in numbers:
        picked = numbers[value]
        return Answer(None, declined=True) if picked == DECLINED else Answer(int(picked))
    return _range_error(question)


def _text(question: Question, raw: str) -> Answer | AnswerError:
    text = unicodedata.normalize("NFC", raw).strip()
    limit = question.text_limit()
    if len(text) > limit:
        return _constraint(
            question,
            Text.plural_of(
                "Please keep your answer to {n} character or fewer.",
                "Please keep your answer to {n} characters or fewer.",
                limit,
            ),
        )
    return Answer(text)


def _constraint(question: Question, message: Text) -> AnswerError:
    """The coordinator's own constraint message wins over ours when the form has one."""
    return AnswerError(question.constraint_message or message)
