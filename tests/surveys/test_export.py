"""Exports hold exactly the answers given, under a pseudonym, and nothing that identifies anyone."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contacts.privacy import erase
from contacts.vault import DataVault
from storage.models import Channel, Contact
from storage.models.surveys import SurveyRecord
from surveys import lifecycle
from surveys.export import export_rows, respondent_id, to_csv, to_xlsx
from surveys.yaml_format import load_survey_yaml
from tests.surveys.people import NOW, Talk, add_person, data_of, last_question, open_example

KITCHEN_SINK = Path(__file__).with_name("kitchen_sink.yaml")
FORMULA = '=HYPERLINK("http://evil.example","click")'


async def _two_people(sessions: async_sessionmaker[AsyncSession]) -> tuple[SurveyRecord, list[Contact]]:
    async with sessions() as session, session.begin():
        record, _ = await lifecycle.import_survey(session, load_survey_yaml(KITCHEN_SINK), "yaml", now=NOW)
        await lifecycle.open_survey(session, record.code, now=NOW)
        telegram = await add_person(session, language="en")
        sms = await add_person(session, language="ru", channel=Channel.SMS, municipality="dmanisi")
    by_sms = Talk(sessions, sms.id, Channel.SMS)
    await by_sms.press(f"sv:{record.id}:go")
    for typed in ("1", "1,3", FORMULA, "11", "33", "нет"):
        await by_sms.say(typed)
    by_telegram = Talk(sessions, telegram.id)
    colour = last_question(await by_telegram.press(f"sv:{record.id}:go"))
    await by_telegram.press(data_of(colour)[1])  # green, then stops before the fruits
    return record, [telegram, sms]


async def test_rows_hold_exactly_the_answers_given(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault
) -> None:
    record, _ = await _two_people(sessions)
    async with sessions() as session:
        header, rows = await export_rows(session, record, vault)
    assert header[7:] == ["colour", "fruits", "why_red", "score", "age", "happy"]
    by_channel = {row[2]: dict(zip(header, row, strict=True)) for row in rows}
    assert {k: by_channel["sms"][k] for k in header[7:]} == {
        "colour": "red", "fruits": "apple plum", "why_red": FORMULA, "score": "_declined", "age": 33,
        "happy": "no",
    }  # fmt: skip
    assert {k: by_channel["telegram"][k] for k in header[7:]} == {
        "colour": "green", "fruits": None, "why_red": None, "score": None, "age": None, "happy": None,
    }  # fmt: skip
    assert (by_channel["sms"]["_status"], by_channel["telegram"]["_status"]) == ("completed", "started")
    assert (by_channel["sms"]["_language"], by_channel["sms"]["_municipality"]) == ("ru", "dmanisi")


async def test_no_identifier_leaves_and_the_pseudonym_is_keyed(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, tmp_path: Path
) -> None:
    record, people = await _two_people(sessions)
    async with sessions() as session:
        header, rows = await export_rows(session, record, vault)
        addresses = [identity.address for person in people for identity in
                     (await session.get_one(Contact, person.id)).identities]  # fmt: skip
    text = to_csv(header, rows)
    for address in addresses:
        assert address not in text
        assert address.lstrip("+") not in text
    pseudonyms = {row[0] for row in rows}
    assert pseudonyms == {respondent_id(vault, record, p.id, 0) for p in people}
    assert all(len(p) == 16 and p not in {str(person.id) for person in people} for p in pseudonyms)
    other_key = DataVault.from_key_or_file(None, tmp_path / "other")
    assert respondent_id(other_key, record, people[0].id, 0) not in pseudonyms


async def test_csv_neutralises_formulas_and_xlsx_keeps_them_as_text(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault
) -> None:
    record, _ = await _two_people(sessions)
    async with sessions() as session:
        header, rows = await export_rows(session, record, vault)
    parsed = list(csv.DictReader(io.StringIO(to_csv(header, rows))))
    assert {row["why_red"] for row in parsed} == {"'" + FORMULA, ""}
    sheet = load_workbook(io.BytesIO(to_xlsx(header, rows)), read_only=True).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header
    assert FORMULA in [row[header.index("why_red")] for row in values[1:]]


async def test_an_erased_person_stays_in_the_export_without_identity(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault
) -> None:
    async with sessions() as session, session.begin():
        record = await open_example(session, "budget_flash_poll.yaml")
        person = await add_person(session, language="en")
    talk = Talk(sessions, person.id)
    first = last_question(await talk.press(f"sv:{record.id}:go"))
    await talk.press(data_of(first)[5])
    async with sessions() as session, session.begin():
        await erase(session, vault, await session.get_one(Contact, person.id), actor="test", now=NOW)
    async with sessions() as session:
        header, rows = await export_rows(session, record, vault)
    assert [row[header.index("priority")] for row in rows] == ["transport"]
