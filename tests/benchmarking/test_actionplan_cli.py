"""`civicbot actionplan` end to end against a real database: create, add, update, import, list, report.

One test walks the whole command set (about a dozen CLI runs, each with its own engine): 2-5 s, the price
of checking what an officer actually types and reads."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from storage.models.actionplans import ActionPlanItem
from storage.models.campaigns import Role
from tests.campaigns.people import add_person, add_staff


async def _invoke(args: list[str], url: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env={"DATABASE_URL": url})
    return result.exit_code, result.output


async def test_an_officer_runs_a_plan_from_the_command_line(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    async with sessions() as session, session.begin():
        await add_staff(session, "nino", Role.OFFICER, "marneuli")
        await add_staff(session, "giorgi", Role.OFFICER, "dmanisi")
        await add_staff(session, "eka", Role.COORDINATOR)
        await add_person(session, topics=("action_plan",), language="az")
    code, output = await _invoke(
        [
            "actionplan",
            "create",
            "--as",
            "nino",
            "--municipality",
            "marneuli",
            "--title-ka",
            "სამოქმედო გეგმა",
            "--title-az",
            "Fəaliyyət planı",
        ],
        migrated_url,
    )
    assert code == 0, output
    assert "created with 0 items" in output
    add = [
        "actionplan",
        "item",
        "add",
        "--as",
        "nino",
        "--municipality",
        "marneuli",
        "--responsible",
        "Roads",
        "--title-ka",
        "გზა",
        "--title-az",
        "Yol",
    ]
    code, output = await _invoke([*add, "--due", "2020-01-31"], migrated_url)
    assert code == 0, output
    code, output = await _invoke([*add, "--due", "31/01/2030"], migrated_url)
    assert code == 2 and "write it as 2027-06-30" in output
    async with sessions() as session:
        item_id = (await session.scalars(select(ActionPlanItem.id))).one()

    code, output = await _invoke(
        ["actionplan", "update", str(item_id), "--as", "giorgi", "--status", "done"], migrated_url
    )
    assert code == 1 and "their own municipality" in output
    code, output = await _invoke(
        ["actionplan", "update", str(item_id), "--as", "nino", "--status", "finished"], migrated_url
    )
    assert code == 2 and "use one of planned, in_progress, done, delayed, dropped" in output
    code, output = await _invoke(["actionplan", "list", "--overdue", "--language", "az"], migrated_url)
    assert re.search(rf"{item_id}\s+marneuli\s+planned\s+0%\s+2020-01-31\s+OVERDUE\s+Yol", output), output
    code, output = await _invoke(["actionplan", "list"], migrated_url)
    assert "OVERDUE" in output  # overdue outranks pending approval
    code, output = await _invoke(
        ["actionplan", "update", str(item_id), "--as", "nino", "--status", "in_progress", "--progress", "30"],
        migrated_url,
    )
    assert code == 0, output
    assert output == (
        f"item {item_id}: in_progress, 30%; status changed, nobody told yet: a coordinator must "
        "approve the item first (civicbot actionplan approve)\n"
    )
    code, output = await _invoke(["actionplan", "approve", str(item_id), "--as", "nino"], migrated_url)
    assert code == 1 and "Only coordinators" in output
    code, output = await _invoke(["actionplan", "approve", str(item_id), "--as", "eka"], migrated_url)
    assert code == 0, output
    assert re.fullmatch(
        rf"item {item_id} approved; 1 message queued; "
        r"(it goes out now|quiet hours in Marneuli until \d\d:\d\d, it goes out from \d\d:\d\d "
        r"\(\d{4}-\d\d-\d\d, Tbilisi time\))\n",
        output,
    ), output

    bad = tmp_path / "updates.csv"
    bad.write_text(f"item,status\n{item_id},done\n{item_id + 1},done\n", encoding="utf-8")
    code, output = await _invoke(["actionplan", "import", str(bad), "--as", "nino"], migrated_url)
    assert code == 1
    assert f"line 3: no action plan item {item_id + 1}" in output
    assert "Fix these rows" in output
    good = tmp_path / "good.csv"
    good.write_bytes(f"\ufeffitem,status\n{item_id},done\n".encode())
    code, output = await _invoke(["actionplan", "import", str(good), "--as", "nino"], migrated_url)
    assert code == 0 and output.startswith("1 items updated, 1 status changes; 1 message queued; "), output

    code, output = await _invoke(["actionplan", "list", "--overdue"], migrated_url)
    assert output.strip() == "no overdue items"
    code, output = await _invoke(
        ["actionplan", "report", "--municipality", "marneuli", "--format", "csv", "--language", "az"],
        migrated_url,
    )
    assert code == 0, output
    assert output.splitlines()[1].startswith(f"{item_id},Yol,Roads,2020-01-31,")
