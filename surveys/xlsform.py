"""Import an XLSForm workbook (ODK, KoboToolbox) as a `Survey`.

Coordinators often design a questionnaire once in Kobo and run it both with interviewers and through
the bot. The import accepts the part of XLSForm a chat can ask, and refuses everything else with every
problem at once, each naming the sheet, the row as Excel shows it and the column; on any problem
nothing is returned. Decisions:

* The cells are read with openpyxl, not with pyxform's reader: that one keeps neither column letters
  nor empty header positions, and pyxform's converter stops at the first error without naming the
  column. pyxform is still used where it knows better than we would: its alias tables (spellings of
  `select_one`, of yes/no in `required`, the metadata types) and, once our own checks pass, its full
  conversion as a conformance gate, so what the bot accepts also deploys in ODK and Kobo (it catches
  rules we do not repeat, such as reserved names like `meta`).
* Groups are flattened (a chat has no screens): a group's `relevant` is added to each question in it
  and its label is dropped. Repeat groups are refused. Metadata rows (`start`, `end`, `today`,
  `deviceid`, `audit`, ...) are skipped: the bot records such facts itself.
* Ratings are the XLSForm `range` type with whole-number `parameters` (`start=1 end=5 step=1`).
  `appearance: likert` only lays out a `select_one` and keeps it a labelled single choice.
* A `select_one` whose list has exactly the two names yes/no (or y/n, true/false, 1/0) is a yes/no
  question, so SMS accepts the yes/no words of every language for it.
* XLSForm cannot translate `form_title`; it titles the survey in every language unless the caller
  passes `title`. A plain `label` column belongs to the settings' `default_language`.
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pyxform import aliases
from pyxform import constants as xls
from pyxform.errors import PyXFormError
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2xform import convert

from channels.i18n import LANGUAGES, render
from channels.message import Content, Joined, Renderable, Text
from surveys.definition import Option, Problem, Question, QuestionKind, Survey, SurveyDefinitionError
from surveys.logic import And, Condition, ExpressionError, Operator, Subject, parse_bounds, parse_condition

_METADATA_TYPES = {name for name, spec in QUESTION_TYPE_DICT.items() if "jr:preload" in spec.get("bind", {})}
_METADATA_TYPES.add("audit")
_SIMPLE_TYPES = {
    **dict.fromkeys(("integer", "int", "decimal"), QuestionKind.NUMBER),
    **dict.fromkeys(("text", "string"), QuestionKind.TEXT),
    "note": QuestionKind.NOTE,
}
_SELECTS = {alias: kind for alias, kind in aliases.select.items() if alias not in aliases.select_from_file}
_UNSUPPORTED_COLUMNS = ("calculation", "choice_filter", "repeat_count", "default", "trigger", "read_only",
                        "readonly", "image", "audio", "video", "big-image", "media")  # fmt: skip
_TRANSLATABLE = ("label", "hint", "constraint_message")
_LANGUAGE_NAMES = {"georgian": "ka", "azerbaijani": "az", "armenian": "hy", "russian": "ru", "english": "en"}
_YES_NO_PAIRS = (("yes", "no"), ("y", "n"), ("true", "false"), ("1", "0"))
_YES_VALUES = {key.lower() for key, value in aliases.yes_no.items() if value} | {"1"}
_NO_VALUES = {key.lower() for key, value in aliases.yes_no.items() if not value} | {"0"}


@dataclass(frozen=True)
class CellProblem:
    sheet: str
    row: int | None
    column: str | None
    letter: str | None
    text: Renderable
    """What is wrong, as catalog text: the console renders it in the staff member's language."""

    @property
    def message(self) -> str:
        """The problem in English (CLI, logs, `str()`)."""
        return render(self.text, "en")

    def __str__(self) -> str:
        where = [f"sheet {self.sheet!r}"] if self.sheet else []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(
                f"column {self.letter} {self.column!r}" if self.letter else f"column {self.column!r}"
            )
        return f"{', '.join(where)}: {self.message}" if where else self.message


class XLSFormError(ValueError):
    """A workbook that cannot be imported; `problems` lists every problem found with its cell."""

    def __init__(self, problems: list[CellProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass
class _Sheet:
    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]

    def letter(self, header: str) -> str | None:
        return get_column_letter(self.headers.index(header) + 1) if header in self.headers else None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _read_sheets(data: bytes) -> dict[str, _Sheet]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets: dict[str, _Sheet] = {}
        for worksheet in workbook.worksheets:
            rows = list(worksheet.iter_rows(values_only=True))
            headers = [_header(_cell_text(value)) for value in (rows[0] if rows else ())]
            body = []
            for number, row in enumerate(rows[1:], start=2):
                cells = {h: _cell_text(v) for h, v in zip(headers, row, strict=False) if h and _cell_text(v)}
                if cells:
                    body.append((number, cells))
            sheets[worksheet.title.strip().lower()] = _Sheet(worksheet.title, headers, body)
        return sheets
    finally:
        workbook.close()


def _header(text: str) -> str:
    base, separator, suffix = text.partition("::")
    return f"{base.strip().lower()}{separator}{suffix.strip()}"


def _language(suffix: str) -> str | None:
    """`Georgian (ka)`, `ka`, `Georgian` -> `ka`; None for a language the bot does not speak."""
    match = re.fullmatch(r".*?\(\s*([A-Za-z-]+)\s*\)", suffix)
    code = (match.group(1) if match else suffix).strip().lower()
    code = _LANGUAGE_NAMES.get(code, code)
    return code if code in LANGUAGES else None


def load_survey_xlsform(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    code: str | None = None,
    title: Content | None = None,
) -> Survey:
    """Import a workbook from a path, its bytes or an open binary file; raise `XLSFormError`.

    `code` is used when the settings sheet has no `form_id`; `title` replaces `form_title`.
    """
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            data = handle.read()
        code = code or os.path.splitext(os.path.basename(source))[0]
    else:
        data = source.read()
    _refuse_zip_bombs(data)
    try:
        sheets = _read_sheets(data)
    except Exception as error:  # openpyxl raises zipfile, KeyError or XML errors for a non-workbook
        raise XLSFormError([CellProblem("", None, None, None, _not_a_workbook(error))]) from error
    survey = _Importer(sheets).build(code, title)
    _conformance_gate(data)
    return survey


# A real XLSForm unpacks to well under a megabyte; text XML compresses about 10:1.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200


def _refuse_zip_bombs(data: bytes) -> None:
    """Read the zip directory (not the contents) and refuse a workbook that would unpack to a bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError) as error:
        # NotImplementedError: a directory asking for a zip version or method this Python cannot read
        raise XLSFormError([CellProblem("", None, None, None, _not_a_workbook(error))]) from error
    unpacked = sum(entry.file_size for entry in entries)
    packed = max(sum(entry.compress_size for entry in entries), 1)
    if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_COMPRESSION_RATIO:
        message = Text.of(
            "not a survey workbook: it would unpack to {size} MB ({ratio} times its size); "
            "save the form again from a spreadsheet program",
            size=unpacked // (1024 * 1024),
            ratio=round(unpacked / packed),
        )
        raise XLSFormError([CellProblem("", None, None, None, message)])


def _conformance_gate(data: bytes) -> None:
    """Let pyxform convert the form too: what we accept must also be a valid XLSForm."""
    try:
        convert(data, file_type=".xlsx", warnings=[])
    except Exception as error:  # PyXFormError, or a crash inside pyxform: either way ODK would refuse it
        text = str(error) if isinstance(error, PyXFormError) else f"the conversion failed: {error!r}"
        row, sheet = re.search(r"\[row : (\d+)\]", text), re.search(r"On the '(\w+)' sheet", text)
        column = re.search(r"the '([\w:]+)' value", text)
        where = (sheet.group(1) if sheet else "survey", int(row.group(1)) if row else None)
        problem = CellProblem(
            *where,
            column.group(1) if column else None,
            None,
            Text.of("ODK (pyxform) does not accept the form: {detail}", detail=text),
        )
        raise XLSFormError([problem]) from error


class _Importer:
    """One import: reads the sheets, collects problems, remembers rows to point back at cells."""

    def __init__(self, sheets: Mapping[str, _Sheet]) -> None:
        self.sheets = sheets
        self.problems: list[CellProblem] = []
        self.languages: list[str] = []
        self.columns: dict[str, dict[str, str]] = {}
        self.lists: dict[str, list[tuple[int, Option]]] = {}
        self.rows: list[tuple[int, str]] = []  # per question: its row and its list name

    def fail(self, sheet: _Sheet | None, row: int | None, column: str | None, message: Renderable) -> None:
        letter = sheet.letter(column) if sheet and column else None
        self.problems.append(CellProblem(sheet.name if sheet else "survey", row, column, letter, message))

    def build(self, code: str | None, title: Content | None) -> Survey:
        survey = self.sheets.get("survey")
        if survey is None:
            raise XLSFormError(
                [CellProblem("survey", None, None, None, Text.of("the workbook has no 'survey' sheet"))]
            )
        settings = self.sheets.get("settings")
        values = settings.rows[0][1] if settings and settings.rows else {}
        default = _language(values["default_language"]) if values.get("default_language") else None
        if values.get("default_language") and default is None:
            self.fail(
                settings,
                2,
                "default_language",
                Text.of(
                    "'{value}' is not one of {choices}",
                    value=values["default_language"],
                    choices=", ".join(LANGUAGES),
                ),
            )
        self.columns = self.language_columns(survey, default)
        self.languages = list(self.columns.get("label", {}))
        if not self.languages:
            self.fail(
                survey, 1, None, Text.of("add a label column per language, e.g. 'label::Georgian (ka)'")
            )
        self.read_choices(default)
        questions = list(self.read_questions(survey))
        code = values.get("form_id") or code or ""
        if self.problems:
            raise XLSFormError(self.problems)
        try:
            return Survey.create(
                code=code,
                title=title or Content(dict.fromkeys(self.languages, values.get("form_title") or code)),
                languages=self.languages,
                base_language=default if default in self.languages else self.languages[0],
                questions=questions,
            )
        except SurveyDefinitionError as error:
            raise XLSFormError([self.locate(problem) for problem in error.problems]) from error

    def language_columns(self, sheet: _Sheet, default: str | None) -> dict[str, dict[str, str]]:
        """For each translatable column, the header that holds each language."""
        found: dict[str, dict[str, str]] = {}
        for header in sheet.headers:
            base, separator, suffix = header.partition("::")
            if base not in _TRANSLATABLE:
                continue
            lang = _language(suffix) if separator else default
            if lang is None:
                example = f"{base}::Georgian (ka)"
                why = (
                    Text.of(
                        "'{value}' is not one of {choices}; name it e.g. '{example}' or set default_language",
                        value=suffix,
                        choices=", ".join(LANGUAGES),
                        example=example,
                    )
                    if separator
                    else Text.of(
                        "no language; name it e.g. '{example}' or set default_language", example=example
                    )
                )
                self.fail(sheet, 1, header, why)
            elif lang in found.setdefault(base, {}):
                self.fail(
                    sheet, 1, header, Text.of("a second {column} column for {lang}", column=base, lang=lang)
                )
            else:
                found[base][lang] = header
        return found

    def texts(
        self, sheet: _Sheet, row: int, cells: dict[str, str], columns: dict[str, str]
    ) -> Content | None:
        """The row's text in every language, or None when it has none; a gap is a problem."""
        texts = {lang: cells[header] for lang, header in columns.items() if cells.get(header)}
        if not texts:
            return None
        for lang in self.languages:
            if lang not in texts:
                header = columns.get(lang) or f"{next(iter(columns.values())).partition('::')[0]}::{lang}"
                self.fail(
                    sheet,
                    row,
                    header,
                    Text.of("no text in {lang}, while other languages have one", lang=lang),
                )
        return Content(texts)

    def read_choices(self, default: str | None) -> None:
        sheet = self.sheets.get("choices")
        if sheet is None:
            return
        columns = self.language_columns(sheet, default).get("label", {})
        for lang in sorted(set(columns) - set(self.languages)):
            self.fail(sheet, 1, columns[lang], Text.of("{lang} has no labels on the survey sheet", lang=lang))
        for row, cells in sheet.rows:
            list_name, name = cells.get("list_name") or cells.get("list name"), cells.get("name")
            if not list_name or not name:
                self.fail(
                    sheet,
                    row,
                    "name" if list_name else "list_name",
                    Text.of("a choice needs list_name and name"),
                )
                continue
            label = self.texts(sheet, row, cells, columns)
            if label is None:
                self.fail(
                    sheet, row, next(iter(columns.values()), "label"), Text.of("the choice has no label")
                )
            self.lists.setdefault(list_name, []).append((row, Option(name, label or Content({}))))

    def read_questions(self, sheet: _Sheet) -> Iterator[Question]:
        groups: list[tuple[int, Condition | None]] = []
        for row, cells in sheet.rows:
            for header in (h for h in cells if h.partition("::")[0] in _UNSUPPORTED_COLUMNS):
                self.fail(
                    sheet, row, header, Text.of("the column '{column}' is not supported", column=header)
                )
            relevant = self.condition(sheet, row, cells.get("relevant"))
            words = cells.get("type", "").lower().replace("_", " ").split()
            control = aliases.control.get(" ".join(words[1:]))
            if words[:1] == ["begin"] and control:
                if control != xls.GROUP:
                    self.fail(sheet, row, "type", Text.of("repeat groups are not supported"))
                groups.append((row, relevant))
            elif words[:1] == ["end"] and control:
                if not groups:
                    self.fail(sheet, row, "type", Text.of("'end group' without a 'begin group'"))
                groups = groups[:-1]
            elif " ".join(words) not in _METADATA_TYPES:
                conditions = [c for _, c in groups if c is not None] + ([relevant] if relevant else [])
                combined = And(tuple(conditions)) if len(conditions) > 1 else next(iter(conditions), None)
                if question := self.question(sheet, row, cells, combined):
                    yield question
        for row, _ in groups:
            self.fail(sheet, row, "type", Text.of("this group has no 'end group'"))

    def condition(self, sheet: _Sheet, row: int, text: str | None) -> Condition | None:
        if not text:
            return None
        try:
            return parse_condition(text)
        except ExpressionError as error:
            self.fail(
                sheet,
                row,
                "relevant",
                Joined([error.text, Text.of("(supported: = != < <= > >=, selected(), and, or, not)")], " "),
            )
            return None

    def question(
        self, sheet: _Sheet, row: int, cells: dict[str, str], relevant: Condition | None
    ) -> Question | None:
        name, type_text = cells.get("name", ""), cells.get("type", "")
        if not name:
            self.fail(sheet, row, "name", Text.of("every question needs a name"))
        kind, list_name = self.kind(sheet, row, type_text)
        label = self.texts(sheet, row, cells, self.columns.get("label", {}))
        if label is None:
            self.fail(
                sheet, row, next(iter(self.columns.get("label", {}).values()), "label"), Text.of("no label")
            )
        required = cells.get("required", "").lower()
        if required and required not in _YES_VALUES | _NO_VALUES:
            self.fail(sheet, row, "required", Text.of("'{value}': use yes or no", value=cells["required"]))
        decimal = type_text.lower() == "decimal"
        bounds = _bounds(kind, decimal, cells.get("constraint", ""), cells.get("parameters", ""))
        if not isinstance(bounds, tuple):
            self.fail(sheet, row, "parameters" if kind is QuestionKind.RATING else "constraint", bounds)
        if kind is None or label is None or not isinstance(bounds, tuple):
            return None
        self.rows.append((row, list_name))
        choices = tuple(option for _, option in self.lists.get(list_name, []))
        if kind is QuestionKind.SINGLE_CHOICE and (ordered := _yes_no_order(choices)):
            kind, choices = QuestionKind.YES_NO, ordered
        return Question(
            name=name,
            kind=kind,
            label=label,
            hint=self.texts(sheet, row, cells, self.columns.get("hint", {})),
            choices=choices,
            required=required in _YES_VALUES and kind is not QuestionKind.NOTE,
            minimum=bounds[0],
            maximum=bounds[1],
            max_length=bounds[2],
            decimal=decimal,
            relevant=relevant,
            constraint_message=self.texts(sheet, row, cells, self.columns.get("constraint_message", {})),
        )

    def kind(self, sheet: _Sheet, row: int, text: str) -> tuple[QuestionKind | None, str]:
        """The question kind and, for a select, its list name."""
        lowered = text.lower()
        if lowered in _SIMPLE_TYPES:
            return _SIMPLE_TYPES[lowered], ""
        if lowered == "range":
            return QuestionKind.RATING, ""
        for alias, target in _SELECTS.items():
            if lowered.startswith(alias + " ") and target in (xls.SELECT_ONE, xls.SELECT_ALL_THAT_APPLY):
                list_name = text[len(alias) :].strip()
                if list_name not in self.lists:
                    self.fail(
                        sheet, row, "type", Text.of("no list '{name}' on the choices sheet", name=list_name)
                    )
                    return None, ""
                multiple = target == xls.SELECT_ALL_THAT_APPLY
                return (QuestionKind.MULTIPLE_CHOICE if multiple else QuestionKind.SINGLE_CHOICE), list_name
        supported = "select_one, select_multiple, integer, decimal, range, text, note, begin/end group"
        self.fail(
            sheet,
            row,
            "type",
            Text.of(
                "the type '{value}' is not supported (supported: {supported})",
                value=text,
                supported=supported,
            ),
        )
        return None, ""

    def locate(self, problem: Problem) -> CellProblem:
        """Map a definition problem (`questions[2].choices[1].label.hy`) back to its cell."""
        match = re.fullmatch(r"questions\[(\d+)\]\.(\w+)(?:\[(\d+)\])?\.?(\w*)\.?(\w*)", problem.path)
        if not match:
            settings = self.sheets.get("settings")
            column = {"code": "form_id", "title": "form_title"}.get(problem.path.split(".")[0])
            sheet = settings if settings and column else self.sheets["survey"]
            return CellProblem(
                sheet.name, 2 if column else None, column, sheet.letter(column or ""), problem.text
            )
        index, field, choice, sub, lang = match.groups()
        row, list_name = self.rows[int(index)]
        if field == "choices" and choice is not None:
            sheet, (choice_row, _) = self.sheets["choices"], self.lists[list_name][int(choice)]
            header = self.columns.get("label", {}).get(lang) if sub == "label" else "name"
            return CellProblem(sheet.name, choice_row, header, sheet.letter(header or ""), problem.text)
        survey = self.sheets["survey"]
        header = {"min": "constraint", "max": "constraint", "max_length": "constraint", "kind": "type"}.get(
            field, field
        )
        if field in _TRANSLATABLE:
            header = self.columns.get(field, {}).get(sub, field)
        return CellProblem(survey.name, row, header, survey.letter(header), problem.text)


def _yes_no_order(choices: tuple[Option, ...]) -> tuple[Option, ...] | None:
    """A two-option yes/no list, yes first; None for any other list."""
    names = sorted(option.value.lower() for option in choices)
    for yes, no in _YES_NO_PAIRS:
        if names == sorted((yes, no)):
            return tuple(sorted(choices, key=lambda option: option.value.lower() != yes))
    return None


_SUBJECTS = {QuestionKind.NUMBER: Subject.VALUE, QuestionKind.TEXT: Subject.LENGTH,
             QuestionKind.MULTIPLE_CHOICE: Subject.COUNT}  # fmt: skip
Bounds = tuple[int | float | None, int | float | None, int | None]


def _bounds(
    kind: QuestionKind | None, decimal: bool, constraint: str, parameters: str
) -> Bounds | Renderable:
    """(min, max, max_length) from `parameters` (range) and `constraint`, or what is wrong with them."""
    low: int | float | None = None
    high: int | float | None = None
    if kind is QuestionKind.RATING:
        params = dict(pair.split("=", 1) for pair in parameters.replace(",", " ").split() if "=" in pair)
        try:
            start, end, step = (
                int(params.get(key, value)) for key, value in (("start", 1), ("end", 10), ("step", 1))
            )
        except ValueError:
            return Text.of("range parameters must be whole numbers, e.g. start=1 end=5 step=1")
        if step != 1 or not 0 <= start < end:
            return Text.of("a rating needs step=1 and 0 <= start < end")
        low, high = start, end
    if not constraint or kind is None:
        return low, high, None
    subject = _SUBJECTS.get(kind)
    if subject is None:
        return Text.of("a {kind} question takes no constraint", kind=str(kind))
    try:
        bounds = parse_bounds(constraint)
    except ExpressionError as error:
        supported = Text.of(
            "(supported: . >= n, string-length(.) <= n, count-selected(.) <= n, joined by 'and')"
        )
        return Joined([error.text, supported], " ")
    whole = subject is not Subject.VALUE or not decimal
    for bound in bounds:
        value, op = bound.value, bound.operator
        if bound.subject is not subject:
            return Text.of(
                "{bound} does not apply to a {kind} question; use {subject}",
                bound=str(bound.subject),
                kind=str(kind),
                subject=str(subject),
            )
        if op in (Operator.EQ, Operator.NE) or (not whole and op in (Operator.LT, Operator.GT)):
            return Text.of("use {operators} in a bound", operators=">=, <=, > or <" if whole else ">= or <=")
        if op is Operator.GT:
            value = math.floor(value) + 1
        elif op is Operator.LT:
            value = math.ceil(value) - 1
        elif whole and not float(value).is_integer():
            return Text.of("{subject} is a whole number: bound it with a whole number", subject=str(subject))
        if whole:
            value = int(value)
        if op in (Operator.GE, Operator.GT):
            low = value if low is None else max(low, value)
        else:
            high = value if high is None else min(high, value)
    if subject is Subject.LENGTH:
        return (
            Text.of("only a maximum length is supported: string-length(.) <= n")
            if low is not None
            else (None, None, high if high is None else int(high))
        )
    return low, high, None


def _not_a_workbook(error: Exception) -> Text:
    return Text.of("not an .xlsx workbook: {detail}", detail=str(error))
