"""An XLSForm in Georgian, Azerbaijani and Armenian, imported and opened with the CLI, answered end to end
through `civicbot serve` and the fake Bot API by a signed-up person; the export has exactly those answers."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from channels.i18n import render, t
from storage.db import create_engine, session_factory
from storage.models.surveys import SurveyAnswer
from surveys.engine import THANKS
from tests.e2e.people import Person, buttons
from tests.e2e.service import RunningService
from tests.fakes.telegram_api import FakeTelegram
from tests.surveys.forms import broken_form, write_form

pytestmark = pytest.mark.slow


async def _cli(database_url: str, tmp_path: Path, *args: str) -> Result:
    env = {"DATABASE_URL": database_url, "STATE_DIR": str(tmp_path / "state")}
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


async def test_xlsform_answered_through_telegram_and_exported(
    service: RunningService, telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    await _cli(database_url, tmp_path, "survey", "import", str(write_form(tmp_path / "bus.xlsx")))
    await _cli(database_url, tmp_path, "survey", "open", "bus-survey", "--municipality", "marneuli")
    person = Person(telegram, 8101, language_code="az")
    await person.sign_up("az", "marneuli")

    listing = await person.say("/polls")
    assert t("az", "Choose a survey to answer:") in listing[0]
    intro, note, first = await person.press("sv:1:go", expect=3)
    assert (intro, note) == ("Bus", "Salam!")
    assert first == "1/5\nAvtobusdan istifadə edirsinizmi?"

    yes = buttons(person.message_with("sa:1:1:1"))
    assert yes == ["sa:1:1:1", "sa:1:1:2"]
    # A double tap: both presses reach the bot before it has removed the buttons.
    message = person.message_with("sa:1:1:1")
    before = person.seen
    telegram.press(person.id, message.message_id, "sa:1:1:1")
    telegram.press(person.id, message.message_id, "sa:1:1:1")
    problems = await person.answers(before, 1)
    assert problems[0].startswith("2/5\nHansı problemlər var?")
    await telegram.wait_idle(timeout=15)
    assert telegram.messages(person.id)[-2].text == "Avtobusdan istifadə edirsinizmi?\n\n✅ Bəli"

    await person.press("sm:1:2:1", expect=0)
    await person.press("sm:1:2:3", expect=0)
    await telegram.wait_for(lambda: str(person.message_with("sd:1:2").reply_markup).count("✅") == 2, 15)
    quality = await person.press("sd:1:2")
    assert quality[0].startswith("3/5\nKeyfiyyəti qiymətləndirin")
    trips = await person.press("sa:1:3:4")
    assert trips[0].startswith("4/5\nHəftədə neçə səfər?")
    wrong = await person.say("çox", expect=2)
    assert wrong[0] == t("az", "Please reply with a number.")
    assert wrong[1].startswith("4/5\nHəftədə neçə səfər?")
    idea = await person.say("7")
    assert idea[0].startswith("5/5\nSizin ideyanız")
    thanks = await person.say("Axşam <daha çox> avtobus & gecə reysi")
    assert thanks == [render(THANKS, "az")]
    assert await person.say("/polls") == [t("az", "There are no open surveys for you right now.")]

    await telegram.wait_idle(timeout=15)
    answered = [a for a in telegram.callback_answers if a.user_id == person.id and a.data and a.data[:3] in (
        "sv:", "sa:", "sm:", "sd:")]  # fmt: skip
    assert len(answered) == 7  # every press, the double tap included, stopped its spinner
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(SurveyAnswer)) == 5
    await engine.dispose()

    out = tmp_path / "bus.csv"
    await _cli(
        database_url, tmp_path, "survey", "export", "bus-survey", "--format", "csv", "--output", str(out)
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1
    given = {key: value for key, value in rows[0].items() if not key.startswith("_")}
    assert given == {
        "uses_bus": "yes", "problems": "late dirty", "quality": "4", "trips": "7",
        "idea": "Axşam <daha çox> avtobus & gecə reysi",
    }  # fmt: skip
    assert "8101" not in out.read_text(encoding="utf-8")
    assert "Traceback" not in service.log()


async def test_broken_xlsform_is_refused_and_nothing_reaches_people(
    service: RunningService, telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": database_url, "STATE_DIR": str(tmp_path / "state")}
    args = ["survey", "import", str(broken_form(tmp_path / "broken.xlsx"))]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env)
    assert result.exit_code == 1
    assert "row 3" in result.output and "row 6" in result.output
    person = Person(telegram, 8102, language_code="hy")
    await person.sign_up("hy", "dmanisi")
    assert await person.say("/polls") == [t("hy", "There are no open surveys for you right now.")]
