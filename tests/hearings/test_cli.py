"""`civicbot hearing`: the officer's commands end to end against a real database."""

from __future__ import annotations

import asyncio
import shlex
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from channels.i18n import TIMEZONE
from hearings.service import HearingConversation
from storage.models import AuditEntry, Channel
from storage.models.campaigns import Role
from storage.models.hearings import Hearing, HearingStatus
from tests.campaigns.people import add_person, add_staff
from tests.hearings.test_definition import EXAMPLE


async def _invoke(args: list[str], url: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env={"DATABASE_URL": url})
    return result.exit_code, result.output


def _soon(days: int = 20) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).astimezone(TIMEZONE).strftime("%Y-%m-%d 15:00")


async def test_officer_creates_announces_and_reads_back(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    async with sessions() as session, session.begin():
        await add_staff(session, "nino", Role.OFFICER, "marneuli")
        follower = await add_person(session, topics=("hearings",), language="az")
    starts = _soon()
    code, output = await _invoke(
        ["hearing", "create", str(EXAMPLE), "--as", "nino", "--starts", starts], migrated_url
    )
    assert code == 0, output
    async with sessions() as session:
        hearing = (await session.scalars(select(Hearing))).one()
    assert f"hearing {hearing.id} created as a draft, starts {starts} Tbilisi time" in output
    printed = output.split("announce it with: civicbot ", 1)[1].splitlines()[0]
    assert shlex.split(printed) == ["hearing", "announce", str(hearing.id), "--as", "nino"]
    code, output = await _invoke(["hearing", "list", "--language", "az"], migrated_url)
    assert f"draft      {starts}  marneuli     Marneuli bələdiyyəsinin gələn il üçün" in output
    code, output = await _invoke(shlex.split(printed), migrated_url)  # as printed
    assert code == 0, output
    assert output.startswith(f"hearing {hearing.id} announced; 1 notice queued; ")
    async with sessions() as session, session.begin():
        talk = HearingConversation(session, follower, Channel.TELEGRAM)
        await talk.choose(f"hr:{hearing.id}:go")
        await talk.choose(f"hq:{hearing.id}")
        await talk.text("Kənd yolları? \x1b[31m<b>&</b>")
    code, output = await _invoke(["hearing", "rsvps", str(hearing.id), "--as", "nino"], migrated_url)
    assert output.split("\n")[:3] == ["going      1", "maybe      0", "not going  0"]
    assert "names:" not in output
    code, output = await _invoke(["hearing", "questions", str(hearing.id), "--as", "nino"], migrated_url)
    assert "Kənd yolları? \\x1b[31m<b>&</b>" in output, "escape sequences are shown, not obeyed"
    code, output = await _invoke(["hearing", "cancel", str(hearing.id), "--as", "nino"], migrated_url)
    assert (code, output.strip()) == (0, f"hearing {hearing.id} cancelled; people to be told: 1")


async def test_officer_of_another_municipality_is_refused_and_audited(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    async with sessions() as session, session.begin():
        await add_staff(session, "aysel", Role.OFFICER, "dmanisi")
    args = [
        "hearing",
        "create",
        "--as",
        "aysel",
        "--municipality",
        "marneuli",
        "--starts",
        _soon(),
        "--title",
        "ka=ბიუჯეტი",
        "--place",
        "ka=მერია",
    ]
    code, output = await _invoke(args, migrated_url)
    assert code == 1
    assert "refused: Officers can only act on hearings of their own municipality (Dmanisi)." in output
    async with sessions() as session:
        denied = (
            await session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "hearing.scope_denied"))
        ).all()
        stored = (await session.scalars(select(Hearing))).all()
    assert (list(denied), list(stored)) == (["aysel"], [])


async def test_flags_only_and_feedback(sessions: async_sessionmaker[AsyncSession], migrated_url: str) -> None:
    async with sessions() as session, session.begin():
        await add_staff(session, "coord")
    args = [
        "hearing",
        "create",
        "--as",
        "coord",
        "--municipality",
        "dmanisi",
        "--starts",
        _soon(),
        "--title",
        "ka=სკოლის ეზო",
        "--title",
        "hy=Դպրոցի բակ",
        "--place",
        "ka=სკოლა",
        "--names-required",
    ]
    code, output = await _invoke(args, migrated_url)
    assert code == 0, output
    async with sessions() as session, session.begin():
        hearing = (await session.scalars(select(Hearing))).one()
        assert (hearing.names_required, dict(hearing.title)) == (
            True,
            {"ka": "სკოლის ეზო", "hy": "Դպրոցի բակ"},
        )
        hearing.status = HearingStatus.HELD
    code, output = await _invoke(
        [
            "hearing",
            "feedback",
            str(hearing.id),
            "--as",
            "coord",
            "--text",
            "ka=ეზო შეკეთდება",
            "--text",
            "hy=Բակը կվերանորոգվի։",
        ],
        migrated_url,
    )
    assert (code, output.strip()) == (0, f"feedback on hearing {hearing.id} published; people to be told: 0")
    code, output = await _invoke(
        ["hearing", "feedback", str(hearing.id), "--as", "coord", "--text", "ka"], migrated_url
    )
    assert code == 2 and "LANG=TEXT" in output


async def test_help_lists_the_commands_with_examples(migrated_url: str) -> None:
    code, output = await _invoke(["hearing", "--help"], migrated_url)
    assert code == 0
    for command in ("create", "list", "announce", "cancel", "rsvps", "questions", "feedback"):
        assert command in output
    code, output = await _invoke(["hearing", "create", "--help"], migrated_url)
    assert "civicbot hearing create hearings/examples/budget_hearing.yaml --as" in output
