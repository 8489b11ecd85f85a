"""Surveys as YAML files that coordinators write and review (the format is described in FORMAT.md).

The loader reads the whole document before judging it and reports every problem with its path inside
the document (`questions[3].choices[1].label.hy`, indexes from 0), so one round of fixes is enough.
Structure is checked here; meaning (languages, names, skip logic) by `Survey.create`, whose paths are
the same as the document's. `dump_survey_yaml` writes the same format back, and loading it again
gives an equal `Survey`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from channels.message import Content, Joined, Renderable, Text
from storage import safe_yaml
from surveys.definition import (
    Option,
    Problem,
    Question,
    QuestionKind,
    Survey,
    SurveyDefinitionError,
    SurveySettings,
    yes_no_options,
)
from surveys.logic import ExpressionError, format_condition, parse_condition

_SURVEY_KEYS = {"code", "title", "description", "languages", "base_language", "settings", "questions"}
_SETTINGS_KEYS = {"fallback_language", "version", "prefer_not_to_answer"}
_QUESTION_KEYS = {
    "name", "kind", "label", "hint", "choices", "required", "min", "max", "max_length", "decimal",
    "relevant", "constraint_message", "prefer_not_to_answer",
}  # fmt: skip


class SurveyFormatError(SurveyDefinitionError):
    """A YAML survey that cannot be loaded; `problems` holds every problem with its document path."""


class _Reader:
    """Reads typed values out of the parsed document, noting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: Renderable) -> None:
        self.problems.append(Problem(path, message))

    def mapping(self, value: object, path: str, allowed: set[str], needed: set[str]) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, Text.of("expected a mapping of keys to values"))
            return {}
        for key in value:
            if key not in allowed:
                self.fail(
                    f"{path}.{key}".lstrip("."),
                    Text.of("unknown key; known keys: {keys}", keys=", ".join(sorted(allowed))),
                )
        for key in sorted(needed - set(value)):
            self.fail(f"{path}.{key}".lstrip("."), Text.of("this key is required"))
        return dict(value)

    def text(self, value: object, path: str) -> str:
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.fail(path, Text.of("expected a non-empty text"))
        return ""

    def flag(self, value: object, path: str, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.fail(path, Text.of("expected true or false"))
        return default

    def number(self, value: object, path: str) -> int | float | None:
        if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
            return value
        self.fail(path, Text.of("expected a number"))
        return None

    def content(self, value: object, path: str) -> Content:
        if not isinstance(value, Mapping) or not value:
            self.fail(path, Text.of("expected texts by language, e.g. {ka: ..., en: ...}"))
            return Content({})
        texts: dict[str, str] = {}
        for lang, text in value.items():
            if isinstance(text, str):
                texts[str(lang)] = text.strip()
            else:
                self.fail(
                    f"{path}.{lang}",
                    Text.of("expected a text (in {ka: ..., en: ...} put texts with ', ' in quotes)"),
                )
        return Content(texts)

    def choice_value(self, value: object, path: str) -> str:
        if isinstance(value, bool):
            self.fail(
                path, Text.of("YAML reads yes/no/on/off as true/false: put the value in quotes ('yes')")
            )
            return ""
        if isinstance(value, int | str):
            return str(value)
        self.fail(path, Text.of("expected a short value such as roads or 1"))
        return ""


def load_survey_yaml(source: str | os.PathLike[str]) -> Survey:
    """Load a survey from YAML text (a `str`) or from a file (a path object).

    Raises `SurveyFormatError` listing every problem found.
    """
    text = Path(source).read_text(encoding="utf-8") if isinstance(source, os.PathLike) else source
    try:
        data = safe_yaml.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        why = (
            Text.of(
                "not valid YAML: line {line}, column {column}: {detail}",
                line=mark.line + 1,
                column=mark.column + 1,
                detail=str(error),
            )
            if mark
            else Text.of("not valid YAML: {detail}", detail=str(error))
        )
        raise SurveyFormatError([Problem("", why)]) from error
    return survey_from_data(data)


def survey_from_data(data: object) -> Survey:
    """Build a survey from an already parsed document (what `yaml.safe_load` returns)."""
    reader = _Reader()
    doc = reader.mapping(data, "", _SURVEY_KEYS, {"code", "title", "languages", "questions"})
    raw_settings = reader.mapping(doc.get("settings") or {}, "settings", _SETTINGS_KEYS, set())
    languages_value = doc.get("languages")
    languages = [str(lang) for lang in languages_value] if isinstance(languages_value, list) else []
    if "languages" in doc and not languages:
        reader.fail("languages", Text.of("expected a list of language codes, e.g. [ka, az, hy, ru, en]"))
    default_pnta = reader.flag(
        raw_settings.get("prefer_not_to_answer"), "settings.prefer_not_to_answer", False
    )
    fallback, version = raw_settings.get("fallback_language"), raw_settings.get("version")
    settings = SurveySettings(
        fallback_language=reader.text(fallback, "settings.fallback_language")
        if fallback is not None
        else None,
        version=str(version) if version is not None else None,
    )
    raw_questions = doc.get("questions")
    if "questions" in doc and not (isinstance(raw_questions, list) and raw_questions):
        reader.fail("questions", Text.of("expected a list of questions"))
    questions = [
        _question(reader, raw, f"questions[{index}]", languages, default_pnta)
        for index, raw in enumerate(raw_questions if isinstance(raw_questions, list) else [])
    ]
    title = reader.content(doc.get("title"), "title") if "title" in doc else Content({})
    description = reader.content(doc["description"], "description") if "description" in doc else None
    code = reader.text(doc.get("code"), "code") if "code" in doc else ""
    base = doc.get("base_language", languages[0] if languages else "")
    problems = list(reader.problems)
    if any(not problem.path for problem in problems):
        raise SurveyFormatError(problems)
    survey: Survey | None = None
    try:
        survey = Survey.create(
            code=code,
            title=title,
            description=description,
            languages=languages,
            base_language=str(base),
            questions=questions,
            settings=settings,
        )
    except SurveyDefinitionError as error:
        # Meaning problems come too, except in parts that did not read: those would only repeat
        # their problem in other words.
        unread = {_scope(problem.path) for problem in problems}
        problems.extend(problem for problem in error.problems if _scope(problem.path) not in unread)
    if problems or survey is None:
        raise SurveyFormatError(problems)
    return survey


def _scope(path: str) -> str:
    """The part of the document a problem belongs to: one question, or one top-level key."""
    match = re.match(r"questions\[\d+\]|[^.\[]*", path)
    return match.group() if match else path


def _question(reader: _Reader, raw: object, path: str, languages: list[str], default_pnta: bool) -> Question:
    item = reader.mapping(raw, path, _QUESTION_KEYS, {"name", "kind", "label"})
    raw_choices = item["choices"] if isinstance(item.get("choices"), list) else []
    try:
        kind = QuestionKind(str(item.get("kind")))
    except ValueError:
        if "kind" in item:
            reader.fail(f"{path}.kind", Text.of("expected one of {choices}", choices=", ".join(QuestionKind)))
        kind = QuestionKind.TEXT
    choices = tuple(
        Option(
            reader.choice_value(entry.get("value"), f"{path}.choices[{index}].value"),
            reader.content(entry.get("label"), f"{path}.choices[{index}].label"),
        )
        for index, raw_choice in enumerate(raw_choices)
        if (
            entry := reader.mapping(
                raw_choice, f"{path}.choices[{index}]", {"value", "label"}, {"value", "label"}
            )
        )
    )
    if "choices" in item and not isinstance(item["choices"], list):
        reader.fail(f"{path}.choices", Text.of("expected a list of options"))
    if kind is QuestionKind.YES_NO and "choices" not in item:
        choices = yes_no_options(languages)
    relevant = None
    if (text := item.get("relevant")) is not None:
        try:
            relevant = parse_condition(reader.text(text, f"{path}.relevant"))
        except ExpressionError as error:
            reader.fail(
                f"{path}.relevant",
                Joined([error.text, Text.of("(supported: = != < <= > >=, selected(), and, or, not)")], " "),
            )
    max_length = item.get("max_length")
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int)):
        reader.fail(f"{path}.max_length", Text.of("expected a whole number of characters"))
        max_length = None
    is_note = kind is QuestionKind.NOTE
    return Question(
        name=reader.text(item.get("name"), f"{path}.name") if "name" in item else "",
        kind=kind,
        label=reader.content(item.get("label"), f"{path}.label") if "label" in item else Content({}),
        hint=reader.content(item["hint"], f"{path}.hint") if "hint" in item else None,
        choices=choices,
        required=reader.flag(item.get("required"), f"{path}.required", not is_note),
        minimum=reader.number(item.get("min"), f"{path}.min"),
        maximum=reader.number(item.get("max"), f"{path}.max"),
        max_length=max_length,
        decimal=reader.flag(item.get("decimal"), f"{path}.decimal", False),
        relevant=relevant,
        constraint_message=(
            reader.content(item["constraint_message"], f"{path}.constraint_message")
            if "constraint_message" in item
            else None
        ),
        prefer_not_to_answer=reader.flag(
            item.get("prefer_not_to_answer"), f"{path}.prefer_not_to_answer", default_pnta and not is_note
        ),
    )


def survey_to_data(survey: Survey) -> dict[str, Any]:
    """The document `survey_from_data` reads back to an equal survey (defaults left out)."""
    data: dict[str, Any] = {"code": survey.code, "title": dict(survey.title.translations)}
    if survey.description:
        data["description"] = dict(survey.description.translations)
    data["languages"] = list(survey.languages)
    data["base_language"] = survey.base_language
    settings = {
        key: value
        for key, value in (
            ("fallback_language", survey.settings.fallback_language),
            ("version", survey.settings.version),
        )
        if value is not None
    }
    if settings:
        data["settings"] = settings
    data["questions"] = [_question_data(question) for question in survey.questions]
    return data


def _question_data(question: Question) -> dict[str, Any]:
    item: dict[str, Any] = {"name": question.name, "kind": str(question.kind)}
    item["label"] = dict(question.label.translations)
    if question.hint:
        item["hint"] = dict(question.hint.translations)
    if question.choices:
        item["choices"] = [{"value": o.value, "label": dict(o.label.translations)} for o in question.choices]
    item["required"] = question.required
    optional = {
        "min": question.minimum,
        "max": question.maximum,
        "max_length": question.max_length,
        "decimal": question.decimal or None,
        "relevant": format_condition(question.relevant) if question.relevant else None,
        "constraint_message": (
            dict(question.constraint_message.translations) if question.constraint_message else None
        ),
        "prefer_not_to_answer": question.prefer_not_to_answer or None,
    }
    item.update({key: value for key, value in optional.items() if value is not None})
    return item


def dump_survey_yaml(survey: Survey) -> str:
    return yaml.safe_dump(survey_to_data(survey), allow_unicode=True, sort_keys=False, width=110)
