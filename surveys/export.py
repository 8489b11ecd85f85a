"""Raw answers for analysis: one row per response, CSV or XLSX, with a pseudonym instead of the person.

Decisions (PRIVACY.md req. 3 and 8): the respondent column is a keyed hash (HMAC with the data key) of
the survey and the contact id, so rows of one person cannot be joined across surveys without the key
and cannot be traced to anyone by whoever gets the file; no name, phone number, Telegram id, age, gender
or self-identified group is exported. Columns are `_respondent`, `_status`, `_channel`, `_language`,
`_municipality`, `_started`, `_completed` (Tbilisi time with its offset; the underscore keeps them apart
from question names, as in Kobo's exports), then one column per question, named by the question. Values
are option values (multiple choice: space-separated, as XLSForm writes them), numbers, texts; "prefer not
to answer" is `_declined`; a question not answered (or not asked) is empty. In CSV a text answer that
starts with = + - @ (or has one right after a , ; or tab, where a spreadsheet of another locale splits
cells) gets a ' there, so that a spreadsheet shows it instead of running it as a formula; in XLSX every
text is stored as text, and characters XML cannot hold (controls a phone may send) become U+FFFD.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import TIMEZONE
from contacts.simulated import real_person
from contacts.vault import DataVault
from storage.models import Contact, Municipality
from storage.models.surveys import SurveyAnswer, SurveyRecord, SurveyResponse
from surveys import lifecycle
from surveys.definition import DECLINED, QuestionKind
from surveys.responses import from_json

META_COLUMNS = (
    "_respondent", "_status", "_channel", "_language", "_municipality", "_started", "_completed",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A formula start after a separator: Excel in a ';' locale starts a new cell there.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n])(?=[=+\-@])")
Cell = str | int | float | None


def respondent_id(vault: DataVault, record: SurveyRecord, contact_id: int | None, response_id: int) -> str:
    """A stable pseudonym per person and survey; a response whose person row is gone keeps its own."""
    subject = (
        f"{record.id}:contact:{contact_id}" if contact_id is not None else f"{record.id}:r:{response_id}"
    )
    return vault.address_hash("survey-respondent", subject)[:16]


async def export_rows(
    session: AsyncSession, record: SurveyRecord, vault: DataVault
) -> tuple[list[str], list[list[Cell]]]:
    """The header and the rows, in the order the responses started."""
    survey = lifecycle.definition(record)
    questions = [q for q in survey.questions if q.kind is not QuestionKind.NOTE]
    header = [*META_COLUMNS, *(q.name for q in questions)]
    responses = (
        await session.execute(
            select(SurveyResponse, Municipality.code)
            .outerjoin(Contact, Contact.id == SurveyResponse.contact_id)
            .outerjoin(Municipality, Municipality.id == Contact.municipality_id)
            .where(SurveyResponse.survey_id == record.id, real_person(SurveyResponse.contact_id))
            .order_by(SurveyResponse.id)
        )
    ).all()
    answers: dict[int, dict[str, Cell]] = defaultdict(dict)
    found = await session.execute(
        select(SurveyAnswer.response_id, SurveyAnswer.question, SurveyAnswer.value, SurveyAnswer.declined)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == record.id)
    )
    for response_id, question, value, declined in found.all():
        answers[response_id][question] = DECLINED if declined else _cell(from_json(value))
    rows: list[list[Cell]] = []
    for response, municipality in responses:
        meta: list[Cell] = [
            respondent_id(vault, record, response.contact_id, response.id),
            str(response.status),
            response.channel,
            response.language,
            municipality or "",
            _time(response.started_at),
            _time(response.completed_at),
        ]
        rows.append([*meta, *(answers[response.id].get(q.name) for q in questions)])
    return header, rows


def _cell(value: Any) -> Cell:
    if isinstance(value, tuple):
        return " ".join(value)
    return value  # type: ignore[no-any-return]


def _time(moment: datetime | None) -> str:
    """Tbilisi time with its offset ("2026-12-04T09:00:00+04:00"): what people there read, unambiguous."""
    return moment.astimezone(TIMEZONE).isoformat(timespec="seconds") if moment else ""


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _csv_safe(v) if isinstance(v, str) else v for v in row])
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    text = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", text)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[Cell]], *, title: str = "responses") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        sheet.append([None if v is None else _xml_safe(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a text starting with "=" stays text, never a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xml_safe(value: str | int | float) -> str | int | float:
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value
