"""Direct replies through the outbox: what a person gets back when they write to us.

A reply is an outbox row like any broadcast (paced by the sender's rate limit, retried, tracked by status
callbacks) with a dedupe key starting with `reply:`. The delivery workers let such a row reach people a
broadcast must not reach: someone still signing up (no consent yet) or someone who just sent STOP and is
owed its confirmation. Replies are also where reply loops start (an auto-responder answering our answer),
so they are bounded here: one "did not understand" per person per window, and a cap on replies per window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.message import Outgoing
from channels.outbox import OutboxItem, enqueue
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery

REPLY_PREFIX = "reply:"


def is_reply(dedupe_key: str) -> bool:
    return dedupe_key.startswith(REPLY_PREFIX)


@dataclass(frozen=True)
class ReplyLimits:
    """`window` bounds both rules: at most `per_window` replies, and one "did not understand"."""

    window: timedelta = timedelta(minutes=10)
    per_window: int = 20


async def enqueue_replies(
    session: AsyncSession,
    *,
    contact_id: int,
    channel: Channel,
    address: str,
    language: str,
    event_id: str,
    replies: Sequence[Outgoing],
    understood: bool = True,
    now: datetime,
    limits: ReplyLimits | None = None,
) -> int:
    """Queue the replies to one inbound event; returns how many were queued.

    Keys name the event (`reply:sms:<event>:<n>`), so handling a provider's re-send twice queues once.
    A reply to something not understood is keyed by person and time window instead, so a second
    confusing message in the same window (or an auto-responder) gets nothing.
    """
    limits = limits or ReplyLimits()
    if not replies:
        return 0
    since = now - limits.window
    recent = await session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.contact_id == contact_id,
            Delivery.dedupe_key.startswith(REPLY_PREFIX, autoescape=True),
            Delivery.created_at >= since,
        )
    )
    room = limits.per_window - int(recent or 0)
    if room <= 0:
        return 0
    if understood:
        keys = [f"{REPLY_PREFIX}{channel.value}:{event_id}:{n}" for n in range(len(replies))]
    else:
        bucket = int(now.timestamp() // limits.window.total_seconds())
        keys = [
            f"{REPLY_PREFIX}{channel.value}:unclear:{contact_id}:{bucket}:{n}" for n in range(len(replies))
        ]
    items = [
        OutboxItem(key, contact_id, channel, address, language, message)
        for key, message in zip(keys[:room], replies[:room], strict=True)
    ]
    return await enqueue(session, items, now=now)


async def last_reply_at(session: AsyncSession, *, contact_id: int, channel: Channel) -> datetime | None:
    """When our latest reply to the person on `channel` was queued: the conversation they are in asked
    its last question then, so only something put in front of them later can be what they answer."""
    found: datetime | None = await session.scalar(
        select(func.max(Delivery.created_at)).where(
            Delivery.contact_id == contact_id,
            Delivery.channel == channel.value,
            Delivery.dedupe_key.startswith(REPLY_PREFIX, autoescape=True),
        )
    )
    return found
