"""Direct replies through the outbox: what a person gets back when they write to us.

A reply is an outbox row like any broadcast (paced by the sender's rate limit, retried, tracked by status
callbacks) with a dedupe key starting with `reply:`. The delivery workers let such a row reach people a
broadcast must not reach: someone still signing up (no consent yet) or someone who just sent STOP and is
owed its confirmation. Replies are also where reply loops start (an auto-responder answering our answer),
so they are bounded here: one "did not understand" per person per window, and a cap on replies per window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.message import Outgoing
from channels.outbox import OutboxItem, enqueue
from channels.payload import load_outgoing
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery, DeliveryStatus

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


async def in_flight(session: AsyncSession, *, channel: Channel, address: str) -> bool:
    """Whether a message to this address is being sent right now (claimed, outcome not yet recorded)."""
    found = await session.scalar(
        select(Delivery.id)
        .where(
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.channel == channel.value,
            Delivery.address == address,
        )
        .limit(1)
    )
    return found is not None


async def recent_choices(
    session: AsyncSession,
    *,
    contact_id: int,
    channel: Channel,
    namespaces: Iterable[str],
    since: datetime,
    after_last_reply: bool = False,
    look_back: int = 20,
) -> list[str]:
    """The choices of the latest message sent to the person whose choices all belong to `namespaces`.

    How a bare "1" finds its question: a hearing notice's `hr:` RSVP, a poll invitation's `sv:` choice.
    Only messages that went out count (not one still waiting), newest first among the last `look_back`
    since `since`. `after_last_reply`: only a message sent after our latest reply to them (which asked
    the question of the conversation they are in), so the newer question is the one answered.
    """
    wanted = frozenset(namespaces)
    rows = await session.execute(
        select(Delivery.dedupe_key, Delivery.payload)
        .where(
            Delivery.contact_id == contact_id,
            Delivery.channel == channel.value,
            Delivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.DELIVERED)),
            Delivery.created_at >= since,
        )
        .order_by(Delivery.id.desc())
        .limit(look_back)
    )
    for key, payload in rows:
        data = _choice_data(payload)
        if data and all(item.partition(":")[0] in wanted for item in data):
            return data
        if after_last_reply and is_reply(key):
            return []
    return []


def _choice_data(payload: Mapping[str, Any] | None) -> list[str]:
    if not payload or not payload.get("choices"):
        return []
    try:
        message = load_outgoing(payload)
    except (KeyError, ValueError, TypeError, IndexError):
        return []
    return [choice.data for choice in message.choices]
