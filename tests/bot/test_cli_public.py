"""`civicbot survey publish|unpublish` and `civicbot campaign preview` against a real database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from channels.sms.segments import count_segments
from storage.db import unit_of_work
from surveys import lifecycle

POLL = Path(__file__).resolve().parents[2] / "surveys" / "examples" / "budget_flash_poll.yaml"
AZ = "Sabah su olmayacaq. Zəhmət olmasa, ehtiyat su toplayın."


async def _cli(url: str, *args: str) -> Result:
    """The command runs `asyncio.run` itself, so it gets a thread of its own."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env={"DATABASE_URL": url})


async def test_publish_and_unpublish(migrated_url: str, sessions: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sessions) as session:
        survey, source = lifecycle.load_survey_file(POLL)
        await lifecycle.import_survey(session, survey, source)
    published = await _cli(migrated_url, "survey", "publish", "budget-flash-poll", "--as", "nino")
    assert published.exit_code == 0 and "shown on the public pages" in published.output
    async with sessions() as session:
        record = await lifecycle.survey_by_code(session, "budget-flash-poll")
        assert record is not None and record.public and record.published_at is not None
    hidden = await _cli(migrated_url, "survey", "unpublish", "budget-flash-poll", "--as", "nino")
    assert hidden.exit_code == 0 and "no longer shown" in hidden.output
    missing = await _cli(migrated_url, "survey", "publish", "nope", "--as", "nino")
    assert missing.exit_code == 1


async def test_campaign_preview_as_an_sms_reader(migrated_url: str) -> None:
    assert (
        await _cli(migrated_url, "staff", "grant", "--role", "coordinator", "--name", "nino")
    ).exit_code == 0
    created = await _cli(
        migrated_url,
        "campaign",
        "create",
        "--as",
        "nino",
        "--name",
        "Water",
        "--municipality",
        "dmanisi",
        "--text",
        "ka=ხვალ წყალი არ იქნება.",
        "--text",
        f"az={AZ}",
    )
    assert created.exit_code == 0, created.output
    shown = await _cli(migrated_url, "campaign", "preview", "1", "--language", "az", "--channel", "sms")
    info = count_segments(AZ)
    assert shown.exit_code == 0 and AZ in shown.output
    assert f"[{info.segments} segment(s), {info.encoding.value}, {len(AZ)} characters]" in shown.output
    none = await _cli(migrated_url, "campaign", "preview", "1", "--language", "hy", "--channel", "telegram")
    assert none.exit_code == 0 and "no text in this language" in none.output
