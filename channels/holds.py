"""The delivery lanes' learned pace and flood waits, kept where other processes can read them.

A lane writes its channel's state when it changes (a flood wait begins, the pace moves) and now and then
while it runs; `campaign status` in another process reads it. Rows of a process that stopped writing
for `FRESH` no longer count (it stopped or died), except a flood wait that has not ended yet.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.delivery_holds import DeliveryHold

REPLICA = f"{socket.gethostname()}:{os.getpid()}"[:120]
FRESH = timedelta(minutes=2)
PROVIDERS = {"telegram": "Telegram", "sms": "Twilio"}


@dataclass(frozen=True)
class ChannelState:
    """One channel as one process (or, from `current`, all of them together) sees it."""

    channel: str
    pace: float
    configured: float
    held_until: datetime | None = None
    held_chats: int = 0


async def publish(
    session: AsyncSession, state: ChannelState, *, now: datetime, replica: str = REPLICA
) -> None:
    row = await session.get(DeliveryHold, (state.channel, replica))
    if row is None:
        row = DeliveryHold(channel=state.channel, replica=replica)
        session.add(row)
    row.pace = state.pace
    row.configured = state.configured
    row.held_until = state.held_until
    row.held_chats = state.held_chats
    row.updated_at = now
    await session.flush()


async def current(session: AsyncSession, *, now: datetime) -> dict[str, ChannelState]:
    """Per channel: the processes' paces added up, and the latest flood wait still running."""
    rows = (await session.scalars(select(DeliveryHold))).all()
    merged: dict[str, ChannelState] = {}
    for row in rows:
        fresh = row.updated_at >= now - FRESH
        held = row.held_until if row.held_until is not None and row.held_until > now else None
        if not fresh and held is None:
            continue
        seen = merged.get(row.channel)
        pace = row.pace if fresh else 0.0
        if seen is None:
            merged[row.channel] = ChannelState(row.channel, pace, row.configured, held, row.held_chats)
            continue
        until = max((t for t in (seen.held_until, held) if t is not None), default=None)
        merged[row.channel] = ChannelState(
            row.channel,
            seen.pace + pace,
            max(seen.configured, row.configured),
            until,
            seen.held_chats + row.held_chats,
        )
    return merged


def describe(states: Mapping[str, ChannelState], zone: str = "Asia/Tbilisi") -> list[str]:
    """One line per channel for staff: the learned pace, and "held by Telegram until 14:03:12"."""
    lines = []
    for channel, state in sorted(states.items()):
        line = f"{channel}: pace {state.pace:.1f}/s of {state.configured:g}/s"
        if state.held_until is not None:
            local = state.held_until.astimezone(ZoneInfo(zone)).strftime("%H:%M:%S")
            line += f", held by {PROVIDERS.get(channel, channel)} until {local}"
        if state.held_chats:
            line += f", {state.held_chats} chat(s) held"
        lines.append(line)
    return lines
