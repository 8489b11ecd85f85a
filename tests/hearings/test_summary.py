"""A hearing's summary for its officer: answers by language, interpretation, questions with their
moderation state, feedback results; as text, CSV (with BOM) and XLSX; never a phone number, names only
when the hearing needs them; moderation audited and limited to the hearing's own questions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from campaigns.errors import NotFound, ScopeDenied
from hearings import officers
from hearings.service import HearingConversation
from hearings.summary import moderate, summary
from storage.models import AuditEntry, Channel, ChannelIdentity, Contact
from storage.models.campaigns import Role
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.hearings import HearingQuestion, Moderation, Rsvp
from tests.campaigns.people import add_person, add_staff
from tests.hearings.builders import NOW, STARTS, coordinator, hearing, hours, officer


async def _say(
    session: AsyncSession, person: Contact, hearing_id: int, answer: str, at: datetime = NOW
) -> None:
    await HearingConversation(session, person, Channel.TELEGRAM, at).choose(f"hr:{hearing_id}:{answer}")


async def _ask(session: AsyncSession, person: Contact, hearing_id: int, text: str) -> None:
    talk = HearingConversation(session, person, Channel.TELEGRAM, NOW)
    await talk.choose(f"hq:{hearing_id}")
    await talk.text(text)


async def test_answers_by_language_interpretation_questions_and_feedback(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session, interpretation=["az", "hy"])
        people = {}
        for label, language, answer in (
            ("a", "az", "go"),
            ("b", "az", "maybe"),
            ("c", "ka", "go"),
            ("d", "hy", "no"),
            ("e", "ru", "go"),
        ):
            people[label] = await add_person(session, language=language)
            await _say(session, people[label], found.id, answer)
        await _ask(session, people["a"], found.id, "Yollar?")
        await _ask(session, people["d"], found.id, "Off topic")
        by = await coordinator(session)
        first, second = (await session.scalars(select(HearingQuestion.id).order_by(HearingQuestion.id))).all()
        await moderate(session, found.id, first, Moderation.SHOWN, by, NOW)
        await moderate(session, found.id, second, Moderation.HIDDEN, by, NOW)
        told = await officers.publish_feedback(
            session, found.id, {"ka": "გზები დაემატა."}, by, STARTS + hours(48)
        )
        row = await session.scalar(select(Delivery).where(Delivery.dedupe_key.contains(":fb")))
        assert row is not None
        row.status = DeliveryStatus.SENT
        result = await summary(session, found.id, by, STARTS + hours(49))
        audited = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "hearing.summary_viewed")
        )
    assert result.by_answer() == {Rsvp.GOING: 3, Rsvp.MAYBE: 1, Rsvp.NOT_GOING: 1}
    assert result.answers[(Rsvp.GOING, "az")] == 1 and result.answers[(Rsvp.MAYBE, "az")] == 1
    assert result.interpretation == {"az": 2, "hy": 0}, "hy said no: nobody coming needs Armenian"
    assert [q.moderation for q in result.questions] == [Moderation.SHOWN, Moderation.HIDDEN]
    assert result.by_moderation() == {Moderation.NEW: 0, Moderation.SHOWN: 1, Moderation.HIDDEN: 1}
    assert [(f.sent, f.waiting, f.failed) for f in result.feedback] == [(1, told - 1, 0)]
    assert result.names == [] and audited is not None


async def test_moderation_stays_within_the_hearing_and_the_officers_scope(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        one, other = await hearing(session), await hearing(session, starts_at=STARTS + hours(30))
        person = await add_person(session)
        await _ask(session, person, one.id, "Q")
        question = (await session.scalars(select(HearingQuestion.id))).one()
        by = await coordinator(session)
        with pytest.raises(NotFound):
            await moderate(session, other.id, question, Moderation.HIDDEN, by, NOW)
        with pytest.raises(ScopeDenied):
            await moderate(
                session, one.id, question, Moderation.HIDDEN, await officer(session, "dmanisi"), NOW
            )


async def _cli(args: list[str], url: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env={"DATABASE_URL": url})
    return result.exit_code, result.output


async def test_cli_summary_text_csv_xlsx_and_show_hide(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        found = await hearing(session, now=now, starts_at=now + timedelta(days=20), names_required=True)
        await add_staff(session, "nino", Role.OFFICER, "marneuli")
        person = await add_person(session, language="az", sms=True, telegram=False)
        talk = HearingConversation(session, person, Channel.SMS, now)
        await talk.choose(f"hr:{found.id}:go")
        await talk.text("Aysel Məmmədova")
        await _ask(session, person, found.id, "Kənd yolları? \x1b[31m")
        question = (await session.scalars(select(HearingQuestion.id))).one()
        phone = await session.scalar(
            select(ChannelIdentity.address).where(ChannelIdentity.contact_id == person.id)
        )
        assert phone
    hid = str(found.id)
    code, output = await _cli(
        ["hearing", "questions", hid, "--as", "nino", "--hide", str(question)], migrated_url
    )
    assert code == 0, output
    assert f"#{question}" in output and "[hidden]" in output
    code, output = await _cli(["hearing", "summary", hid, "--as", "nino"], migrated_url)
    assert code == 0, output
    assert "going      1 (az 1)" in output
    assert "questions 1 (new 0, shown 0, hidden 1)" in output
    assert "Kənd yolları? \\x1b[31m" in output and "Aysel Məmmədova" in output
    assert phone not in output and phone.lstrip("+") not in output
    csv_file, xlsx_file = tmp_path / "s.csv", tmp_path / "s.xlsx"
    code, output = await _cli(
        ["hearing", "summary", hid, "--as", "nino", "--format", "csv", "--output", str(csv_file)],
        migrated_url,
    )
    assert code == 0, output
    body = csv_file.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf") and "answer,going,az,1," in body.decode("utf-8-sig")
    code, output = await _cli(
        ["hearing", "summary", hid, "--as", "nino", "--format", "xlsx", "--output", str(xlsx_file)],
        migrated_url,
    )
    assert code == 0, output
    sheet = load_workbook(xlsx_file).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["question", f"#{question}"] == cells[[r[0] for r in cells].index("question")][:2]
    code, output = await _cli(["hearing", "summary", hid, "--as", "nino", "--format", "xlsx"], migrated_url)
    assert code != 0 and "--output" in output
