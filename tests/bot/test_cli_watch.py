"""--watch: a progress line per reading until nothing waits, without real sleeping; the bar counts what
is no longer waiting; `hearing status --watch` ends at once when nothing is queued."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_watch import bar, progress_line, watch
from channels.tally import Standing, Tally
from tests.hearings.builders import hearing


def _tally(**counts: int) -> Tally:
    return Tally({("sms", "ka"): {Standing(k.replace("_", " ")): n for k, n in counts.items()}})


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [
        (0, 10, "[" + "." * 30 + "]"),
        (5, 10, "[" + "#" * 15 + "." * 15 + "]"),
        (10, 10, "[" + "#" * 30 + "]"),
        (0, 0, "[" + "#" * 30 + "]"),
    ],
)
def test_bar(done: int, total: int, expected: str) -> None:
    assert bar(done, total) == expected


def test_watch_until_nothing_waits() -> None:
    readings = iter(
        [
            _tally(queued=3, held_by_quiet_hours=1),
            _tally(queued=1, sent=2, failed=1),
            _tally(sent=3, failed=1, cancelled=2),
        ]
    )
    lines: list[str] = []
    slept: list[float] = []
    final = watch(lambda: next(readings), lines.append, slept.append)
    assert final.total[Standing.SENT] == 3 and slept == [2.0, 2.0]
    assert lines[0].endswith("0/4 done: 0 sent, 0 failed; 3 queued, 1 held by quiet hours")
    assert lines[1].endswith("3/4 done: 2 sent, 1 failed; 1 queued")
    assert lines[2] == "[" + "#" * 30 + "] 4/4 done: 3 sent, 1 failed; 0 queued"
    assert lines[3] == "done: nothing is waiting any more"


def test_watch_stops_after_the_readings_asked() -> None:
    lines: list[str] = []
    watch(lambda: _tally(held_by_pause=2), lines.append, lambda _: None, readings=3)
    assert len(lines) == 3 and lines[0].endswith("held by pause")
    assert progress_line(_tally(held_by_pause=2)).startswith("[" + "." * 30 + "] 0/2 done")


async def test_hearing_status_watch_ends_when_nothing_waits(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session, announced=False)
    args = ["hearing", "status", str(found.id), "--watch"]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env={"DATABASE_URL": migrated_url})
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("done: nothing is waiting any more")
