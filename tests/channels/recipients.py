"""Test recipients: consenting people with a Telegram identity, inserted in bulk, and outbox items for them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.message import Outgoing, Text
from channels.outbox import OutboxItem
from storage.base import utcnow
from storage.db import unit_of_work
from storage.models.contacts import Channel, ChannelIdentity, Contact, ContactStatus

BROADCAST = Outgoing(parts=(Text("Thank you."),))


@dataclass(frozen=True)
class Person:
    contact_id: int
    address: str


async def add_people(
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    *,
    first_address: int = 100_000,
    channel: Channel = Channel.TELEGRAM,
    language: str = "en",
    chunk: int = 2000,
) -> list[Person]:
    """`count` active, consenting people, each with one reachable address (Telegram ids from `first_address`)."""
    now = utcnow()
    people: list[Person] = []
    for start in range(0, count, chunk):
        addresses = [str(first_address + i) for i in range(start, min(count, start + chunk))]
        async with unit_of_work(sessions) as session:
            ids = (
                await session.scalars(
                    insert(Contact).returning(Contact.id),
                    [
                        {
                            "language": language,
                            "status": ContactStatus.ACTIVE,
                            "consent_at": now,
                            "consent_version": "t",
                            "topics": [],
                            "tags": [],
                            "dialog_data": {},
                            "created_at": now,
                            "updated_at": now,
                        }
                        for _ in addresses
                    ],
                )
            ).all()
            await session.execute(
                insert(ChannelIdentity),
                [
                    {"contact_id": contact_id, "channel": channel, "address": address, "created_at": now}
                    for contact_id, address in zip(ids, addresses, strict=True)
                ],
            )
        people.extend(Person(contact_id, address) for contact_id, address in zip(ids, addresses, strict=True))
    return people


def items_for(
    people: Sequence[Person],
    *,
    campaign_id: int = 1,
    step_id: int = 1,
    message: Outgoing = BROADCAST,
    language: str = "en",
    channel: Channel = Channel.TELEGRAM,
) -> Iterator[OutboxItem]:
    for person in people:
        yield OutboxItem(
            dedupe_key=f"campaign:{campaign_id}:step:{step_id}:contact:{person.contact_id}",
            contact_id=person.contact_id,
            channel=channel,
            address=person.address,
            language=language,
            message=message,
            campaign_id=campaign_id,
            step_id=step_id,
        )


async def contact(session: AsyncSession, contact_id: int) -> Contact:
    found = await session.scalar(select(Contact).where(Contact.id == contact_id))
    assert found is not None
    return found
