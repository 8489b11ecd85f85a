"""`civicbot survey ...` and `civicbot demo-data` against a real database, as a coordinator runs them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_surveys import parse_moment
from storage.models.surveys import SurveyRecord, SurveyStatus
from tests.surveys.forms import broken_form, write_form
from tests.surveys.people import Talk, add_person, data_of, last_question


async def _cli(url: str, tmp_path: Path, *args: str) -> Result:
    """The command runs `asyncio.run` itself, so it gets a thread of its own."""
    env = {"DATABASE_URL": url, "STATE_DIR": str(tmp_path / "state")}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def test_import_open_answer_results_export_close(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    form = write_form(tmp_path / "bus.xlsx")
    imported = await _cli(migrated_url, tmp_path, "survey", "import", str(form))
    assert imported.exit_code == 0, imported.output
    assert "imported survey bus-survey (id 1), draft, 5 questions in ka, az, hy" in imported.output
    again = await _cli(migrated_url, tmp_path, "survey", "import", str(form))
    assert "already imported, unchanged" in again.output

    opened = await _cli(migrated_url, tmp_path, "survey", "open", "bus-survey", "--until", "2099-12-31",
                        "--municipality", "marneuli", "--language", "az")  # fmt: skip
    assert opened.exit_code == 0, opened.output
    assert "until 2100-01-01 00:00" in opened.output
    async with sessions() as session, session.begin():
        person = await add_person(session, language="az")
        record = await session.scalar(select(SurveyRecord))
        assert record is not None and record.status == SurveyStatus.OPEN
        assert (record.target_municipalities, record.target_languages) == (["marneuli"], ["az"])
    talk = Talk(sessions, person.id, now=record.opens_at)  # type: ignore[arg-type]
    uses_bus = last_question(await talk.press(f"sv:{record.id}:go"))
    await talk.press(data_of(uses_bus)[1])  # no: the problems are not asked

    listing = await _cli(migrated_url, tmp_path, "survey", "list")
    assert "bus-survey" in listing.output and "started 1, completed 0" in listing.output
    table = await _cli(migrated_url, tmp_path, "survey", "results", "bus-survey")
    assert table.exit_code == 0, table.output
    assert "uses_bus (yes_no)" in table.output and "<5" in table.output
    as_json = await _cli(migrated_url, tmp_path, "survey", "results", "bus-survey", "--format", "json",
                         "--by", "language", "--language", "az")  # fmt: skip
    data = json.loads(as_json.output)
    assert data["questions"][0]["label"] == "Avtobusdan istifadə edirsinizmi?"
    assert data["questions"][0]["respondents"] == {"all": "<5", "az": "<5"}

    out = tmp_path / "bus.csv"
    exported = await _cli(migrated_url, tmp_path, "survey", "export", "bus-survey", "--format", "csv",
                          "--output", str(out))  # fmt: skip
    assert exported.exit_code == 0, exported.output
    assert out.read_bytes()[:3] == b"\xef\xbb\xbf"  # UTF-8 BOM: Excel shows Georgian and Armenian
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(row["uses_bus"], row["problems"], row["quality"]) for row in rows] == [("no", "", "")]
    assert rows[0]["_started"].endswith("+04:00")  # Tbilisi time, with its offset
    xlsx = tmp_path / "bus.xlsx.out"
    exported = await _cli(migrated_url, tmp_path, "survey", "export", "bus-survey", "--format", "xlsx",
                          "--output", str(xlsx))  # fmt: skip
    assert exported.exit_code == 0 and xlsx.read_bytes()[:2] == b"PK"

    closed = await _cli(migrated_url, tmp_path, "survey", "close", "bus-survey")
    assert "survey bus-survey is closed" in closed.output


async def test_a_broken_xlsform_is_refused_naming_every_row(migrated_url: str, tmp_path: Path) -> None:
    result = await _cli(
        migrated_url, tmp_path, "survey", "import", str(broken_form(tmp_path / "broken.xlsx"))
    )
    assert result.exit_code == 1
    assert "refused: broken.xlsx has 2 problem(s); nothing was imported" in result.output
    assert "sheet 'survey', row 3, column A 'type': the type 'geopoint' is not supported" in result.output
    assert "sheet 'survey', row 6, column H 'constraint'" in result.output
    listing = await _cli(migrated_url, tmp_path, "survey", "list")
    assert "no surveys yet" in listing.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["survey", "open", "nothing"], "refused: no survey with the code 'nothing'"),
        (["survey", "close", "nothing"], "refused: no survey with the code 'nothing'"),
        (["survey", "results", "nothing"], "refused: no survey with the code 'nothing'"),
        (["survey", "open", "x", "--until", "soon"], "use a date (2026-12-31)"),
    ],
)
async def test_mistakes_exit_non_zero_with_the_reason(
    migrated_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    result = await _cli(migrated_url, tmp_path, *args)
    assert result.exit_code != 0
    assert message in result.output


async def test_demo_data_opens_both_examples_and_can_be_repeated(migrated_url: str, tmp_path: Path) -> None:
    first = await _cli(migrated_url, tmp_path, "demo-data")
    assert first.exit_code == 0, first.output
    assert (
        "survey budget-flash-poll imported and opened for batumi, chokhatauri, dmanisi, marneuli"
        in first.output
    )
    second = await _cli(migrated_url, tmp_path, "demo-data")
    assert second.exit_code == 0
    assert "survey participation-questionnaire already open" in second.output


def test_help_lists_the_commands_with_examples() -> None:
    result = CliRunner().invoke(app, ["survey", "import", "--help"])
    assert "civicbot survey import kobo_form.xlsx --code water-2027" in result.output
    assert "demo-data" in CliRunner().invoke(app, ["--help"]).output


@pytest.mark.parametrize(
    ("text", "end_of_day", "utc"),
    [
        ("2026-12-31", False, "2026-12-30T20:00:00+00:00"),
        ("2026-12-31", True, "2026-12-31T20:00:00+00:00"),
        ("2026-06-30T18:00", False, "2026-06-30T14:00:00+00:00"),  # Tbilisi is UTC+4 all year
        ("2026-06-30T18:00+00:00", False, "2026-06-30T18:00:00+00:00"),
    ],
)
def test_times_are_read_in_tbilisi(text: str, end_of_day: bool, utc: str) -> None:
    assert parse_moment(text, end_of_day=end_of_day).isoformat() == utc
