"""One channel's delivery loop: claim a batch, re-check it in small chunks, pace, send, record.

At most `batch_size` claimed rows and `concurrency` sends are held at a time, whatever the size of the
broadcast. A send's slot is freed only once its outcome is committed, so a crash leaves at most
`concurrency` messages sent but unrecorded: the only ones a restart can send twice.
Claims hold about `CLAIM_SECONDS` of sending, so a reply queued behind a broadcast is claimed within
seconds; replies go out before the broadcast rows already in hand. A flood wait of the whole channel
gives the rows in hand back to the table until it ends (`channels.pace` explains the pacing).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

from channels.claims import Claimed, Outcome, Verdict, claim, recheck
from channels.delivery import ChannelSender, OutcomeKind, SendOutcome
from channels.holds import ChannelState, publish
from channels.pace import Slot
from channels.payload import load_outgoing
from channels.ratelimit import ChannelPacer, Scope
from storage.db import unit_of_work
from storage.models.deliveries import DeliveryStatus

if TYPE_CHECKING:
    from channels.dispatcher import DeliveryWorkers

log = logging.getLogger(__name__)

OUTCOMES = Counter(
    "civicbot_deliveries_total", "Outbox messages finished, by channel and status", ["channel", "status"]
)
ANSWERS = Counter(
    "civicbot_provider_answers_total",
    "Send attempts by the provider's answer (sent, retry_after, unreachable, failed, ...)",
    ["channel", "answer"],
)
PACING_WAIT = Histogram(
    "civicbot_delivery_pacing_wait_seconds",
    "How long a send waited for its slot under the provider's limit",
    ["channel"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
THROTTLES = Counter(
    "civicbot_delivery_throttled_total", "429 answers, by channel and what they paused", ["channel", "scope"]
)

PACE = Gauge(
    "civicbot_delivery_pace_per_second",
    "The limit each channel has learned from 429s (sends go a headroom under it)",
    ["channel"],
)
LIMIT = Gauge(
    "civicbot_delivery_limit_per_second", "The configured limit the pace climbs back to", ["channel"]
)
HELD_UNTIL = Gauge(
    "civicbot_delivery_held_until_timestamp_seconds",
    "Unix time a provider's flood wait on the whole channel ends; 0 when not held",
    ["channel"],
)
HELD_CHATS = Gauge(
    "civicbot_delivery_held_recipients", "Recipients in a flood wait of their own", ["channel"]
)

DEFER_LIMIT = 5.0  # a recipient paused longer than this: the row goes back to the table, not a heap
CLAIM_SECONDS = 2.0  # a claim holds about this much sending, so replies queued later wait little
PUBLISH_EVERY = 10.0  # seconds between writes of an unchanged pace (keeps the row fresh for status)


@dataclass(frozen=True)
class Backoff:
    """Retry delay after the n-th transient failure: base * 2**(n-1), capped, then jittered ±50%."""

    base: float = 10.0
    cap: float = 900.0

    def delay(self, attempts: int, jitter: float) -> float:
        doubled: float = self.base * 2.0 ** max(0, attempts - 1)
        return min(self.cap, doubled) * (0.5 + jitter)


class DeliveryLane:
    def __init__(self, workers: DeliveryWorkers, sender: ChannelSender, pacer: ChannelPacer) -> None:
        self.w = workers
        self.sender = sender
        self.channel = sender.channel
        self.pacer = pacer
        self.check_size = max(workers.concurrency, min(workers.batch_size, int(pacer.limit.rate / 2)))
        self.claim_size = max(1, min(workers.batch_size, math.ceil(pacer.limit.rate * CLAIM_SECONDS)))
        self._backlog: deque[Claimed] = deque()  # claimed, not re-checked yet
        self._urgent: deque[Claimed] = deque()  # re-checked replies: before anything else
        self._ready: deque[Claimed] = deque()  # re-checked, to send in order
        self._deferred: list[tuple[float, int, Claimed]] = []  # waiting for their recipient's limiter
        self._seq = itertools.count()
        self._slots = asyncio.Semaphore(workers.concurrency)
        self._inflight: set[asyncio.Task[None]] = set()
        self._claiming: asyncio.Future[list[Claimed]] | None = None
        self._checking: asyncio.Task[None] | None = None
        self._published: tuple[float, float | None, int] | None = None
        self._published_at = float("-inf")
        self._publishing: asyncio.Task[None] | None = None
        LIMIT.labels(self.channel.value).set(pacer.pace.configured)
        PACE.labels(self.channel.value).set(pacer.pace.rate)

    async def run(self, *, until_idle: bool = False) -> None:
        """Deliver until cancelled, or (`until_idle`) until nothing is due and nothing is in flight."""
        try:
            while True:
                # A send slot first, then the next row: rows are re-checked a chunk at a time as slots
                # free up, so a STOP or a cancellation reaches all but the next chunk to go out.
                await self._slots.acquire()
                row = None
                try:
                    row = await self._next_row(until_idle)
                    if row is not None and await self._dispatch(row):
                        continue
                except BaseException:
                    if row is not None:  # cancelled while pacing: `_shutdown` gives it back
                        (self._urgent if row.reply else self._ready).appendleft(row)
                    self._slots.release()
                    raise
                self._slots.release()
                if row is None:
                    return
        finally:
            await self._shutdown()

    async def _next_row(self, until_idle: bool) -> Claimed | None:
        while True:
            self._collect_claim()
            if self._urgent:
                return self._urgent.popleft()
            if self._deferred and self._deferred[0][0] <= self.w.clock():
                return heapq.heappop(self._deferred)[2]
            if self._ready:
                self._prefetch()
                return self._ready.popleft()
            if self._checking is not None and not self._checking.done():
                await asyncio.wait({self._checking})
                continue
            if self._backlog:
                await self._check_chunk()
                continue
            self._maybe_publish()
            if self._claiming is not None:
                await self._await_claim()
                continue
            room = self._room()
            if room > 0 and await self._claim(room):
                continue
            if until_idle and not self._deferred and self.pacer.pace.held_for <= 0:
                if not self._inflight:
                    return None
                await asyncio.wait(set(self._inflight))  # their outcomes may make rows due again
                continue
            wait = self.w.poll_seconds
            if self._deferred:
                wait = min(wait, max(0.0, self._deferred[0][0] - self.w.clock()))
            if (held := self.pacer.pace.held_for) > 0:  # claim again right when the flood wait ends
                wait = min(wait, held + 0.01)
            await self.w.sleep(wait)

    def _room(self) -> int:
        held = len(self._deferred) + len(self._backlog) + len(self._ready) + len(self._urgent)
        return min(self.claim_size, self.w.batch_size - held)

    def _prefetch(self) -> None:
        """While rows are still in hand, re-check the next chunk and claim the next batch in the
        background, so the lane never stops between two paced sends to wait for the database."""
        if (
            self._backlog
            and len(self._ready) <= self.check_size // 2
            and (self._checking is None or self._checking.done())
        ):
            self._checking = asyncio.create_task(self._check_chunk(), name=f"recheck-{self.channel}")
        in_hand = len(self._backlog) + len(self._ready)
        if self._claiming is None and in_hand <= self.claim_size // 2 and (room := self._room()) > 0:
            self._claiming = asyncio.ensure_future(self._claim_rows(room))

    async def _claim(self, limit: int) -> int:
        self._claiming = asyncio.ensure_future(self._claim_rows(limit))
        return await self._await_claim()

    async def _await_claim(self) -> int:
        # Not cancelled with us: when cancelled mid-claim, `_shutdown` still gets the rows to give back.
        assert self._claiming is not None
        await asyncio.wait({self._claiming})
        found = self._collect_claim()
        if found < 0:
            await self.w.sleep(self.w.poll_seconds)
        return max(found, 0)

    def _collect_claim(self) -> int:
        """Rows of a finished claim into the backlog: how many (-1 when the claim failed)."""
        task = self._claiming
        if task is None or not task.done():
            return 0
        self._claiming = None
        if task.cancelled():
            return 0
        if (exc := task.exception()) is not None:
            log.error("claiming %s deliveries failed; trying again", self.channel, exc_info=exc)
            return -1
        rows = task.result()
        self._backlog.extend(rows)
        return len(rows)

    async def _claim_rows(self, limit: int) -> list[Claimed]:
        deadline = self.w.clock() + self.w.lease_seconds - min(self.w.lease_seconds / 4, 10.0)
        async with self.w.writing, unit_of_work(self.w.sessions) as session:
            return await claim(
                session,
                channel=self.channel,
                limit=limit,
                now=self.w.now(),
                lease=timedelta(seconds=self.w.lease_seconds),
                deadline=deadline,
            )

    async def _check_chunk(self) -> None:
        chunk = [self._backlog.popleft() for _ in range(min(self.check_size, len(self._backlog)))]
        try:
            async with self.w.sessions() as session:
                verdicts = await recheck(session, chunk)
        except Exception:
            log.exception("re-checking %s deliveries failed; trying again", self.channel)
            self._backlog.extendleft(reversed(chunk))
            await self.w.sleep(self.w.poll_seconds)
            return
        except BaseException:  # cancelled: keep the rows where `_shutdown` gives them back
            self._backlog.extendleft(reversed(chunk))
            raise
        for row in chunk:
            verdict, reason = verdicts[row.id]
            if verdict is Verdict.SEND:
                (self._urgent if row.reply else self._ready).append(row)
            elif verdict is Verdict.CANCEL:
                self._finish(Outcome(row, DeliveryStatus.CANCELLED, reason))
            elif verdict is Verdict.UNREACHABLE:
                self._finish(Outcome(row, DeliveryStatus.UNREACHABLE, reason))

    async def _dispatch(self, row: Claimed) -> bool:
        """Pace `row` and hand it, with the caller's send slot, to a send task; False when it was set
        aside instead (the caller keeps the slot)."""
        if self.w.clock() >= row.lease_deadline:
            self._release(row)
            return False
        address = row.address or ""
        if (held := self.pacer.pace.held_for) > DEFER_LIMIT:
            self._release(row, retry_in=held)
            return False
        if (wait := self.pacer.recipient_delay(address, reply=row.reply)) > 0:
            self._defer(row, wait)
            return False
        started = self.w.clock()
        slot = await self.pacer.acquire(address, reply=row.reply)
        PACING_WAIT.labels(self.channel.value).observe(max(0.0, self.w.clock() - started))
        if slot is None:
            self._defer(row, self.pacer.recipient_delay(address, reply=row.reply))
            return False
        task = asyncio.create_task(self._send(row, slot), name=f"deliver-{row.id}")
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return True

    def _defer(self, row: Claimed, wait: float) -> None:
        ready_at = self.w.clock() + wait
        if wait > DEFER_LIMIT or ready_at >= row.lease_deadline:
            self._release(row, retry_in=wait)
        else:
            heapq.heappush(self._deferred, (ready_at, next(self._seq), row))

    async def _send(self, row: Claimed, slot: Slot) -> None:
        try:
            if self.w.clock() >= row.lease_deadline:
                outcome = self._release_outcome(row, 0.0)
            else:
                outcome = self._judge(row, await self._attempt(row, slot))
            await self.w.recorder.submit(outcome)
        except Exception:
            log.exception("recording delivery %s failed; it is sent again after its lease", row.id)
        finally:
            self._slots.release()

    async def _attempt(self, row: Claimed, slot: Slot) -> SendOutcome:
        try:
            message = load_outgoing(row.payload)
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            return SendOutcome.failed(f"unreadable payload: {exc!r}")
        started = self.w.clock()
        try:
            return await self.sender.send(
                row.address or "", message, row.language, sms_latin=row.sms_latin, sms_sender=row.sms_sender
            )
        except Exception as exc:  # an adapter bug or an unmapped error: retried, bounded by max_attempts
            log.exception("%s sender raised on delivery %s", self.channel, row.id)
            return SendOutcome.transient(f"{type(exc).__name__}: {exc}")
        finally:  # whatever came back, the send has arrived by now if it ever will
            self.pacer.answered(slot, started)

    def _judge(self, row: Claimed, result: SendOutcome) -> Outcome:
        now = self.w.now()
        ANSWERS.labels(self.channel.value, result.kind.value).inc()
        if result.kind is OutcomeKind.SENT:
            self.pacer.accepted()
            return Outcome(row, DeliveryStatus.SENT, provider_message_id=result.provider_message_id)
        if result.kind is OutcomeKind.RETRY_AFTER:
            seconds = result.retry_after or 1.0
            scope = self.pacer.throttled(row.address or "", seconds)
            THROTTLES.labels(self.channel.value, scope.value).inc()
            if scope is Scope.CHANNEL:
                if (held := self.pacer.pace.held_for) > DEFER_LIMIT:
                    self._set_aside(held)
                self._maybe_publish()
            return self._release_outcome(row, seconds, result.error)
        if result.kind is OutcomeKind.UNREACHABLE:
            return Outcome(row, DeliveryStatus.UNREACHABLE, result.error, mark_unreachable=True)
        if result.kind is OutcomeKind.TRANSIENT and row.attempts < self.w.max_attempts:
            delay = self.w.backoff.delay(row.attempts, self.w.rng())
            return Outcome(row, DeliveryStatus.PENDING, result.error, retry_at=now + timedelta(seconds=delay))
        error = result.error if result.kind is OutcomeKind.FAILED else f"gave up: {result.error}"
        return Outcome(row, DeliveryStatus.FAILED, error)

    def _release_outcome(self, row: Claimed, retry_in: float, error: str | None = None) -> Outcome:
        """Back to pending without counting the claim as an attempt (nothing went wrong with it)."""
        retry_at = self.w.now() + timedelta(seconds=retry_in)
        return Outcome(row, DeliveryStatus.PENDING, error, retry_at=retry_at, attempts=row.attempts - 1)

    def _release(self, row: Claimed, retry_in: float = 0.0) -> None:
        self._finish(self._release_outcome(row, retry_in))

    def _set_aside(self, retry_in: float) -> None:
        """A flood wait of the whole channel: every row in hand goes back to the table until it ends."""
        rows = [*self._backlog, *self._urgent, *self._ready, *(entry[2] for entry in self._deferred)]
        self._backlog.clear()
        self._urgent.clear()
        self._ready.clear()
        self._deferred.clear()
        for row in rows:
            self._release(row, retry_in=retry_in)

    def state(self) -> ChannelState:
        """What this lane has learned, with a flood wait's end on the wall clock."""
        pace = self.pacer.pace
        held = pace.held_for
        until = self.w.now() + timedelta(seconds=held) if held > 0 else None
        return ChannelState(
            self.channel.value, round(pace.rate, 2), pace.configured, until, self.pacer.held_chats()
        )

    def _maybe_publish(self) -> None:
        """Update the gauges; write the state for other processes when it changed (or now and then)."""
        state = self.state()
        label = self.channel.value
        PACE.labels(label).set(state.pace)
        HELD_UNTIL.labels(label).set(state.held_until.timestamp() if state.held_until else 0)
        HELD_CHATS.labels(label).set(state.held_chats)
        key = (state.pace, self.pacer.held_until, state.held_chats)
        since = self.w.clock() - self._published_at
        held_changed = self._published is None or key[1:] != self._published[1:]
        moved = since >= PUBLISH_EVERY and key != self._published
        due = held_changed or moved or since >= 6 * PUBLISH_EVERY
        if not due or (self._publishing is not None and not self._publishing.done()):
            return
        self._published, self._published_at = key, self.w.clock()
        self._publishing = asyncio.create_task(self._publish(state), name=f"publish-{label}")

    async def _publish(self, state: ChannelState) -> None:
        try:
            async with self.w.writing, unit_of_work(self.w.sessions) as session:
                await publish(session, state, now=self.w.now())
        except Exception as exc:  # only a report: delivery goes on without it
            log.warning("could not write the %s lane's pace: %s", self.channel, exc)

    def _finish(self, outcome: Outcome) -> None:
        """Record without waiting: nothing was sent, so nothing can be doubled if this is lost."""
        self.w.recorder.submit(outcome).add_done_callback(_log_failure)

    async def _shutdown(self) -> None:
        """Give back what was never sent, so another worker need not wait for the lease; let the
        sends in flight finish and record (those are never given back: they may have gone)."""
        if self._checking is not None and not self._checking.done():
            self._checking.cancel()  # its chunk goes back to the backlog
            await asyncio.wait({self._checking})
        rows = [*self._backlog, *self._urgent, *self._ready, *(entry[2] for entry in self._deferred)]
        if self._claiming is not None:
            with contextlib.suppress(Exception):
                rows.extend(await self._claiming)
        self._backlog.clear()
        self._urgent.clear()
        self._ready.clear()
        self._deferred.clear()
        for row in rows:
            self._release(row)
        if self._inflight:
            _, late = await asyncio.wait(set(self._inflight), timeout=self.w.shutdown_grace)
            for task in late:
                task.cancel()
        if self._publishing is not None:
            with contextlib.suppress(Exception):
                await self._publishing


def _log_failure(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.warning("could not record a delivery outcome: %s", exc)
