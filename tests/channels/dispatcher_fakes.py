"""A scripted channel sender and one fake clock for both the workers' wall time and their pacing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.delivery import SendOutcome
from channels.dispatcher import DeliveryWorkers
from channels.lane import Backoff
from channels.message import Outgoing
from channels.ratelimit import ChannelLimit
from storage.models.contacts import Channel

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class FakeTime:
    """Monotonic and wall-clock time that move together, and only when the workers sleep or a test
    says so: retries and pauses of minutes take no real time."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def monotonic(self) -> float:
        return 1000.0 + self.seconds

    def now(self) -> datetime:
        return START + timedelta(seconds=self.seconds)

    async def sleep(self, seconds: float) -> None:
        self.seconds += max(seconds, 0.0)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@dataclass
class Sent:
    address: str
    message: Outgoing
    language: str
    sms_latin: bool


@dataclass
class ScriptedSender:
    """Answers `sent` unless `script[address]` lists other outcomes (used up in order).

    `before_send` runs before each answer, to let a person act mid-broadcast.
    """

    channel: Channel = Channel.TELEGRAM
    script: dict[str, list[SendOutcome]] = field(default_factory=dict)
    before_send: Callable[[str], Awaitable[None]] | None = None
    sent: list[Sent] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)

    async def send(
        self,
        address: str,
        message: Outgoing,
        language: str,
        *,
        sms_latin: bool = False,
        sms_sender: str | None = None,
    ) -> SendOutcome:
        self.calls[address] += 1
        if self.before_send is not None:
            await self.before_send(address)
        planned = self.script.get(address)
        outcome = planned.pop(0) if planned else SendOutcome.sent(f"m{sum(self.calls.values())}")
        if outcome.kind == "sent":
            self.sent.append(Sent(address, message, language, sms_latin))
        return outcome


def make_workers(
    sessions: async_sessionmaker[AsyncSession], sender: ScriptedSender, time: FakeTime, **options: Any
) -> DeliveryWorkers:
    """Workers on fake time, fast limits (so pacing is not what a test measures) and no jitter."""
    limits: Mapping[Channel, ChannelLimit] = options.pop(
        "limits", {sender.channel: ChannelLimit(rate=1000, per_recipient=1)}
    )
    return DeliveryWorkers(
        sessions,
        {sender.channel: sender},
        limits,
        concurrency=options.pop("concurrency", 4),
        lease_seconds=options.pop("lease_seconds", 60),
        now=time.now,
        clock=time.monotonic,
        sleep=time.sleep,
        rng=lambda: 0.5,
        backoff=options.pop("backoff", Backoff(base=10, cap=600)),
        **options,
    )
