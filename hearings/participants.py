"""Who takes part in a hearing, how to reach them, and forgetting them when they erase their data.

Messages about one hearing (reminders, cancellation, feedback) go to a known set of people, not to an
audience spec: each is reached once, on Telegram when reachable there, else by SMS, and only while they are
active (consented, not stopped, not erased). Keys already in the outbox are filtered out before inserting,
so the every-minute reminder run writes nothing (and burns no sequence numbers) once a reminder is queued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime

from sqlalchemy import Select, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience import CHANNEL_PREFERENCE, Recipient
from channels.message import Outgoing
from channels.outbox import OPEN_STATUSES, OutboxItem, enqueue
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus, IdentityStatus
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.hearings import HearingQuestion, HearingRsvp, QuestionStatus, Rsvp

KeyFor = Callable[[Recipient], str]


def rsvp_contacts(hearing_id: int, answers: Iterable[Rsvp]) -> Select[int]:
    return select(HearingRsvp.contact_id).where(
        HearingRsvp.hearing_id == hearing_id, HearingRsvp.answer.in_(list(answers))
    )


def asker_contacts(hearing_id: int) -> Select[int]:
    return select(HearingQuestion.contact_id).where(
        HearingQuestion.hearing_id == hearing_id, HearingQuestion.status != QuestionStatus.ERASED
    )


def rsvp_or_asked(hearing_id: int, answers: Iterable[Rsvp]) -> Select[int]:
    """People who gave one of `answers` or sent a question (each once)."""
    both = union(rsvp_contacts(hearing_id, answers), asker_contacts(hearing_id)).subquery()
    return select(both.c[0])


async def reach(session: AsyncSession, who: Select[int], batch: int = 1000) -> AsyncIterator[Recipient]:
    """Each active person among `who` once, on their preferred reachable channel, in id order."""
    last_id = 0
    ids = who.subquery()
    while True:
        contacts = (
            await session.scalars(
                select(Contact.id)
                .where(
                    Contact.id.in_(select(ids.c[0])),
                    Contact.id > last_id,
                    Contact.status == ContactStatus.ACTIVE,
                    Contact.consent_at.is_not(None),
                    Contact.simulated.is_(False),  # the chat simulator's people get no notices
                )
                .order_by(Contact.id)
                .limit(batch)
            )
        ).all()
        if not contacts:
            return
        rows = await session.execute(
            select(
                ChannelIdentity.contact_id,
                ChannelIdentity.channel,
                ChannelIdentity.address,
                ChannelIdentity.chat_id,
                Contact.language,
            )
            .join(Contact, Contact.id == ChannelIdentity.contact_id)
            .where(ChannelIdentity.contact_id.in_(contacts), ChannelIdentity.status == IdentityStatus.ACTIVE)
        )
        best: dict[int, Recipient] = {}
        for contact_id, channel, address, chat_id, language in rows:
            found = Recipient(contact_id, Channel(channel), chat_id or address, language)
            current = best.get(contact_id)
            if current is None or _rank(found.channel) < _rank(current.channel):
                best[contact_id] = found
        for contact_id in contacts:
            if contact_id in best:
                yield best[contact_id]
        last_id = contacts[-1]


def _rank(channel: Channel) -> int:
    return CHANNEL_PREFERENCE.index(channel) if channel in CHANNEL_PREFERENCE else len(CHANNEL_PREFERENCE)


async def send_to(
    session: AsyncSession,
    people: AsyncIterator[Recipient],
    message: Outgoing | Callable[[Recipient], Outgoing],
    key: KeyFor,
    *,
    not_before: datetime | None,
    now: datetime,
    batch: int = 500,
) -> int:
    """Queue `message` (or the message for each person, by channel and language) for everyone in
    `people` under their dedupe key; returns how many were new."""
    queued = 0
    chunk: list[OutboxItem] = []
    async for person in people:
        chunk.append(
            OutboxItem(
                dedupe_key=key(person),
                contact_id=person.contact_id,
                channel=person.channel,
                address=person.address,
                language=person.language,
                message=message if isinstance(message, Outgoing) else message(person),
                not_before=not_before,
            )
        )
        if len(chunk) >= batch:
            queued += await _enqueue_new(session, chunk, now)
            chunk = []
    if chunk:
        queued += await _enqueue_new(session, chunk, now)
    return queued


async def _enqueue_new(session: AsyncSession, items: list[OutboxItem], now: datetime) -> int:
    keys = [item.dedupe_key for item in items]
    found = await session.scalars(select(Delivery.dedupe_key).where(Delivery.dedupe_key.in_(keys)))
    existing = set(found.all())
    fresh = [item for item in items if item.dedupe_key not in existing]
    return await enqueue(session, fresh, now=now) if fresh else 0


async def withdraw(
    session: AsyncSession,
    hearing_id: int,
    kinds: Iterable[str],
    now: datetime,
    *,
    reason: str = "hearing cancelled",
) -> int:
    """Withdraw this hearing's messages of the given kinds ("notice", "rem") that have not gone yet
    (a claimed one too: the worker checks again right before sending)."""
    total = 0
    for kind in kinds:
        result = await session.execute(
            update(Delivery)
            .where(
                Delivery.dedupe_key.startswith(f"h{hearing_id}:{kind}", autoescape=True),
                Delivery.status.in_(OPEN_STATUSES),
            )
            .values(status=DeliveryStatus.CANCELLED, last_error=reason, lease_until=None, updated_at=now),
            execution_options={"synchronize_session": False},
        )
        total += int(getattr(result, "rowcount", 0) or 0)
    return total
