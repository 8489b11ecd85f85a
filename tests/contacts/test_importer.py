"""Importing SMS contacts: every bad row named by line and reason, consent required, idempotent by phone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from contacts import importer
from contacts.registry import municipalities, remember_opt_out
from contacts.vault import DataVault
from storage.models import AuditEntry, Channel, ChannelIdentity, Contact, ContactStatus

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HEADER = "phone,language,municipality,consent_source,consent_date,topics\n"
GOOD = (
    HEADER
    + "555 12 34 56,az,dmanisi,village meeting sign-up sheet,2026-10-02,hearings;polls\n"
    + "0555123457,hy,Marneuli,phone call,02.10.2026,\n"
    + "+995 555 123 458,ka,ბათუმი,paper form,2026-10-02T10:30:00+04:00,budget\n"
)


async def _plan(session: AsyncSession, text: str) -> importer.ImportPlan:
    return importer.read_contacts(text.encode(), await municipalities(session), now=NOW)


async def _import(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, text: str, *, skip_invalid: bool = False
) -> importer.ImportResult:
    async with sessions() as session, session.begin():
        plan = await _plan(session, text)
        return await importer.import_contacts(
            session, vault, plan, actor="cli:test", source="signups.csv", now=NOW, skip_invalid=skip_invalid
        )


async def _contacts(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, Contact]]:
    async with sessions() as session:
        rows = await session.execute(
            select(ChannelIdentity.address, Contact).join(Contact).order_by(ChannelIdentity.address)
        )
        return [(address, contact) for address, contact in rows.all()]


async def test_a_good_file_imports_everyone_with_their_consent(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault
) -> None:
    result = await _import(sessions, vault, GOOD)

    assert result.added == [2, 3, 4]
    people = await _contacts(sessions)
    assert [address for address, _ in people] == ["+995555123456", "+995555123457", "+995555123458"]
    first = people[0][1]
    assert (first.language, first.status, first.consent_channel) == ("az", ContactStatus.ACTIVE, "import")
    assert first.topics == ["hearings", "polls"]
    assert first.consent_at == datetime(2026, 10, 1, 20, 0, tzinfo=UTC)  # midnight in Tbilisi
    assert people[2][1].consent_at == datetime(2026, 10, 2, 6, 30, tzinfo=UTC)


async def test_reimporting_the_same_file_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault
) -> None:
    await _import(sessions, vault, GOOD)
    before = await _contacts(sessions)

    again = await _import(sessions, vault, GOOD)

    assert (again.added, again.known) == ([], [2, 3, 4])
    after = await _contacts(sessions)
    assert [(a, c.id, c.topics, c.consent_at) for a, c in after] == [
        (a, c.id, c.topics, c.consent_at) for a, c in before
    ]


async def test_every_bad_row_is_reported_with_its_line_and_reason(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    text = (
        HEADER
        + "555 12 34 56,az,dmanisi,sheet,2026-10-02,\n"  # 2: fine
        + "555 12,az,dmanisi,sheet,2026-10-02,\n"  # 3
        + "032 2 12 34 56,az,dmanisi,sheet,2026-10-02,\n"  # 4: a landline
        + "555 12 34 57,tr,dmanisi,sheet,2026-10-02,\n"  # 5
        + "555 12 34 58,az,tbilisi,sheet,2026-10-02,\n"  # 6
        + "555 12 34 59,az,dmanisi,,2026-10-02,\n"  # 7
        + "555 12 34 60,az,dmanisi,sheet,,\n"  # 8
        + "555 12 34 61,az,dmanisi,sheet,2027-01-01,\n"  # 9
        + "555 12 34 62,az,dmanisi,sheet,yesterday,\n"  # 10
        + "555 12 34 63,az,dmanisi,sheet,2026-10-02,hearings;football\n"  # 11
        + "0555123456,az,dmanisi,sheet,2026-10-02,\n"  # 12: line 2 again
        + "\n"  # 13: blank, ignored
    )
    async with sessions() as session:
        plan = await _plan(session, text)

    assert [str(p) for p in plan.problems] == [
        "line 3: phone: too_short",
        "line 4: phone: not_mobile",
        "line 5: language: unknown_language",
        "line 6: municipality: unknown_municipality",
        "line 7: consent_source: missing_consent",
        "line 8: consent_date: missing_consent",
        "line 9: consent_date: consent_date_in_future",
        "line 10: consent_date: invalid_consent_date (use YYYY-MM-DD)",
        "line 11: topics: unknown_topic: football",
        "line 12: phone: duplicate of line 2",
    ]
    assert [row.line for row in plan.rows] == [2]


async def test_a_file_with_problems_imports_nothing_unless_skipping(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault
) -> None:
    text = GOOD + "555,az,dmanisi,sheet,2026-10-02,\n"
    with pytest.raises(ValueError, match="nothing imported"):
        await _import(sessions, vault, text)
    assert await _contacts(sessions) == []

    result = await _import(sessions, vault, text, skip_invalid=True)

    assert (result.added, result.skipped_invalid) == ([2, 3, 4], 1)


async def test_numbers_that_refused_or_were_erased_are_not_imported(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault
) -> None:
    async with sessions() as session, session.begin():
        await remember_opt_out(session, vault, Channel.SMS, "+995555123457", "erased")

    result = await _import(sessions, vault, GOOD)

    assert (result.added, result.opted_out) == ([2, 4], [3])
    assert "+995555123457" not in [address for address, _ in await _contacts(sessions)]


async def test_each_import_is_audited_with_its_consent_source(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault
) -> None:
    await _import(sessions, vault, GOOD)
    await _import(sessions, vault, GOOD)

    async with sessions() as session:
        imports = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "contacts.import"))
        )
        per_person = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.imported"))
        )
    assert [(e.details["added"], e.details["known"]) for e in imports] == [(3, 0), (0, 3)]
    assert {e.actor for e in imports} == {"cli:test"}
    assert len(per_person) == 3
    assert per_person[0].details["consent_source"] == "village meeting sign-up sheet"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            "phone,language\n555 12 34 56,az\n",
            "line 1: header: missing column(s): municipality, consent_source, consent_date",
            id="columns",
        ),
        pytest.param(b"\xff\xfe p", "line 1: file: not UTF-8 text (invalid start byte)", id="not-utf8"),
    ],
)
async def test_a_file_that_is_not_a_contact_list_is_refused(
    sessions: async_sessionmaker[AsyncSession], text: str | bytes, problem: str
) -> None:
    data = text if isinstance(text, bytes) else text.encode()
    async with sessions() as session:
        plan = importer.read_contacts(data, await municipalities(session), now=NOW)
    assert [str(p) for p in plan.problems] == [problem]


async def test_spreadsheet_exports_with_bom_semicolons_and_headers_in_words(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    text = "\ufeffPhone;Language;Municipality;Consent source;Consent date\n555-12-34-56;Azərbaycanca;DMANISI;form;02/10/2026\n"
    async with sessions() as session:
        plan = await _plan(session, text)

    assert plan.problems == ()
    assert [(r.phone, r.language) for r in plan.rows] == [("+995555123456", "az")]


async def test_the_cli_reports_lines_and_refuses_then_imports(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "signups.csv"
    path.write_text(GOOD + "555,az,dmanisi,sheet,2026-10-02,\n", encoding="utf-8")
    env = {"DATABASE_URL": migrated_url, "STATE_DIR": str(tmp_path / "state")}

    refused = await asyncio.to_thread(CliRunner().invoke, app, ["contacts", "import", str(path)], env=env)
    skipped = await asyncio.to_thread(
        CliRunner().invoke, app, ["contacts", "import", str(path), "--skip-invalid"], env=env
    )
    again = await asyncio.to_thread(
        CliRunner().invoke, app, ["contacts", "import", str(path), "--skip-invalid"], env=env
    )

    assert refused.exit_code == 1
    assert "line 5: phone: too_short" in refused.output and "nothing imported" in refused.output
    assert skipped.exit_code == 0 and "imported 3;" in skipped.output
    assert again.exit_code == 0 and "imported 0; already known 3" in again.output
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 3
