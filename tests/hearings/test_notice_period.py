"""Minimum notice: days from the first announcement to the start, the same number benchmarking's "days of
notice" computes; a warning under HEARING_MIN_NOTICE_DAYS on announce and on a move, recorded in audit."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from benchmarking.figures import system_figures
from benchmarking.framework import Figure
from benchmarking.periods import add_period, window
from bot.cli import app
from hearings.notice_period import notice_days, too_short
from hearings.reschedule import reschedule
from storage.models import AuditEntry
from storage.models.campaigns import Role
from storage.models.hearings import Hearing
from tests.campaigns.people import add_staff
from tests.hearings.builders import NOW, STARTS, coordinator, hearing


@pytest.mark.parametrize(
    ("label", "announced", "starts", "minimum", "expected"),
    [
        ("two weeks: fine", NOW, NOW + timedelta(days=14), 7.0, None),
        ("exactly seven days: fine", NOW, NOW + timedelta(days=7), 7.0, None),
        ("three and a half days", NOW, NOW + timedelta(days=3, hours=12), 7.0, 3.5),
        ("a stricter municipality", NOW, NOW + timedelta(days=10), 14.0, 10.0),
        ("not announced yet: counted from now", None, NOW + timedelta(days=2), 7.0, 2.0),
    ],
)
def test_too_short(
    label: str, announced: datetime | None, starts: datetime, minimum: float, expected: float | None
) -> None:
    found = Hearing(starts_at=starts, announced_at=announced)
    assert too_short(found, NOW, minimum) == expected, label


async def test_recorded_notice_is_what_benchmarking_counts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)  # announced at NOW, starts 14 days later
        moved_at = NOW + timedelta(days=1)
        await reschedule(session, found.id, STARTS - timedelta(days=10), await coordinator(session), moved_at)
        days = notice_days(found, moved_at)
        audited = (
            await session.scalars(
                select(AuditEntry.details)
                .where(AuditEntry.action.in_(("hearing.announced", "hearing.rescheduled")))
                .order_by(AuditEntry.id)
            )
        ).all()
        period = await add_period(
            session, "2026-12", date(2026, 12, 1), date(2026, 12, 31), actor="test", now=moved_at
        )
    async with sessions() as session:
        figures = await system_figures(session, [window(period)])
    [value] = [v for (_, _, figure), v in figures.items() if figure == Figure.NOTICE_DAYS]
    assert days == pytest.approx(4 + 1 / 24)  # 1 December 10:00 UTC to 5 December 11:00 UTC
    assert value.value == pytest.approx(days, abs=1e-3)
    assert [entry["notice_days"] for entry in audited] == [14.04, 4.04]


async def test_cli_warns_of_short_notice(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        found = await hearing(session, now=now, announced=False, starts_at=now + timedelta(days=3))
        await add_staff(session, "nino", Role.OFFICER, "marneuli")
    args = ["hearing", "announce", str(found.id), "--as", "nino"]
    for env, warned in (({}, True), ({"HEARING_MIN_NOTICE_DAYS": "2"}, False)):
        result = await asyncio.to_thread(
            CliRunner().invoke, app, args, env={"DATABASE_URL": migrated_url, **env}
        )
        assert result.exit_code == 0, result.output
        assert ("less than the 7 days of HEARING_MIN_NOTICE_DAYS" in result.output) is warned
