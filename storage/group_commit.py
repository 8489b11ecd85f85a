"""Group commit: the inbound units of work of several people share one transaction, each person in order.

An inbound event (a Telegram update) is a unit: take its sender's lock, record its provider event id,
load what the handler needs about the sender, run the handler, commit. One transaction per unit spends
most of its round trips and CPU around the handler (pool checkout, BEGIN, lock, record, look-up, COMMIT).
Here the units waiting at a moment form a batch (at most `most`; up to `slots` batches at once), and the
batch does that work once for all of them: one statement takes every sender's advisory lock (sorted, so
two batches never wait on each other in a circle), one records every event id (`INSERT … ON CONFLICT DO
NOTHING RETURNING`: the ids it returns are new, the others were handled before), one query loads the
senders (`prepare`); then each unit's handler runs in turn, in its own task, on the batch's session; one
COMMIT ends the batch (the ORM writes what the handlers left pending together, e.g. every answered survey
response in one executemany), and only then does each unit return (its replies go out after the commit,
as before). Alone, a unit is a batch of one: no timer holds anyone back.

Guarantees kept: a sender's next unit cannot join before the previous one has returned (the caller holds
a per-sender lock around `run`), so one person's units stay in order; an event id is handled once; a unit
returns only once its transaction has committed. If a handler raises, the batch is rolled back: that
unit's exception propagates (an SQLAlchemy error is first retried alone: it may have been the batch's, e.g.
a deadlock with another replica, or an earlier unit's pending change flushed by this unit's query), and
every other unit of the batch runs again alone, in a transaction of its own, from the start (its lock,
record and look-up included), so a failure is never shared.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.inbound import record_events
from storage.locks import lock_addresses

log = logging.getLogger(__name__)

P = TypeVar("P")  # what `prepare` loads for a sender (a contact)
T = TypeVar("T")

Prepare = Callable[[AsyncSession, Sequence[str]], Awaitable[Mapping[str, P]]]


class Skipped(Enum):
    """What `run` returns for an event id recorded before: nothing was done."""

    DUPLICATE = "duplicate"


class _Signal(Enum):
    ALONE = "alone"  # run again in a transaction of its own


@dataclass(frozen=True)
class Event:
    """Where a unit comes from: its channel, its sender's address (None: no sender) and provider id."""

    channel: str
    address: str | None
    external_id: str


@dataclass(eq=False)
class _Unit(Generic[P, T]):
    event: Event
    work: Callable[[AsyncSession, P | None], Awaitable[T]]
    turn: asyncio.Future[tuple[AsyncSession, P | None] | Skipped | _Signal]
    done: asyncio.Future[bool]  # the unit to its batch: handled and flushed (True) or failed
    outcome: asyncio.Future[bool]  # the batch to the unit: committed (True) or rolled back


@dataclass
class GroupCommit(Generic[P]):
    """Runs units in shared transactions; see the module's docstring. `sessions` is asked for the
    session factory at each batch (the assembly's, or a test's)."""

    sessions: Callable[[], async_sessionmaker[AsyncSession]]
    prepare: Prepare[P]
    most: int = 16
    slots: int = 4
    _queue: deque[_Unit[P, Any]] = field(default_factory=deque)
    _busy: int = 0  # batches running (a counter, not the tasks: a finishing task must not strand a unit)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self, event: Event, work: Callable[[AsyncSession, P | None], Awaitable[T]]) -> T | Skipped:
        """`work(session, prepared)`'s result once its transaction has committed, or DUPLICATE."""
        loop = asyncio.get_running_loop()
        unit: _Unit[P, T] = _Unit(
            event, work, loop.create_future(), loop.create_future(), loop.create_future()
        )
        self._queue.append(unit)
        self._start()
        try:
            given = await unit.turn
        except asyncio.CancelledError:
            if unit in self._queue:
                self._queue.remove(unit)
            _settle(unit.done, False)  # a turn given meanwhile: the batch must not commit half of it
            raise
        if given is Skipped.DUPLICATE:
            return given
        if given is _Signal.ALONE:
            return await self._alone(unit)
        assert isinstance(given, tuple)
        session, prepared = given
        try:
            result = await work(session, prepared)
        except BaseException as exc:
            unit.done.set_result(False)
            if isinstance(exc, SQLAlchemyError):  # perhaps the batch's, not this unit's: once more, alone
                await asyncio.shield(unit.outcome)
                return await self._alone(unit)
            raise
        unit.done.set_result(True)
        if await asyncio.shield(unit.outcome):
            return result
        return await self._alone(unit)

    async def _alone(self, unit: _Unit[P, T]) -> T | Skipped:
        """The unit in a transaction of its own (its batch was rolled back for another unit)."""
        async with self.sessions()() as session, session.begin():
            fresh, prepared = await self._prologue(session, [unit])
            if not fresh:
                return Skipped.DUPLICATE
            return await unit.work(session, prepared.get(unit.event.address or ""))

    async def _prologue(
        self, session: AsyncSession, units: Sequence[_Unit[P, Any]]
    ) -> tuple[set[_Unit[P, Any]], Mapping[str, P]]:
        """Every sender's lock, every event recorded, the new events' senders loaded."""
        await lock_addresses(session, [(u.event.channel, u.event.address) for u in units if u.event.address])
        new = await record_events(session, [(u.event.channel, u.event.external_id) for u in units])
        fresh = {u for u in units if (u.event.channel, u.event.external_id) in new}
        addresses = sorted({u.event.address for u in fresh if u.event.address})
        return fresh, (await self.prepare(session, addresses) if addresses else {})

    def _start(self) -> None:
        if self._queue and self._busy < self.slots:
            self._busy += 1
            task = asyncio.create_task(self._drain(), name="group-commit")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        """Batches while units wait; at most `slots` of these run at once."""
        try:
            while self._queue:
                units: list[_Unit[P, Any]] = []
                ids: set[tuple[str, str]] = set()
                for unit in list(self._queue):
                    key = (unit.event.channel, unit.event.external_id)
                    if len(units) < self.most and key not in ids:  # a re-sent id waits for the next batch
                        self._queue.remove(unit)
                        units.append(unit)
                        ids.add(key)
                await self._batch(units)
        finally:
            self._busy -= 1
            self._start()  # only if units wait and this ended early (cancelled)

    async def _batch(self, units: list[_Unit[P, Any]]) -> None:
        handed: list[_Unit[P, Any]] = []
        committed = False
        try:
            async with self.sessions()() as session:
                try:
                    async with session.begin():
                        fresh, prepared = await self._prologue(session, units)
                        for unit in units:
                            if unit.turn.done():  # cancelled while it waited
                                continue
                            if unit not in fresh:
                                unit.turn.set_result(Skipped.DUPLICATE)
                                continue
                            unit.turn.set_result((session, prepared.get(unit.event.address or "")))
                            handed.append(unit)
                            if not await asyncio.shield(unit.done):
                                raise _Failed
                    committed = True
                except _Failed:
                    pass  # the unit's own exception is its task's to raise; the rollback is done
        except Exception:
            log.warning(
                "a shared transaction of %d updates failed; each runs alone", len(units), exc_info=True
            )
        finally:
            for unit in units:
                _settle(unit.turn, _Signal.ALONE)
            for unit in handed:
                _settle(unit.outcome, committed)


class _Failed(Exception):
    """A unit of the batch failed: roll the batch back."""


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)
