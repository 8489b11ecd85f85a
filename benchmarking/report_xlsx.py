"""The scorecard as an Excel workbook: a summary sheet, one sheet of indicators, the inclusion gap and
the charts, with the same values (and the same hidden ones) as the HTML report."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from babel.numbers import get_decimal_symbol, get_minus_sign_symbol, get_plus_sign_symbol, parse_decimal
from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from benchmarking.report import (
    ReportData,
    charts,
    gap_header,
    gap_rows,
    indicator_header,
    indicator_rows,
    method,
    notes,
    summary_header,
    summary_rows,
    title,
)
from channels.i18n import t

SHEET_NAME_MAX = 31  # Excel's limit


def workbook(data: ReportData, progress: Callable[[str], None] = lambda _: None) -> bytes:
    lang = data.lang
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = _sheet_name(t(lang, "Summary"))
    summary.append([title(data)])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([])
    _rows(summary, summary_header(data), summary_rows(data), lang)
    summary.append([])
    for line in [*notes(data), *method(data)]:
        summary.append([line])
    indicators = book.create_sheet(_sheet_name(t(lang, "Indicators")))
    _rows(
        indicators,
        [t(lang, "Dimension"), *indicator_header(lang)],
        [
            [dimension.dimension.label_in(lang), *row]
            for dimension in data.current.dimensions
            for row in indicator_rows(data, dimension)
        ],
        lang,
    )
    gaps = book.create_sheet(_sheet_name(t(lang, "Inclusion gap")))
    _rows(gaps, gap_header(lang), gap_rows(data), lang)
    images = charts(data)
    progress("charts")
    sheet = book.create_sheet(_sheet_name(t(lang, "Charts")))
    row = 1
    for caption, png in images:
        sheet.cell(row=row, column=1, value=caption).font = Font(bold=True)
        picture = Image(io.BytesIO(png))
        sheet.add_image(picture, f"A{row + 1}")
        row += 2 + int(picture.height / 20) + 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rows(sheet: Worksheet, header: list[str], rows: list[list[str]], lang: str) -> None:
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    number = _number(lang)
    for row in rows:
        sheet.append([_value(cell, number, lang) for cell in row])
    sheet.column_dimensions["A"].width = 60


def _number(lang: str) -> re.Pattern[str]:
    """A score or change as `report.number` writes it in `lang` (its own signs and decimal mark)."""
    signs = re.escape(get_plus_sign_symbol(lang) + get_minus_sign_symbol(lang))
    return re.compile(rf"^[{signs}]?\d+({re.escape(get_decimal_symbol(lang))}\d+)?$")


def _value(text: str, number: re.Pattern[str], lang: str) -> str | float:
    """Scores go in as numbers (so a reader can chart them, and Excel shows them in its own locale);
    "<5", "—" and labels stay text."""
    if not number.match(text):
        return text
    return float(parse_decimal(text.replace(get_plus_sign_symbol(lang), ""), locale=lang))


def _sheet_name(name: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name)
    return cleaned[:SHEET_NAME_MAX]
