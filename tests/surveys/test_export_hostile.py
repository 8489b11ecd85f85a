"""Answers typed by citizens never become spreadsheet formulas or crash an export, in any locale."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from surveys.export import to_csv, to_xlsx

HEADER = ["_respondent", "why"]
HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "ok;=cmd|' /C calc'!A0",
    "fine,+1+1",
    "tab\t@SUM(A1)",
    "-2 roads",
]


def _cells(text: str, delimiter: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def test_no_cell_starts_a_formula_whichever_separator_the_spreadsheet_uses() -> None:
    text = to_csv(HEADER, [["r1", answer] for answer in HOSTILE])
    for delimiter in (",", ";", "\t"):
        starts = [
            cell for cell in _cells(text, delimiter) if cell.lstrip('"').startswith(("=", "+", "-", "@"))
        ]
        assert starts == [], (delimiter, starts)


def test_the_answers_stay_readable_in_the_comma_reading() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(HEADER, [["r1", answer] for answer in HOSTILE]))))
    assert [row[1] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil.example","click")',
        "ok;'=cmd|' /C calc'!A0",
        "fine,'+1+1",
        "tab\t'@SUM(A1)",
        "'-2 roads",
    ]


def test_control_characters_do_not_break_the_xlsx_export() -> None:
    answer = "bell\x07 and escape\x1b from an old phone"
    data = to_xlsx(HEADER, [["r1", answer], ["r2", 3]])
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet is not None
    values = [row[1] for row in sheet.iter_rows(values_only=True)]
    assert values == ["why", "bell\ufffd and escape\ufffd from an old phone", 3]
