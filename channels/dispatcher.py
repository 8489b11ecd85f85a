"""The delivery workers: one lane per channel, one group-committing recorder, and the service component.

Any number of these may run, in one process or many, against one database: rows are claimed with a
lease, and a row whose lease runs out (its worker died) is claimed again. Quiet hours are not decided
here: whoever enqueues sets `not_before`, and the workers only respect it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

from aiogram import Bot
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.claims import Outcome, record
from channels.delivery import ChannelSender
from channels.lane import OUTCOMES, Backoff, DeliveryLane
from channels.pace import Clock, Sleep
from channels.ratelimit import ChannelLimit, ChannelPacer
from channels.settings import DeliverySettings
from channels.shared_limit import shared_pacers
from channels.sms.sender import sms_sender_from_settings
from channels.telegram.client import create_bot
from channels.telegram.pacing import pace_replies
from channels.telegram.sender import TelegramSender
from storage.base import utcnow
from storage.db import unit_of_work
from storage.models.contacts import Channel

log = logging.getLogger(__name__)


class OutcomeRecorder:
    """Writes outcomes in groups: every outcome waiting when a write starts goes into one transaction.

    Under load this turns a thousand sends a second into a few dozen commits; idle, it adds no delay.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime],
        *,
        writing: asyncio.Lock,
        max_batch: int = 500,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.sessions = sessions
        self.writing = writing
        self.now = now
        self.max_batch = max_batch
        self.sleep = sleep
        self._queue: asyncio.Queue[tuple[Outcome, asyncio.Future[None]] | None] = asyncio.Queue()

    def submit(self, outcome: Outcome) -> asyncio.Future[None]:
        """Queue an outcome; the future completes once it is committed (or could not be)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((outcome, future))
        return future

    async def run(self) -> None:
        """Write until `close()`: what was submitted before it is still written."""
        while (first := await self._queue.get()) is not None:
            batch = [first]
            closing = False
            while len(batch) < self.max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    closing = True
                    break
                batch.append(item)
            await self._write(batch)
            if closing:
                return

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def _write(self, batch: list[tuple[Outcome, asyncio.Future[None]]]) -> None:
        outcomes = [outcome for outcome, _ in batch]
        error: Exception | None = None
        for attempt in range(5):
            try:
                async with self.writing, unit_of_work(self.sessions) as session:
                    await record(session, outcomes, self.now())
                error = None
                break
            except Exception as exc:  # the database is away: keep the outcomes, try again shortly
                error = exc
                log.warning("writing %d delivery outcomes failed (%s); try %d", len(batch), exc, attempt + 1)
                await self.sleep(0.5 * 2**attempt)
        for outcome in outcomes:
            if error is None and outcome.retry_at is None:
                OUTCOMES.labels(outcome.row.channel, outcome.status.value).inc()
        for _, future in batch:
            if future.done():
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)


class DeliveryWorkers:
    """Delivers the outbox over the channels it has senders for, within each channel's limits."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        senders: Mapping[Channel, ChannelSender],
        limits: Mapping[Channel, ChannelLimit],
        concurrency: int = 16,
        lease_seconds: float = 120.0,
        *,
        now: Callable[[], datetime] = utcnow,
        max_attempts: int = 5,
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        backoff: Backoff | None = None,
        shutdown_grace: float = 10.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        pacers: Callable[[Channel, ChannelLimit], ChannelPacer] | None = None,
    ) -> None:
        self.sessions = sessions
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.now = now
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.backoff = backoff or Backoff()
        self.shutdown_grace = shutdown_grace
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        # One write transaction at a time per process: on SQLite a claim and a recorder write would
        # otherwise collide on the database lock and sleep in its busy handler (milliseconds each).
        self.writing = asyncio.Lock()
        self.recorder = OutcomeRecorder(sessions, now, writing=self.writing, sleep=sleep)
        self.lanes = [
            DeliveryLane(
                self,
                sender,
                pacers(channel, limits[channel])
                if pacers
                else ChannelPacer(limits[channel], clock=clock, sleep=sleep),
            )
            for channel, sender in senders.items()
        ]

    def pacer(self, channel: Channel) -> ChannelPacer | None:
        """The channel's pacer, to share with whatever else sends on it (the interactive replies)."""
        return next((lane.pacer for lane in self.lanes if lane.channel == channel), None)

    async def run(self, stop_event: asyncio.Event) -> None:
        """Deliver until `stop_event` is set (or this task is cancelled), then stop cleanly: unsent
        claims are given back, sends in flight finish and are recorded."""
        await self._with_recorder(stop_event, until_idle=False)

    async def drain(self) -> None:
        """Deliver everything due now, retries that fall due meanwhile included, then return."""
        await self._with_recorder(None, until_idle=True)

    async def _with_recorder(self, stop_event: asyncio.Event | None, *, until_idle: bool) -> None:
        recorder = asyncio.create_task(self.recorder.run(), name="delivery-recorder")
        lanes = [
            asyncio.create_task(lane.run(until_idle=until_idle), name=f"delivery-{lane.channel}")
            for lane in self.lanes
        ]
        waiters: list[asyncio.Task[object]] = list(lanes)
        if stop_event is not None:
            waiters.append(asyncio.create_task(stop_event.wait()))
        try:
            pending = set(waiters)
            while pending and not (stop_event is not None and stop_event.is_set()):
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task in lanes and not task.cancelled() and (exc := task.exception()) is not None:
                        log.error("a delivery lane stopped", exc_info=exc)
        finally:
            for task in waiters:
                task.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)
            self.recorder.close()
            await recorder


class _TelegramConfig(Protocol):
    @property
    def enabled(self) -> bool: ...
    @property
    def telegram_bot_token(self) -> SecretStr | None: ...
    @property
    def telegram_api_base(self) -> str | None: ...


class _Config(Protocol):
    @property
    def telegram(self) -> _TelegramConfig: ...


class DeliveryHost(Protocol):
    """What the delivery component needs of the running service (`bot.app.Service`)."""

    @property
    def settings(self) -> _Config: ...
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def stopping(self) -> asyncio.Event: ...


def workers_from_settings(
    sessions: async_sessionmaker[AsyncSession],
    senders: Mapping[Channel, ChannelSender],
    settings: DeliverySettings,
) -> DeliveryWorkers:
    every = {Channel.TELEGRAM: settings.telegram_limit(), Channel.SMS: settings.sms_limit()}
    limits = {channel: every[channel] for channel in senders}
    fastest = max((limit.rate for limit in limits.values()), default=1.0)
    return DeliveryWorkers(
        sessions,
        senders,
        limits,
        concurrency=settings.concurrency_for(fastest),
        lease_seconds=settings.delivery_lease_seconds,
        max_attempts=settings.delivery_max_attempts,
        batch_size=settings.delivery_batch_size,
        poll_seconds=settings.delivery_poll_seconds,
        backoff=Backoff(settings.delivery_retry_base_seconds, settings.delivery_retry_max_seconds),
        pacers=shared_pacers(),  # REDIS_URL set: one limit for all replicas
    )


async def run_delivery(service: DeliveryHost) -> None:
    """The service component: deliver the outbox until the service stops.

    Uses its own Bot without the retry middleware: the workers pace and retry, and a session that slept
    on 429 by itself would hide flood control from them. The service's own Bot (interactive replies)
    is routed through the Telegram lane's pacer, so replies and the outbox share one budget.
    """
    settings = getattr(service.settings, "delivery", None)
    if not isinstance(settings, DeliverySettings):
        settings = DeliverySettings()
    telegram = service.settings.telegram
    senders: dict[Channel, ChannelSender] = {}
    bot = None
    if telegram.enabled and telegram.telegram_bot_token is not None:
        token = telegram.telegram_bot_token.get_secret_value()
        bot = create_bot(token, telegram.telegram_api_base, retry=False)
        senders[Channel.TELEGRAM] = TelegramSender(bot, paid_broadcast=settings.telegram_paid_broadcast)
    async with sms_sender_from_settings(service.settings) as sms:
        if sms is not None:
            senders[Channel.SMS] = sms
        if not senders:
            log.info("no delivery channel is configured: the outbox waits")
            return
        # aiogram's Bot API models leave ~250,000 long-lived objects that every full garbage collection
        # walks (0.4 s, stalling the loop mid-broadcast); nothing frees them, so stop scanning them.
        gc.freeze()
        try:
            log.info("delivery workers started for %s", ", ".join(senders))
            workers = workers_from_settings(service.sessions, senders, settings)
            replies_bot = getattr(service, "bot", None)
            if isinstance(replies_bot, Bot) and (pacer := workers.pacer(Channel.TELEGRAM)) is not None:
                pace_replies(replies_bot, pacer)
            await workers.run(service.stopping)
        finally:
            if bot is not None:
                await bot.session.close()
