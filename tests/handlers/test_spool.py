"""Store and forward for the webhooks (`handlers.spool.Intake`), with handling functions standing in for
the SMS and Telegram paths: answered within the budget, spooled when the database is slow or down,
replayed once per event and in order per sender, kept across a crash. The real webhooks and database
are drilled in `tests/security/test_inbound_spool.py`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from channels.spool import InboundSpool, SpoolEntry
from handlers.spool import KEPT, Intake, Kept, SpoolSettings
from storage.outage import DatabaseUnavailable

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BUDGET_MS = 100


class Database:
    """Stands in for the handling path: records what it handled, fails or stalls while told to."""

    def __init__(self) -> None:
        self.up = True
        self.stall = asyncio.Event()
        self.stall.set()
        self.handled: list[str] = []

    async def answers(self) -> bool:
        return self.up

    def handle(self, event: str) -> Callable[[], Awaitable[str]]:
        async def run() -> str:
            await self.stall.wait()
            if not self.up:
                raise DatabaseUnavailable("down")
            if event not in self.handled:  # the event id recorded once, as storage.inbound does
                self.handled.append(event)
            return f"reply to {event}"

        return run

    async def replay(self, entry: SpoolEntry) -> None:
        await self.handle(entry.event_id)()


def _entry(event: str, sender: str = "42", seconds: int = 0) -> SpoolEntry:
    return SpoolEntry("telegram", event, sender, T0 + timedelta(seconds=seconds), {"update_id": event})


@asynccontextmanager
async def _intake(directory: Path, database: Database) -> AsyncIterator[Intake]:
    intake = Intake(directory, "test", database.answers, SpoolSettings(inbound_spool_after_ms=BUDGET_MS))
    intake.register("telegram", database.replay)
    intake.start()
    try:
        yield intake
    finally:
        await intake.stop(timeout=5)


async def _eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def _settled(intake: Intake, database: Database, events: int) -> None:
    await _eventually(lambda: not intake.depth and len(database.handled) >= events, "not replayed")


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_fast_database_answers_with_the_reply_and_spools_nothing(tmp_path: Path) -> None:
    database = Database()
    async with _intake(tmp_path, database) as intake:
        assert await intake.take(_entry("1"), database.handle("1")) == "reply to 1"
        assert intake.depth == 0
    assert (tmp_path / "test.jsonl").stat().st_size == 0


async def test_a_slow_database_is_answered_within_the_budget_and_finished_later(tmp_path: Path) -> None:
    database = Database()
    database.stall.clear()
    late: list[str] = []
    async with _intake(tmp_path, database) as intake:
        started = time.perf_counter()
        answer = await intake.take(_entry("1"), database.handle("1"), on_late=late.append)
        waited = time.perf_counter() - started
        assert answer is KEPT and intake.depth == 1
        assert waited < BUDGET_MS / 1000 + 0.5
        database.stall.set()
        await _settled(intake, database, 1)
    assert database.handled == ["1"] and late == ["reply to 1"]
    assert (tmp_path / "test.jsonl").stat().st_size == 0


async def _busy(intake: Intake, database: Database, senders: int, each: float) -> list[str | Kept]:
    """`senders` people at once on a database that handles one event at a time, `each` seconds apiece."""
    one_at_a_time = asyncio.Lock()

    def handle(event: str) -> Callable[[], Awaitable[str]]:
        async def run() -> str:
            async with one_at_a_time:
                await asyncio.sleep(each)  # the database's work
                return await database.handle(event)()

        return run

    takes = (intake.take(_entry(str(n), sender=f"s{n}"), handle(str(n))) for n in range(senders))
    return list(await asyncio.gather(*takes))


async def test_a_busy_database_that_keeps_finishing_work_is_waited_for_not_spooled(tmp_path: Path) -> None:
    """Ten people at once, 40 ms each, one at a time: the last waits 400 ms, four budgets, but something
    finishes every 40 ms. Spooling them would answer Telegram early and invite each chat's next update."""
    database = Database()
    spooled = _metric("civicbot_inbound_spooled_total", channel="telegram")
    async with _intake(tmp_path, database) as intake:
        answers = await _busy(intake, database, senders=10, each=0.04)
        assert intake.depth == 0
    assert answers == [f"reply to {n}" for n in range(10)]
    assert _metric("civicbot_inbound_spooled_total", channel="telegram") == spooled
    assert (tmp_path / "test.jsonl").stat().st_size == 0


async def test_a_busy_database_is_waited_for_no_longer_than_the_patience(tmp_path: Path) -> None:
    database = Database()
    settings = SpoolSettings(inbound_spool_after_ms=BUDGET_MS, inbound_answer_within_ms=2 * BUDGET_MS)
    intake = Intake(tmp_path, "test", database.answers, settings)
    intake.register("telegram", database.replay)
    intake.start()
    try:
        started = time.perf_counter()
        answers = await _busy(intake, database, senders=10, each=0.04)
        waited = time.perf_counter() - started
        assert waited < 2 * BUDGET_MS / 1000 + 0.3, "answered once the patience was spent"
        assert answers[0] == "reply to 0" and KEPT in answers
        await _settled(intake, database, 10)
    finally:
        await intake.stop(timeout=5)
    assert sorted(database.handled, key=int) == [str(n) for n in range(10)], "each handled once"


async def test_a_database_outage_spools_and_replays_each_event_once_in_order_per_sender(
    tmp_path: Path,
) -> None:
    database = Database()
    database.up = False
    spooled = _metric("civicbot_inbound_spooled_total", channel="telegram")
    replayed = _metric("civicbot_inbound_replayed_total", channel="telegram", outcome="handled")
    arrivals = [("a1", "ana"), ("b1", "bakur"), ("a2", "ana"), ("a3", "ana"), ("b2", "bakur")]
    async with _intake(tmp_path, database) as intake:
        for n, (event, sender) in enumerate(arrivals):
            assert await intake.take(_entry(event, sender, n), database.handle(event)) is KEPT
        assert intake.depth == len(arrivals)
        await asyncio.sleep(0.3)  # the replayer probes meanwhile, and waits
        assert database.handled == []
        database.up = True
        await _settled(intake, database, len(arrivals))
    assert [e for e in database.handled if e.startswith("a")] == ["a1", "a2", "a3"]
    assert [e for e in database.handled if e.startswith("b")] == ["b1", "b2"]
    assert _metric("civicbot_inbound_spooled_total", channel="telegram") - spooled == len(arrivals)
    replayed_now = _metric("civicbot_inbound_replayed_total", channel="telegram", outcome="handled")
    assert replayed_now - replayed == len(arrivals)


async def test_a_later_event_waits_behind_its_senders_spooled_one(tmp_path: Path) -> None:
    """The database is back when the second message comes, but the first still waits: both in order."""
    database = Database()
    database.up = False
    async with _intake(tmp_path, database) as intake:
        await intake.take(_entry("a1", "ana"), database.handle("a1"))
        database.up = True
        assert await intake.take(_entry("a2", "ana", 1), database.handle("a2")) is KEPT
        assert await intake.take(_entry("b1", "bakur", 2), database.handle("b1")) == "reply to b1"
        await _settled(intake, database, 3)
    assert [e for e in database.handled if e.startswith("a")] == ["a1", "a2"]


async def test_a_re_sent_event_waiting_in_the_spool_is_answered_without_handling(tmp_path: Path) -> None:
    database = Database()
    database.up = False
    async with _intake(tmp_path, database) as intake:
        await intake.take(_entry("1"), database.handle("1"))
        calls: list[str] = []

        async def counted() -> str:
            calls.append("again")
            return "x"

        assert await intake.take(_entry("1"), counted) is KEPT
        assert calls == [] and intake.depth == 1


async def test_a_failure_that_is_not_the_database_propagates_and_is_not_kept(tmp_path: Path) -> None:
    database = Database()

    async def broken() -> str:
        raise ValueError("a bug")

    async with _intake(tmp_path, database) as intake:
        with pytest.raises(ValueError, match="a bug"):
            await intake.take(_entry("1"), broken)
        assert intake.depth == 0


async def test_events_spooled_before_a_crash_are_replayed_on_the_next_start(tmp_path: Path) -> None:
    spool = InboundSpool.open(tmp_path, "test")
    for n, event in enumerate(["1", "2", "3"]):
        await spool.append(_entry(event, seconds=n))
    spool.close()  # the process was killed here: nothing marked done

    database = Database()
    async with _intake(tmp_path, database) as second:
        await _settled(second, database, 3)
    assert database.handled == ["1", "2", "3"]


async def test_a_spooled_event_the_handler_refuses_is_given_up_not_retried_forever(tmp_path: Path) -> None:
    database = Database()
    database.up = False
    tries: list[str] = []

    async def refuses(entry: SpoolEntry) -> None:
        tries.append(entry.event_id)
        raise ValueError("cannot be handled")

    async with _intake(tmp_path, database) as intake:
        intake.register("telegram", refuses)
        await intake.take(_entry("1"), database.handle("1"))
        database.up = True
        await _eventually(lambda: not intake.depth, "never given up")
        await asyncio.sleep(0.6)  # a second pass would have come by now
    assert tries == ["1"]


async def test_past_the_in_flight_limit_events_go_straight_to_the_spool(tmp_path: Path) -> None:
    database = Database()
    database.stall.clear()
    intake = Intake(tmp_path, "test", database.answers,
                    SpoolSettings(inbound_spool_after_ms=BUDGET_MS, inbound_max_in_flight=2))  # fmt: skip
    intake.register("telegram", database.replay)
    intake.start()
    try:
        started: list[str] = []

        def counted(event: str) -> Callable[[], Awaitable[str]]:
            async def run() -> str:
                started.append(event)
                return await database.handle(event)()

            return run

        for n in range(4):
            assert await intake.take(_entry(str(n), sender=f"s{n}"), counted(str(n))) is KEPT
        assert started == ["0", "1"] and intake.depth == 4
        database.stall.set()
        await _settled(intake, database, 4)
    finally:
        await intake.stop(timeout=5)
    assert sorted(database.handled) == ["0", "1", "2", "3"]
