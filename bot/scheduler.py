"""The campaign scheduler: APScheduler 3.x jobs rebuilt from the database, run by one leader at a time.

The database is the truth: at start-up and on every resync the jobs are rebuilt from the scheduled and
sending campaigns, due occurrences are fired (caught up after downtime within the misfire grace), and
what came back too late is recorded as missed. Firing is an idempotent enqueue, so a double fire (two
leaders for a moment, a job and a resync racing) sends nothing twice.

Leader election: on PostgreSQL only the process holding `pg_try_advisory_lock(LEADER_LOCK_KEY)` on a
dedicated connection schedules; the others retry every few seconds and take over when the leader's
connection ends (the lock goes with it). That connection asks the server for TCP keepalives, so a leader
whose host vanished without closing its socket (power loss, a partition) loses the lock within about
`idle + interval x count` seconds (25 s) instead of the kernel's two hours; and the leader's own check has a
timeout, so a leader cut off from the database steps down rather than scheduling alone.
On SQLite the single process is the leader. `civicbot_scheduler_leader` in /metrics is 1 on the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import Gauge
from pydantic import Field
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from campaigns.firing import fire_step
from campaigns.quiet import QuietSettings
from campaigns.schedule import TBILISI
from campaigns.staff_notices import report_finished
from campaigns.timetable import Occurrence, Timetable, record_missed, timetable
from hearings.reminders import run_hearing_reminders
from storage.base import utcnow
from storage.db import unit_of_work

if TYPE_CHECKING:
    from bot.app import Service

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = int.from_bytes(b"cb:sched", "big")  # one constant for every civicbot process
STEP_JOB = "step:"
# Server-side keepalives on the leader's connection: a vanished leader's backend ends, and its lock with it.
LEADER_KEEPALIVE = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}
LEADER_CHECK_TIMEOUT = 10.0  # seconds the leader's "still connected?" query may take before it steps down

LEADER = Gauge("civicbot_scheduler_leader", "1 while this process runs the campaign scheduler, else 0")


class SchedulerSettings(QuietSettings):
    """QUIET_HOURS (`campaigns.quiet`, whose settings source this shares) and how the scheduler runs."""

    scheduler_resync_seconds: float = Field(default=60.0, gt=0, description="rebuild jobs from the database")
    scheduler_misfire_grace_minutes: float = Field(default=360.0, ge=0, description="latest catch-up")
    scheduler_leader_retry_seconds: float = Field(default=5.0, gt=0, description="followers retry")

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.scheduler_misfire_grace_minutes)


class Leadership(Protocol):
    async def acquire(self) -> bool: ...
    async def still_held(self) -> bool: ...
    async def release(self) -> None: ...


class SoleLeader:
    """SQLite: one process owns the database file, so it always leads."""

    async def acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock held on its own autocommit connection.

    The lock lives exactly as long as that connection: a crashed leader's lock is released by the
    server, and a leader whose connection broke learns it at the next `still_held` and steps down.
    """

    def __init__(self, url: URL, key: int = LEADER_LOCK_KEY) -> None:
        connect_args: dict[str, object] = {}
        if url.get_driver_name() == "asyncpg":
            connect_args = {
                "server_settings": {**LEADER_KEEPALIVE, "application_name": "civicbot-scheduler"},
                "command_timeout": LEADER_CHECK_TIMEOUT,
                "timeout": LEADER_CHECK_TIMEOUT,
            }
        self.engine = create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
        self.key = key
        self.connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if self.connection is not None:
            return await self.still_held()
        try:
            connection = await (await self.engine.connect()).execution_options(isolation_level="AUTOCOMMIT")
        except (OSError, SQLAlchemyError) as exc:
            log.warning("scheduler leader election: database unreachable (%s)", exc)
            return False
        try:
            got = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        except (OSError, SQLAlchemyError) as exc:
            log.warning("scheduler leader election failed (%s)", exc)
            got = False
        self.connection = connection
        if got:
            return True
        await self._drop()
        return False

    async def still_held(self) -> bool:
        if self.connection is None:
            return False
        try:
            await asyncio.wait_for(self.connection.execute(text("SELECT 1")), LEADER_CHECK_TIMEOUT)
            return True
        except (OSError, DBAPIError, TimeoutError):
            log.warning("scheduler lost its leader connection; stepping down")
            await self._drop()
            return False

    async def release(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, DBAPIError):
                await self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            await self._drop()
        await self.engine.dispose()

    async def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(OSError, SQLAlchemyError):
                await connection.close()


class CampaignScheduler:
    """APScheduler jobs for the next occurrence of every live step, plus a periodic resync."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: SchedulerSettings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.jobs = AsyncIOScheduler(
            timezone=TBILISI,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(settings.grace.total_seconds()) or 1,
            },
        )
        self._busy = asyncio.Lock()  # one firing or resync at a time in this process

    async def start(self) -> None:
        self.jobs.start()
        self.jobs.add_job(
            self.sync,
            IntervalTrigger(seconds=self.settings.scheduler_resync_seconds),
            id="resync",
            replace_existing=True,
        )
        await self.sync()

    def shutdown(self) -> None:
        if self.jobs.running:
            self.jobs.shutdown(wait=False)

    async def sync(self) -> Timetable:
        """Fire what is due, record what is too late, point each step's job at its next occurrence, and
        tell the submitters of campaigns that have finished sending."""
        async with self._busy:
            now = self.clock()
            async with unit_of_work(self.sessions) as session:
                plan = await timetable(session, now, self.settings.grace)
            for missed in plan.missed:
                async with unit_of_work(self.sessions) as session:
                    if await record_missed(session, missed, now):
                        log.warning(
                            "step %s occurrence %s came too late to send", missed.step_id, missed.occurrence
                        )
            for due in plan.due:
                await self._fire(due.step_id, due.occurrence, now)
            self._point_jobs(plan.upcoming)
            await self._report_finished(now)
            return plan

    async def fire(self, step_id: int, occurrence: str) -> int:
        """A job's work: fire one occurrence, then resync so the step's next occurrence gets its job."""
        async with self._busy:
            queued = await self._fire(step_id, occurrence, self.clock())
        await self.sync()
        return queued

    async def _fire(self, step_id: int, occurrence: str, now: datetime) -> int:
        try:
            async with unit_of_work(self.sessions) as session:
                queued = await fire_step(session, step_id, occurrence, now, quiet=self.settings.quiet)
        except Exception:
            log.exception(
                "firing step %s occurrence %s failed; the next resync tries again", step_id, occurrence
            )
            return 0
        if queued:
            log.info("step %s occurrence %s: %s messages queued", step_id, occurrence, queued)
        return queued

    async def _report_finished(self, now: datetime) -> None:
        """Once per campaign however often it runs (`staff_notices.report_finished`)."""
        try:
            async with unit_of_work(self.sessions) as session:
                await report_finished(session, now)
        except Exception:
            log.exception("telling staff about finished campaigns failed; the next resync tries again")

    def _point_jobs(self, upcoming: Iterable[Occurrence]) -> None:
        wanted = {f"{STEP_JOB}{o.step_id}": o for o in upcoming}
        for job in self.jobs.get_jobs():
            if job.id.startswith(STEP_JOB) and job.id not in wanted:
                job.remove()
        for job_id, occurrence in wanted.items():
            job = self.jobs.get_job(job_id)
            if job is not None and list(job.args) == [occurrence.step_id, occurrence.occurrence]:
                continue
            self.jobs.add_job(
                self.fire,
                DateTrigger(run_date=occurrence.at),
                id=job_id,
                args=[occurrence.step_id, occurrence.occurrence],
                replace_existing=True,
            )


class SchedulerNode:
    """One process's part: wait for leadership, schedule while leading, step down when it is lost."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        leadership: Leadership,
        settings: SchedulerSettings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.leadership = leadership
        self.settings = settings
        self.clock = clock
        self.scheduler: CampaignScheduler | None = None

    @property
    def is_leader(self) -> bool:
        return self.scheduler is not None

    async def run(self, stopping: asyncio.Event) -> None:
        retry = self.settings.scheduler_leader_retry_seconds
        try:
            while not stopping.is_set():
                if not await self.leadership.acquire():
                    await _wait(stopping, retry)
                    continue
                try:
                    await self._lead(stopping, retry)
                except Exception:
                    log.exception("the campaign scheduler failed; starting it again")
                    await _wait(stopping, retry)
        finally:
            await self.leadership.release()

    async def _lead(self, stopping: asyncio.Event, retry: float) -> None:
        log.info("this process runs the campaign scheduler")
        self.scheduler = CampaignScheduler(self.sessions, self.settings, self.clock)
        LEADER.set(1)
        try:
            await self.scheduler.start()
            while not stopping.is_set() and await self.leadership.still_held():
                await _wait(stopping, retry)
        finally:
            self.scheduler.shutdown()
            self.scheduler = None
            LEADER.set(0)


async def _wait(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)


def leadership_for(url: URL) -> Leadership:
    return AdvisoryLock(url) if url.get_backend_name() == "postgresql" else SoleLeader()


async def run_reminders(service: Service) -> None:
    """The service component for hearing reminders, with the same quiet hours as campaigns."""
    await run_hearing_reminders(service, quiet=SchedulerSettings().quiet)


async def run_scheduler(service: Service) -> None:
    """The service component: run the campaign scheduler (when leader) until the service stops."""
    node = SchedulerNode(service.sessions, leadership_for(service.engine.url), SchedulerSettings())
    await node.run(service.stopping)
