"""The survey model: what a coordinator defines and what every channel, the engine and the results share.

Everything is a frozen dataclass so a loaded survey can be cached and shared between conversations.
Texts are per-language `Content`; answers travel as compact ASCII values (choice values go into Telegram
`callback_data`), never as labels. `Survey.create` is the only door that checks a definition, and it
reports every problem with a path into the document (`questions[3].choices[1].label.hy`) so the YAML
and XLSForm loaders can point at the exact place to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeAlias

from channels.i18n import LANGUAGES, render
from channels.message import Content, Renderable, Text
from surveys.logic import ORDERING, Comparison, Condition, Not, Selected

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
"""Question names: XLSForm-compatible identifiers, short enough to sit in callback data with a value."""
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
CHOICE_VALUE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,19}")
"""Choice values travel in Telegram callback_data (64 bytes); starting with a letter or digit keeps
`DECLINED` (which starts with `_`) from ever colliding with a real option."""
DECLINED = "_declined"
"""The value of the "prefer not to answer" option in numbering and callback data."""
DEFAULT_MAX_LENGTH = 300
MAX_TEXT_LENGTH = 1000
MAX_RATING_POINTS = 11
"""A rating scale has at most 11 points (0-10): longer scales do not fit an SMS or a keyboard."""

Number: TypeAlias = int | float
AnswerValue: TypeAlias = str | tuple[str, ...] | int | float | None
"""Single choice and yes/no: the option value; multiple choice: the chosen values in option order;
rating and integer: int; decimal: float; text: the trimmed text; None: no answer (declined, skipped)."""


class QuestionKind(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    RATING = "rating"
    YES_NO = "yes_no"
    NUMBER = "number"
    TEXT = "text"
    NOTE = "note"


CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE, QuestionKind.YES_NO})
NUMERIC_KINDS = frozenset({QuestionKind.NUMBER, QuestionKind.RATING})


@dataclass(frozen=True)
class Option:
    """One answer to pick: `value` is what is stored and sent as callback data, `label` what is shown."""

    value: str
    label: Content


@dataclass(frozen=True)
class Question:
    """One question. Bounds mean, by kind: the allowed number (number), the scale (rating, both
    required), how many options may be picked (multiple choice). `max_length` limits text answers.
    `relevant` decides whether the question is asked at all (see `surveys.logic.is_relevant`)."""

    name: str
    kind: QuestionKind
    label: Content
    hint: Content | None = None
    choices: tuple[Option, ...] = ()
    required: bool = True
    minimum: Number | None = None
    maximum: Number | None = None
    max_length: int | None = None
    decimal: bool = False
    relevant: Condition | None = None
    constraint_message: Content | None = None
    prefer_not_to_answer: bool = False

    def option(self, value: str) -> Option | None:
        return next((option for option in self.choices if option.value == value), None)

    def option_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.choices)

    def text_limit(self) -> int:
        """The longest text answer accepted (`max_length`, or the default of 300 characters)."""
        return self.max_length or DEFAULT_MAX_LENGTH


@dataclass(frozen=True)
class Answer:
    """A parsed answer. `declined` marks "prefer not to answer", which is a substantive answer for the
    results; `Answer(None)` is an optional question left without answer."""

    value: AnswerValue
    declined: bool = False


@dataclass(frozen=True)
class SurveySettings:
    """`fallback_language`: the declared language shown where another one has no text (None: every
    language must have every text). `version`: the coordinator's label for this revision."""

    fallback_language: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class Problem:
    """One problem at `path`; `text` is catalog text (rendered in the reader's language), `message` its
    English form for the CLI, logs and `str()`."""

    path: str
    text: Renderable

    @property
    def message(self) -> str:
        return render(self.text, "en")

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SurveyDefinitionError(ValueError):
    """A definition that `Survey.create` refused; `problems` lists every one found, not only the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class Survey:
    """A checked survey: build it with `Survey.create` (loaders do), never half-filled by hand."""

    code: str
    title: Content
    languages: tuple[str, ...]
    base_language: str
    questions: tuple[Question, ...]
    description: Content | None = None
    settings: SurveySettings = field(default_factory=SurveySettings)

    @classmethod
    def create(
        cls,
        *,
        code: str,
        title: Content,
        languages: Sequence[str],
        base_language: str,
        questions: Sequence[Question],
        description: Content | None = None,
        settings: SurveySettings | None = None,
    ) -> Survey:
        """Check the whole definition and build it; raise `SurveyDefinitionError` with all problems.

        Every `Content` gets the survey's declared fallback, so rendering follows one rule everywhere.
        """
        settings = settings or SurveySettings()
        fallback = settings.fallback_language
        survey = cls(
            code=code,
            title=_with_fallback(title, fallback),
            languages=tuple(languages),
            base_language=base_language,
            questions=tuple(_question_with_fallback(question, fallback) for question in questions),
            description=_with_fallback(description, fallback) if description else None,
            settings=settings,
        )
        if problems := _survey_problems(survey):
            raise SurveyDefinitionError(problems)
        return survey

    def question(self, name: str) -> Question:
        for question in self.questions:
            if question.name == name:
                return question
        raise KeyError(name)

    def contents(self) -> Iterator[tuple[str, Content]]:
        """Every text of the survey with its path, for translation checks and exports."""
        yield "title", self.title
        if self.description:
            yield "description", self.description
        for index, question in enumerate(self.questions):
            yield from _question_contents(f"questions[{index}]", question)


def yes_no_options(languages: Iterable[str]) -> tuple[Option, Option]:
    """The default yes/no options (GLOSSARY terms 47/48, formal forms), in the survey's languages."""
    wanted = set(languages)
    yes = {"ka": "დიახ", "az": "Bəli", "hy": "Այո", "ru": "Да", "en": "Yes"}
    no = {"ka": "არა", "az": "Xeyr", "hy": "Ոչ", "ru": "Нет", "en": "No"}
    return (
        Option("yes", Content({lang: text for lang, text in yes.items() if lang in wanted})),
        Option("no", Content({lang: text for lang, text in no.items() if lang in wanted})),
    )


def _question_contents(path: str, question: Question) -> Iterator[tuple[str, Content]]:
    yield f"{path}.label", question.label
    if question.hint:
        yield f"{path}.hint", question.hint
    for index, option in enumerate(question.choices):
        yield f"{path}.choices[{index}].label", option.label
    if question.constraint_message:
        yield f"{path}.constraint_message", question.constraint_message


def _with_fallback(content: Content, fallback: str | None) -> Content:
    return Content(dict(content.translations), fallback)


def _question_with_fallback(question: Question, fallback: str | None) -> Question:
    def opt(content: Content | None) -> Content | None:
        return _with_fallback(content, fallback) if content else None

    return replace(
        question,
        label=_with_fallback(question.label, fallback),
        hint=opt(question.hint),
        constraint_message=opt(question.constraint_message),
        choices=tuple(replace(o, label=_with_fallback(o.label, fallback)) for o in question.choices),
    )


def _survey_problems(survey: Survey) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: str, message: Renderable) -> None:
        problems.append(Problem(path, message))

    if not CODE_PATTERN.fullmatch(survey.code):
        add("code", Text.of("use 1-40 letters, digits, '_' or '-', starting with a letter or digit"))
    languages = survey.languages
    if not languages:
        add("languages", Text.of("name at least one language"))
    for index, lang in enumerate(languages):
        if lang not in LANGUAGES:
            add(
                f"languages[{index}]",
                Text.of("'{value}' is not one of {choices}", value=lang, choices=", ".join(LANGUAGES)),
            )
        elif lang in languages[:index]:
            add(f"languages[{index}]", Text.of("'{value}' is listed twice", value=lang))
    if survey.base_language not in languages:
        add("base_language", _not_a_survey_language(survey.base_language))
    fallback = survey.settings.fallback_language
    if fallback is not None and fallback not in languages:
        add("settings.fallback_language", _not_a_survey_language(fallback))
    earlier: dict[str, Question] = {}
    all_names = {question.name for question in survey.questions}
    for index, question in enumerate(survey.questions):
        path = f"questions[{index}]"
        if question.name in earlier:
            add(f"{path}.name", Text.of("'{value}' is already the name of a question", value=question.name))
        problems.extend(_question_problems(path, question))
        if question.relevant is not None:
            for node in _walk(question.relevant):
                if message := _reference_problem(node, earlier, all_names):
                    add(f"{path}.relevant", message)
        earlier.setdefault(question.name, question)
    for path, content in survey.contents():
        problems.extend(_content_problems(path, content, languages, fallback))
    return problems


def _question_problems(path: str, question: Question) -> list[Problem]:
    problems: list[Problem] = []

    def problem(where: str, message: Renderable) -> None:
        problems.append(Problem(f"{path}.{where}", message))

    kind, low, high = question.kind, question.minimum, question.maximum
    if not NAME_PATTERN.fullmatch(question.name):
        problem("name", Text.of("use 1-40 letters, digits or '_', not starting with a digit"))
    values = question.option_values()
    for index, value in enumerate(values):
        if not CHOICE_VALUE_PATTERN.fullmatch(value):
            problem(
                f"choices[{index}].value",
                Text.of("'{value}': use 1-20 of a-z 0-9 _ -, starting with a-z or 0-9", value=value),
            )
        elif value in values[:index]:
            problem(
                f"choices[{index}].value",
                Text.of("'{value}' is already the value of another option", value=value),
            )
    if kind in CHOICE_KINDS:
        count = len(question.choices)
        if kind is QuestionKind.YES_NO and count != 2:
            problem("choices", Text.of("a yes/no question has exactly two options: yes first, then no"))
        elif not 2 <= count <= 99:
            problem("choices", Text.of("give between 2 and 99 options"))
    elif question.choices:
        problem("choices", Text.of("a {kind} question has no options", kind=str(kind)))
    if kind is QuestionKind.RATING:
        if not (isinstance(low, int) and isinstance(high, int) and 0 <= low < high):
            problem("min", Text.of("a rating needs a whole-number scale, e.g. min 1 and max 5"))
        elif high - low + 1 > MAX_RATING_POINTS:
            problem("max", Text.of("a rating scale has at most {n} points", n=MAX_RATING_POINTS))
    elif kind is QuestionKind.NUMBER:
        for where, bound in (("min", low), ("max", high)):
            if bound is not None and not question.decimal and not float(bound).is_integer():
                problem(where, Text.of("a whole-number question needs whole-number bounds"))
        if low is not None and high is not None and low > high:
            problem("max", Text.of("max is smaller than min"))
    elif kind is QuestionKind.MULTIPLE_CHOICE:
        for where, bound in (("min", low), ("max", high)):
            if bound is not None and not (isinstance(bound, int) and 1 <= bound <= len(question.choices)):
                problem(
                    where,
                    Text.of("the number of options to pick must be between 1 and the number of options"),
                )
        if isinstance(low, int) and isinstance(high, int) and low > high:
            problem("max", Text.of("max is smaller than min"))
    elif low is not None or high is not None:
        problem("min", Text.of("a {kind} question has no min or max", kind=str(kind)))
    if question.max_length is not None and (
        kind is not QuestionKind.TEXT or not 1 <= question.max_length <= MAX_TEXT_LENGTH
    ):
        problem(
            "max_length", Text.of("only text questions have a max_length, from 1 to {n}", n=MAX_TEXT_LENGTH)
        )
    if question.decimal and kind is not QuestionKind.NUMBER:
        problem("decimal", Text.of("only number questions can allow decimals"))
    if kind is QuestionKind.NOTE:
        if question.required:
            problem("required", Text.of("a note takes no answer, so it cannot be required"))
        if question.prefer_not_to_answer:
            problem("prefer_not_to_answer", Text.of("a note takes no answer"))
        if question.constraint_message:
            problem("constraint_message", Text.of("a note takes no answer"))
    return problems


def _walk(condition: Condition) -> Iterator[Condition]:
    yield condition
    children = (condition.operand,) if isinstance(condition, Not) else getattr(condition, "operands", ())
    for child in children:
        yield from _walk(child)


def _reference_problem(node: Condition, earlier: Mapping[str, Question], all_names: set[str]) -> Text | None:
    """Skip logic may only look back: at questions asked before, that take an answer of the right kind."""
    if not isinstance(node, Comparison | Selected):
        return None
    ref = f"${{{node.name}}}"
    target = earlier.get(node.name)
    if target is None:
        if node.name in all_names:
            return Text.of("{ref} is not asked before this question", ref=ref)
        return Text.of("{ref} is not a question", ref=ref)
    if target.kind is QuestionKind.NOTE:
        return Text.of("{ref} is a note and has no answer", ref=ref)
    if isinstance(node, Selected):
        if target.kind not in CHOICE_KINDS:
            return Text.of(
                "selected() needs a choice question, and {ref} is {kind}", ref=ref, kind=str(target.kind)
            )
        return None if target.option(node.value) else _not_an_option(node.value, ref)
    if node.operator in ORDERING and target.kind not in NUMERIC_KINDS:
        return Text.of(
            "{ref} is {kind}; only numbers and ratings compare with <, <=, >, >=",
            ref=ref,
            kind=str(target.kind),
        )
    if target.kind is QuestionKind.MULTIPLE_CHOICE:
        return Text.of("{ref} is multiple choice: use selected({ref}, 'value')", ref=ref)
    if target.kind in CHOICE_KINDS and target.option(str(node.value)) is None:
        return _not_an_option(node.value, ref)
    if target.kind in NUMERIC_KINDS and isinstance(node.value, str):
        return Text.of(
            "{ref} is a number: compare it with a number, not '{value}'", ref=ref, value=node.value
        )
    return None


def _not_a_survey_language(lang: str) -> Text:
    return Text.of("'{value}' is not a language of this survey", value=lang)


def _not_an_option(value: object, ref: str) -> Text:
    return Text.of("'{value}' is not an option of {ref}", value=value, ref=ref)


_HY_FAKE_FULL_STOP = re.compile(r":(?=\s|$)")
_AZ_WRONG_SCHWA = re.compile("[äÄәӘ]")


def _content_problems(
    path: str, content: Content, languages: Sequence[str], fallback: str | None
) -> list[Problem]:
    """Every survey language needs the text (or the declared fallback has it); typography per GLOSSARY."""
    problems: list[Problem] = []
    texts = content.translations
    has_fallback = fallback is not None and bool(texts.get(fallback, "").strip())
    for lang in texts:
        if lang not in languages:
            problems.append(Problem(f"{path}.{lang}", _not_a_survey_language(lang)))
    for lang in languages:
        text = texts.get(lang, "")
        if not text.strip():
            if not has_fallback:
                problems.append(Problem(f"{path}.{lang}", Text.of("the text is missing")))
        elif lang == "hy" and "?" in text:
            problems.append(
                Problem(f"{path}.hy", Text.of("Armenian asks with ՞ on the stressed vowel, not '?'"))
            )
        elif lang == "hy" and _HY_FAKE_FULL_STOP.search(text):
            problems.append(Problem(f"{path}.hy", Text.of("the Armenian full stop is ։ (U+0589), not ':'")))
        elif lang == "az" and _AZ_WRONG_SCHWA.search(text):
            problems.append(Problem(f"{path}.az", Text.of("write ə (U+0259), not ä or the Cyrillic ә")))
    return problems
