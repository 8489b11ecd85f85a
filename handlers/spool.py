"""Store and forward for the inbound webhooks: answered within a budget, handled once, in order per sender.

A signed inbound event (a Twilio SMS, a Telegram update) is handled as before, and the webhook waits for
it. The spool is for a database that is stuck, not for one that is busy: if the handling transaction has
not committed within `INBOUND_SPOOL_AFTER_MS` (500 ms) and no other handling in this process has finished
in that time either, or the database could not be reached, the raw event is written to the local spool
(`channels.spool`, fsync'd) and the webhook answers 200: Telegram does not re-send, Twilio's message is
not lost. While other events keep finishing the database is moving, and the webhook keeps waiting, up to
`INBOUND_ANSWER_WITHIN_MS` (5 s; Telegram waits 60 s for an answer, Twilio 15 s). Answering a busy
database's events early would undo the providers' own back-pressure (Telegram sends a chat's next update
only once the last one was answered) and turn overload into a spool of everything. Handling goes on in
the background; if it commits, the spooled copy is marked done, if the database failed, the copy waits
for the replayer. Replies still go out only after their transaction committed. While
`INBOUND_MAX_IN_FLIGHT` events are being handled, the next ones go to the spool straight away: answering
fast must not pile up unbounded work on a database that is not keeping up.

One replayer per process feeds the spool through the same handling path once the database answers again:
each sender's events one at a time in arrival order, several senders side by side. A sender's later
event is not handled while an earlier one waits in the spool (it is spooled behind it), and the provider
event id recorded in the database skips whatever a crash made us replay twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar, cast, final

from prometheus_client import Counter, Gauge
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from channels.inbound_limits import sender_tag
from channels.spool import InboundSpool, SpoolEntry
from handlers.locks import SenderLocks
from storage.outage import database_unavailable

log = logging.getLogger(__name__)

R = TypeVar("R")
Replay = Callable[[SpoolEntry], Awaitable[None]]
Probe = Callable[[], Awaitable[bool]]

REPLAY_FIRST_SECONDS = 0.5  # the replayer's first wait after a failed pass, doubled up to the maximum
REPLAY_MAX_SECONDS = 5.0
REPLAY_SENDERS = 8  # senders replayed side by side

SPOOLED = Counter(
    "civicbot_inbound_spooled_total",
    "Inbound events written to the local spool because the database was slow or unavailable",
    ["channel"],
)
REPLAYED = Counter(
    "civicbot_inbound_replayed_total",
    "Spooled inbound events the replayer handled (outcome=handled) or gave up on (outcome=failed)",
    ["channel", "outcome"],
)
DEPTH = Gauge("civicbot_inbound_spool_depth", "Inbound events waiting in the local spool")


@final
class Kept:
    """What `Intake.take` returns for an event it left to the spool: the webhook answers without waiting
    for its handling (which goes on, or is replayed)."""

    def __repr__(self) -> str:
        return "KEPT"


KEPT: Final = Kept()


class SpoolUnavailable(Exception):
    """The event could not be written to the spool (a full or broken disk): it is not safe, say so."""


class SpoolSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    inbound_spool_after_ms: int = Field(
        default=500, ge=10, le=10_000, description="how long a webhook waits for a stuck database"
    )
    inbound_answer_within_ms: int = Field(
        default=5_000,
        ge=10,
        le=30_000,
        description="how long a webhook waits for a busy database (other events still finishing) at most",
    )
    inbound_max_in_flight: int = Field(
        default=200, ge=1, description="events handled at once; more arrivals go to the spool at once"
    )
    inbound_attempt_seconds: float = Field(
        default=60.0, gt=0, description="handling still unfinished after this is cancelled and replayed later"
    )


@dataclass(eq=False)
class Arrival:
    """One inbound event in this process; `number` orders arrivals (spooled ones from earlier runs first)."""

    number: int
    entry: SpoolEntry
    spooled: int | None = None  # its number in the spool file, once durable
    writing: asyncio.Future[None] | None = None
    done: bool = False


class Intake:
    """Built by the assembly; `start` opens the spool and the replayer, `stop` closes both.

    `probe` says whether the database answers (the replayer asks before each pass); `directory` and
    `name` place this process's spool file.
    """

    def __init__(
        self, directory: Path, name: str, probe: Probe, settings: SpoolSettings | None = None
    ) -> None:
        self.directory = directory
        self.name = name
        self.probe = probe
        self.settings = settings or SpoolSettings()
        self._spool: InboundSpool | None = None
        self._replays: dict[str, Replay] = {}
        self._locks = SenderLocks()
        self._waiting: dict[str, list[Arrival]] = {}  # spooled and not done, per sender, in order
        self._events: dict[tuple[str, str], Arrival] = {}  # the same, by provider event id
        self._numbers = itertools.count(1)
        self._tasks: set[asyncio.Future[Any]] = set()
        self._attempts: set[asyncio.Future[Any]] = set()
        self._wake = asyncio.Event()
        self._replayer: asyncio.Future[None] | None = None
        self._progress_at = -math.inf  # when a handling last finished (time.monotonic)

    @property
    def budget(self) -> float:
        return self.settings.inbound_spool_after_ms / 1000

    @property
    def patience(self) -> float:
        """The longest a webhook waits while the database is busy but moving (never below the budget)."""
        return max(self.settings.inbound_answer_within_ms, self.settings.inbound_spool_after_ms) / 1000

    @property
    def depth(self) -> int:
        return len(self._events)

    @property
    def idle(self) -> bool:
        """Nothing being handled and nothing waiting in the spool (what tests and a drain wait for)."""
        return not self._attempts and not self._events

    def register(self, channel: str, replay: Replay) -> None:
        """How the replayer hands a spooled event of `channel` to the normal handling path.

        `replay` raises what the database raised when it could not handle the event (it is kept)."""
        self._replays[channel] = replay

    def start(self) -> None:
        self._spool = InboundSpool.open(self.directory, self.name)
        for number, entry in self._spool.waiting():
            self._keep(Arrival(next(self._numbers), entry, spooled=number))
        if self.depth:
            log.warning("%d inbound events wait in %s; replayed once the database answers", self.depth,
                        self._spool.path)  # fmt: skip
        self._replayer = asyncio.ensure_future(self._replay_forever())

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Let handling in flight finish for up to `timeout` seconds (what is spooled is safe anyway)."""
        if self._replayer is not None:
            self._replayer.cancel()
            await asyncio.gather(self._replayer, return_exceptions=True)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._spool is not None:
            await self._spool.flush()
            self._spool.close()

    async def take(
        self,
        entry: SpoolEntry,
        handle: Callable[[], Awaitable[R]],
        on_late: Callable[[R], None] | None = None,
    ) -> R | Kept:
        """`handle()`'s result if it finished in time (see `_finishes_in_time`); else `KEPT` once `entry`
        is spooled.

        A failure that is not the database's propagates, as it did before the spool. `on_late` gets the
        result of a handling that finished after the budget.
        """
        if (entry.channel, entry.event_id) in self._events:
            log.info("inbound %s %s is already in the spool; answered", entry.channel, entry.event_id)
            return KEPT
        arrival = Arrival(next(self._numbers), entry)
        if len(self._attempts) >= self.settings.inbound_max_in_flight:  # the database is not keeping up
            await self._spool_it(arrival, f"{len(self._attempts)} events already being handled")
            return KEPT
        attempt = asyncio.ensure_future(self._attempt(arrival, handle))
        self._track(attempt)
        self._attempts.add(attempt)
        attempt.add_done_callback(self._attempts.discard)
        if await self._finishes_in_time(attempt):
            handled, result = attempt.result()
            return cast(R, result) if handled else KEPT
        await self._spool_it(arrival, self._why_late())
        attempt.add_done_callback(lambda done: _late(done, entry, on_late))
        return KEPT

    async def _finishes_in_time(self, attempt: asyncio.Future[Any]) -> bool:
        """Wait for `attempt` while the database is moving: until no handling has finished for a budget's
        length (stuck), or the patience is spent (busy beyond what a webhook may wait)."""
        started = time.monotonic()
        wait = self.budget
        while True:
            finished, _ = await asyncio.wait({attempt}, timeout=wait)
            if finished:
                return True
            now = time.monotonic()
            wait = min(self._progress_at + self.budget, started + self.patience) - now
            if wait <= 0:
                return False

    def _why_late(self) -> str:
        if time.monotonic() - self._progress_at > self.budget:
            return f"nothing was handled for {self.budget:.2f} s"
        return f"not handled within {self.patience:.2f} s"

    async def _attempt(self, arrival: Arrival, handle: Callable[[], Awaitable[R]]) -> tuple[bool, R | None]:
        entry = arrival.entry
        async with self._locks.hold(entry.key):
            if arrival.done:
                return False, None  # the replayer handled it while this waited for the sender's turn
            if any(other.number < arrival.number for other in self._waiting.get(entry.key, ())):
                await self._spool_it(arrival, "an earlier event of the same sender waits in the spool")
                return False, None
            try:
                async with asyncio.timeout(self.settings.inbound_attempt_seconds):
                    result = await handle()
            except Exception as exc:
                if not database_unavailable(exc):
                    self._finish(arrival)
                    raise
                await self._spool_it(arrival, f"the database is unavailable ({type(exc).__name__})")
                return False, None
            self._progress_at = time.monotonic()
            self._finish(arrival)
        return True, result

    async def _spool_it(self, arrival: Arrival, reason: str) -> None:
        """Make the event durable (once, however many ask) and wake the replayer."""
        if arrival.writing is None:
            arrival.writing = asyncio.ensure_future(self._write(arrival, reason))
            self._track(arrival.writing)
        try:
            await asyncio.shield(arrival.writing)
        except OSError as exc:
            raise SpoolUnavailable(str(exc)) from exc
        self._wake.set()

    async def _write(self, arrival: Arrival, reason: str) -> None:
        if arrival.done:
            return
        assert self._spool is not None, "Intake.start() opens the spool"
        entry = arrival.entry
        self._keep(arrival)  # before the write: a later event of the sender must queue behind it now
        try:
            arrival.spooled = await self._spool.append(entry)
        except OSError:
            self._forget(arrival)
            raise
        SPOOLED.labels(entry.channel).inc()
        if self.depth == 1:  # once per episode; every event below at INFO
            log.warning("the database did not take an inbound event in time: inbound events wait in %s "
                        "and are handled once it answers", self._spool.path)  # fmt: skip
        log.info("inbound %s %s from %s spooled: %s; %d waiting", entry.channel, entry.event_id,
                 sender_tag(entry.channel, entry.sender), reason, self.depth)  # fmt: skip
        if arrival.done:  # handled while being written
            await self._spool.done(arrival.spooled)

    def _keep(self, arrival: Arrival) -> None:
        self._waiting.setdefault(arrival.entry.key, []).append(arrival)
        self._waiting[arrival.entry.key].sort(key=lambda a: a.number)
        self._events[(arrival.entry.channel, arrival.entry.event_id)] = arrival
        DEPTH.set(self.depth)

    def _forget(self, arrival: Arrival) -> None:
        queue = self._waiting.get(arrival.entry.key, [])
        if arrival in queue:
            queue.remove(arrival)
        if not queue:
            self._waiting.pop(arrival.entry.key, None)
        self._events.pop((arrival.entry.channel, arrival.entry.event_id), None)
        DEPTH.set(self.depth)

    def _finish(self, arrival: Arrival) -> None:
        """Handled (or failed for good): out of the waiting lists at once, its `done` line soon."""
        arrival.done = True
        self._forget(arrival)
        if arrival.spooled is not None and not self._events:
            log.warning("the inbound spool is empty again: every spooled event was handled")
        if arrival.spooled is not None and self._spool is not None:
            self._track(asyncio.ensure_future(self._spool.done(arrival.spooled)))
        if self._waiting:
            self._wake.set()

    def _track(self, task: asyncio.Future[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _replay_forever(self) -> None:
        delay = REPLAY_FIRST_SECONDS
        while True:
            self._wake.clear()
            if self._waiting and not await self._replay_once():
                await asyncio.sleep(delay)  # an outage: new spooled events do not hurry the next probe
                delay = min(delay * 2, REPLAY_MAX_SECONDS)
                continue
            delay = REPLAY_FIRST_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), REPLAY_FIRST_SECONDS if self._waiting else None)

    async def _replay_once(self) -> bool:
        """One pass over the waiting senders; False when the database did not answer."""
        if not await self.probe():
            return False
        before = self.depth
        slots = asyncio.Semaphore(REPLAY_SENDERS)
        senders = sorted(self._waiting, key=lambda key: self._waiting[key][0].number)
        results = await asyncio.gather(*(self._replay_sender(key, slots) for key in senders))
        if before != self.depth:
            log.info("replayed spooled inbound events: %d waiting", self.depth)
        return all(results)

    async def _replay_sender(self, key: str, slots: asyncio.Semaphore) -> bool:
        if self._locks.busy(key):
            return True  # an event of this sender is being handled; it wakes the replayer when done
        async with slots, self._locks.hold(key):
            while queue := self._waiting.get(key):
                arrival = queue[0]
                entry = arrival.entry
                replay = self._replays.get(entry.channel)
                if replay is None:
                    return True  # that channel is off in this run: the event keeps
                try:
                    async with asyncio.timeout(self.settings.inbound_attempt_seconds):
                        await replay(entry)
                except Exception as exc:
                    if database_unavailable(exc):
                        return False
                    log.error("spooled inbound %s %s could not be handled (%s); given up",
                              entry.channel, entry.event_id, type(exc).__name__)  # fmt: skip
                    REPLAYED.labels(entry.channel, "failed").inc()
                else:
                    REPLAYED.labels(entry.channel, "handled").inc()
                    self._progress_at = time.monotonic()
                self._finish(arrival)
        return True


def _late(
    attempt: asyncio.Future[tuple[bool, R | None]],
    entry: SpoolEntry,
    on_late: Callable[[R], None] | None,
) -> None:
    """A handling that ended after the webhook answered: its result handed on, its failure logged."""
    if attempt.cancelled():
        return
    if (error := attempt.exception()) is not None:
        log.error("inbound %s %s failed after it was answered", entry.channel, entry.event_id,
                  exc_info=(type(error), error, error.__traceback__))  # fmt: skip
        return
    handled, result = attempt.result()
    if handled and on_late is not None:
        on_late(cast(R, result))
