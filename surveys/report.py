"""Protected results as a coordinator reads them: a plain-text table, or JSON for other tools.

Both show only what `surveys.results` left visible: hidden counts appear as "<5" and carry no
percentage; means and medians appear only where `results` computed them.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from surveys.definition import DECLINED, Question
from surveys.disclosure import HIDDEN, Grid
from surveys.results import ALL, ANSWERED, NO_ANSWER, QuestionResult, SurveyResults

RULE = (
    "Counts from 1 to 4 are shown as <5, and so is one more count wherever a single hidden count could "
    "be worked out from a total; a group of fewer than 5 people is hidden whole."
)
_SPECIAL_ROWS = {DECLINED: "prefer not to answer", NO_ANSWER: "no answer", ANSWERED: "answered"}


def display_language(results: SurveyResults, wanted: str | None = None) -> str:
    """The language to show labels in: the one asked for, else English, else the survey's base language."""
    languages = results.survey.languages
    for lang in (wanted, "en"):
        if lang in languages:
            return lang
    return results.survey.base_language


def row_label(question: Question, row: str, lang: str) -> str:
    if row in _SPECIAL_ROWS:
        return _SPECIAL_ROWS[row]
    option = question.option(row)
    return option.label.in_language(lang) if option else row


def percent(grid: Grid, row: str, column: Hashable) -> float | None:
    """The share of the column's respondents, only where the count and the column size are shown."""
    count, size = grid.show(("cell", row, column)), grid.show(("column", column))
    if isinstance(count, str) or isinstance(size, str) or size == 0:
        return None
    return round(100 * count / size, 1)


def _grid_for(result: QuestionResult, column: str) -> Grid:
    if column == ALL or result.breakdown is None:
        return result.overall
    return result.breakdown


def results_json(results: SurveyResults, lang: str | None = None) -> dict[str, Any]:
    lang = display_language(results, lang)
    columns = [ALL, *([] if results.dimension is None else results.columns)]
    funnel = results.funnel
    return {
        "survey": results.record.code,
        "title": results.survey.title.in_language(lang),
        "status": str(results.record.status),
        "funnel": {
            "invited": funnel.invited,
            "invited_basis": funnel.invited_basis,
            "started": funnel.started,
            "completed": funnel.completed,
        },
        "by": str(results.dimension) if results.dimension else None,
        "columns": columns,
        "rule": RULE,
        "questions": [_question_json(result, columns, lang) for result in results.questions],
    }


def _question_json(result: QuestionResult, columns: list[str], lang: str) -> dict[str, Any]:
    question = result.question
    data: dict[str, Any] = {
        "name": question.name,
        "kind": str(question.kind),
        "label": question.label.in_language(lang),
        "respondents": {c: _grid_for(result, c).show(("column", c)) for c in columns},
        "answers": [
            {
                "value": row,
                "label": row_label(question, row, lang),
                "count": {c: _grid_for(result, c).show(("cell", row, c)) for c in columns},
                "percent": {c: percent(_grid_for(result, c), row, c) for c in columns},
            }
            for row in result.rows
        ],
    }
    if result.means or result.medians:
        data["mean"] = {c: result.means.get(c) for c in columns}
        data["median"] = {c: result.medians.get(c) for c in columns}
    return data


def results_table(results: SurveyResults, lang: str | None = None) -> str:
    """The readable table of `civicbot survey results`."""
    lang = display_language(results, lang)
    columns = [ALL, *([] if results.dimension is None else results.columns)]
    funnel = results.funnel
    basis = "people sent an invitation" if funnel.invited_basis == "deliveries" else "people it is open to"
    lines = [
        f"{results.record.code}: {results.survey.title.in_language(lang)} [{results.record.status}]",
        f"invited {funnel.invited} ({basis}), started {funnel.started}, completed {funnel.completed}",
        f"rule: {RULE}",
    ]
    if results.dimension is not None:
        lines.append(f"by {results.dimension}")
    for number, result in enumerate(results.questions, 1):
        lines.append("")
        lines.append(
            f"{number}. {result.question.name} ({result.question.kind}): "
            f"{result.question.label.in_language(lang)}"
        )
        table = [["", *columns], ["respondents", *[_count(result, "column", c) for c in columns]]]
        for row in result.rows:
            cells = [_cell(result, row, c) for c in columns]
            table.append([row_label(result.question, row, lang), *cells])
        for name, values in (("mean", result.means), ("median", result.medians)):
            if values:
                table.append([name, *[_number(values.get(c)) for c in columns]])
        lines.extend(_aligned(table))
    return "\n".join(lines)


def _count(result: QuestionResult, kind: str, column: str) -> str:
    return str(_grid_for(result, column).show((kind, column)))


def _cell(result: QuestionResult, row: str, column: str) -> str:
    grid = _grid_for(result, column)
    if grid.is_hidden(("column", column)):
        return HIDDEN
    count = grid.show(("cell", row, column))
    share = percent(grid, row, column)
    return f"{count} ({share:g}%)" if share is not None else str(count)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _aligned(table: list[list[str]]) -> list[str]:
    label_width = min(40, max(len(row[0]) for row in table))
    widths = [max(len(row[i]) for row in table) for i in range(1, len(table[0]))]
    lines = []
    for row in table:
        label = row[0] if len(row[0]) <= label_width else row[0][: label_width - 1] + "…"
        cells = "  ".join(cell.rjust(width) for cell, width in zip(row[1:], widths, strict=True))
        lines.append(f"   {label.ljust(label_width)}  {cells}")
    return lines
