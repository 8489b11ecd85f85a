"""Group commit: units waiting together share a transaction; each is stored once, and a failure stays its own."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.group_commit import Event, GroupCommit, Skipped
from storage.models import InboundEvent


class Prepared:
    """A `prepare` that counts its calls (one per transaction) and hands each sender its name."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def __call__(self, session: AsyncSession, addresses: Sequence[str]) -> Mapping[str, str]:
        self.batches.append(list(addresses))
        return {address: f"person {address}" for address in addresses}


async def _stored(sessions: async_sessionmaker[AsyncSession], channel: str) -> Counter[str]:
    async with sessions() as session:
        rows = await session.scalars(select(InboundEvent.external_id).where(InboundEvent.channel == channel))
        return Counter(rows.all())


async def _mark(session: AsyncSession, name: str) -> None:
    """What a handler stores: a row we can count (an event id of a channel of the test's own)."""
    await session.execute(insert(InboundEvent).values(channel="work", external_id=name))


async def test_units_waiting_together_share_a_commit_and_each_returns_after_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    prepared = Prepared()
    group: GroupCommit[str] = GroupCommit(lambda: sessions, prepared, most=8, slots=1)
    calls: Counter[str] = Counter()

    async def one(n: int) -> None:
        async def work(session: AsyncSession, person: str | None) -> str:
            calls[str(n)] += 1
            await _mark(session, str(n))
            return f"{person} done"

        result = await group.run(Event("telegram", str(n), f"u{n}"), work)
        assert result == f"person {n} done"
        assert (await _stored(sessions, "work"))[str(n)] == 1  # committed before `run` returned

    await asyncio.gather(*(one(n) for n in range(20)))
    assert len(prepared.batches) < 20  # units that waited together shared a transaction
    assert max(len(batch) for batch in prepared.batches) <= 8
    assert sorted(a for batch in prepared.batches for a in batch) == sorted(str(n) for n in range(20))
    assert set(calls.values()) == {1}
    assert await _stored(sessions, "work") == Counter(str(n) for n in range(20))


async def test_an_event_recorded_before_is_skipped_without_running(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    group: GroupCommit[str] = GroupCommit(lambda: sessions, Prepared())
    ran: list[str] = []

    async def work(session: AsyncSession, person: str | None) -> None:
        ran.append(person or "")

    assert await group.run(Event("telegram", "7", "u1"), work) is None
    assert await group.run(Event("telegram", "7", "u1"), work) is Skipped.DUPLICATE
    assert ran == ["person 7"]


async def test_a_failing_unit_fails_alone_and_the_others_of_its_batch_are_stored_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    prepared = Prepared()
    group: GroupCommit[str] = GroupCommit(lambda: sessions, prepared, slots=1)
    calls: Counter[str] = Counter()

    def work_of(name: str) -> Callable[[AsyncSession, str | None], Awaitable[str]]:
        async def work(session: AsyncSession, person: str | None) -> str:
            calls[name] += 1
            await _mark(session, name)
            if name == "b":
                raise RuntimeError("handler failed")
            return name

        return work

    results = await asyncio.gather(
        *(group.run(Event("telegram", name, f"u-{name}"), work_of(name)) for name in "abc"),
        return_exceptions=True,
    )
    assert results[0] == "a" and results[2] == "c"
    assert isinstance(results[1], RuntimeError)
    assert prepared.batches[0] == ["a", "b", "c"]  # they did share a transaction
    assert calls == {"a": 2, "b": 1, "c": 1}  # a ran again alone; c's turn came after the failure
    assert await _stored(sessions, "work") == Counter({"a": 1, "c": 1})
    # the failed update was not recorded: Telegram's re-send of it is handled
    assert await _stored(sessions, "telegram") == Counter({"u-a": 1, "u-c": 1})


async def test_a_database_error_is_tried_once_more_alone(sessions: async_sessionmaker[AsyncSession]) -> None:
    group: GroupCommit[str] = GroupCommit(lambda: sessions, Prepared())
    attempts: list[int] = []

    async def work(session: AsyncSession, person: str | None) -> str:
        attempts.append(1)
        if len(attempts) == 1:  # e.g. a deadlock with another replica's batch
            await session.execute(insert(InboundEvent).values(channel="work", external_id=None))
        await _mark(session, "ok")
        return "stored"

    assert await group.run(Event("telegram", "9", "u9"), work) == "stored"
    assert len(attempts) == 2
    assert await _stored(sessions, "work") == Counter({"ok": 1})


async def test_a_unit_cancelled_while_it_waits_holds_nobody_up(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    group: GroupCommit[str] = GroupCommit(lambda: sessions, Prepared(), slots=1)
    release = asyncio.Event()

    async def slow(session: AsyncSession, person: str | None) -> str:
        await release.wait()
        await _mark(session, "first")
        return "first"

    async def quick(session: AsyncSession, person: str | None) -> str:
        await _mark(session, person or "")
        return "later"

    first = asyncio.ensure_future(group.run(Event("telegram", "1", "u1"), slow))
    await asyncio.sleep(0)
    waiting = asyncio.ensure_future(group.run(Event("telegram", "2", "u2"), quick))
    await asyncio.sleep(0)
    waiting.cancel()
    after = asyncio.ensure_future(group.run(Event("telegram", "3", "u3"), quick))
    release.set()
    assert await first == "first"
    assert await after == "later"
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await _stored(sessions, "work") == Counter({"first": 1, "person 3": 1})


async def test_a_change_left_pending_fails_its_own_unit_not_the_one_whose_query_flushed_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    group: GroupCommit[str] = GroupCommit(lambda: sessions, Prepared(), slots=1)

    async def leaves_a_bad_row(session: AsyncSession, person: str | None) -> str:
        session.add(InboundEvent(channel="work", external_id=None))  # fails when flushed
        return "a"

    async def queries(session: AsyncSession, person: str | None) -> str:
        await session.execute(select(InboundEvent.id).limit(1))  # autoflushes what the batch left pending
        await _mark(session, "b")
        return "b"

    a, b = await asyncio.gather(
        group.run(Event("telegram", "a", "u-a"), leaves_a_bad_row),
        group.run(Event("telegram", "b", "u-b"), queries),
        return_exceptions=True,
    )
    assert isinstance(a, IntegrityError)
    assert b == "b"
    assert await _stored(sessions, "work") == Counter({"b": 1})
    assert await _stored(sessions, "telegram") == Counter({"u-b": 1})
