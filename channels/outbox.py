"""Writing to the outbox, and what the rest of the service asks of it (cancel, progress, receipts).

Every message a person receives that is not a direct reply is first a `deliveries` row with a unique
dedupe key; the delivery workers (`channels.dispatcher`) send it later. These functions flush but never
commit: the caller's transaction decides, so "campaign step fired" and "its messages queued" commit
together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from channels.message import Outgoing
from channels.payload import dump_outgoing
from channels.settings import DeliverySettings
from storage.base import utcnow
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery, DeliveryStatus

ENQUEUE_BATCH = 500  # rows per INSERT: 15 parameters each stays far below both databases' limits
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class OutboxItem:
    """One message for one person on one channel.

    `dedupe_key` names the occasion, e.g. `campaign:12:step:3:contact:456`: enqueueing the same key
    again is a no-op. `not_before` is when it may go at the earliest (quiet hours are the enqueuer's
    decision); None means now. A work notice to a staff member has `staff_id` and no `contact_id`.
    """

    dedupe_key: str
    contact_id: int | None
    channel: Channel
    address: str
    language: str
    message: Outgoing
    not_before: datetime | None = None
    campaign_id: int | None = None
    step_id: int | None = None
    staff_id: int | None = None


@dataclass(frozen=True)
class DeliveryProgress:
    pending: int = 0
    sending: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    unreachable: int = 0
    cancelled: int = 0
    undelivered: int = 0
    eta: timedelta | None = None  # time left at the configured rates; None when nothing is left

    @property
    def total(self) -> int:
        return sum(getattr(self, status.value) for status in DeliveryStatus)

    @property
    def remaining(self) -> int:
        return self.pending + self.sending


def _table() -> Table:
    return cast(Table, Delivery.__table__)


def _batches(items: Iterable[OutboxItem], size: int) -> Iterator[list[OutboxItem]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


async def enqueue(session: AsyncSession, items: Iterable[OutboxItem], *, now: datetime | None = None) -> int:
    """Queue messages; returns how many were new (existing dedupe keys are skipped, on both databases).

    `items` may be a generator: it is consumed in batches and never held whole.
    """
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = 0
    for batch in _batches(items, ENQUEUE_BATCH):
        rows = [_row(item, now) for item in batch]
        stmt = insert(_table()).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"])
        result = await session.execute(stmt.returning(_table().c.id))
        added += len(result.all())
    await session.flush()
    return added


def _row(item: OutboxItem, now: datetime) -> dict[str, Any]:
    return {
        "dedupe_key": item.dedupe_key,
        "contact_id": item.contact_id,
        "staff_id": item.staff_id,
        "channel": Channel(item.channel).value,
        "address": item.address,
        "language": item.language,
        "payload": dump_outgoing(item.message),
        "campaign_id": item.campaign_id,
        "step_id": item.step_id,
        "urgency": item.message.urgency.value,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "not_before": item.not_before or now,
        "created_at": now,
        "updated_at": now,
    }


async def cancel(
    session: AsyncSession, *, campaign_id: int, step_id: int | None = None, now: datetime | None = None
) -> int:
    """Withdraw what is not sent yet; returns how many messages were withdrawn.

    Messages a worker has claimed are withdrawn too: the worker checks again right before sending. One
    already on its way when this runs is recorded as sent, because it was.
    """
    stmt = update(Delivery).where(Delivery.campaign_id == campaign_id, Delivery.status.in_(OPEN_STATUSES))
    if step_id is not None:
        stmt = stmt.where(Delivery.step_id == step_id)
    stmt = stmt.values(
        status=DeliveryStatus.CANCELLED, last_error="cancelled", lease_until=None, updated_at=now or utcnow()
    )
    result = await session.execute(stmt, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount


async def progress(
    session: AsyncSession, *, campaign_id: int, rates: Mapping[str, float] | None = None
) -> DeliveryProgress:
    """Counts per status and the time left at each channel's rate (channels send side by side).

    `rates` (messages a second per channel) defaults to the configured ones (`DeliverySettings`).
    """
    rows = await session.execute(
        select(Delivery.status, Delivery.channel, func.count())
        .where(Delivery.campaign_id == campaign_id)
        .group_by(Delivery.status, Delivery.channel)
    )
    counts: dict[str, int] = {}
    open_per_channel: dict[str, int] = {}
    for status, channel, count in rows:
        counts[status] = counts.get(status, 0) + count
        if status in OPEN_STATUSES:
            open_per_channel[channel] = open_per_channel.get(channel, 0) + count
    if rates is None:
        rates = configured_rates(DeliverySettings())
    seconds = [left / rates.get(channel, 1.0) for channel, left in open_per_channel.items()]
    eta = timedelta(seconds=max(seconds)) if seconds else None
    by_status = {status.value: counts.get(status.value, 0) for status in DeliveryStatus}
    return DeliveryProgress(**by_status, eta=eta)


def configured_rates(settings: DeliverySettings) -> dict[str, float]:
    return {
        Channel.TELEGRAM.value: settings.telegram_limit().rate,
        Channel.SMS.value: settings.sms_messages_per_second,
    }


# A provider's receipt only moves a message forward: a late "sent" never undoes "delivered".
_RECEIPT_FROM: Mapping[DeliveryStatus, tuple[DeliveryStatus, ...]] = {
    DeliveryStatus.SENT: (DeliveryStatus.SENDING,),
    DeliveryStatus.DELIVERED: (DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.UNDELIVERED),
    DeliveryStatus.UNDELIVERED: (DeliveryStatus.SENDING, DeliveryStatus.SENT),
    DeliveryStatus.FAILED: (DeliveryStatus.SENDING, DeliveryStatus.SENT),
}


async def mark_by_provider_id(
    session: AsyncSession,
    provider_message_id: str,
    status: DeliveryStatus,
    error: str | None = None,
    *,
    channel: Channel = Channel.SMS,
    now: datetime | None = None,
) -> bool:
    """Apply a provider's status callback (Twilio: sent/delivered/undelivered/failed).

    Returns whether the message is known (True also when the receipt was stale and changed nothing).
    """
    if status not in _RECEIPT_FROM:
        raise ValueError(f"a receipt cannot set {status!r}")
    key = (Delivery.provider_message_id == provider_message_id, Delivery.channel == channel.value)
    values: dict[str, Any] = {"status": status, "updated_at": now or utcnow()}
    if error is not None:
        values["last_error"] = error
    await session.execute(
        update(Delivery).where(*key, Delivery.status.in_(_RECEIPT_FROM[status])).values(**values),
        execution_options={"synchronize_session": False},
    )
    return (await session.scalar(select(Delivery.id).where(*key).limit(1))) is not None
