"""Writing to the outbox and asking about it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels import outbox
from channels.message import Outgoing, Text
from channels.payload import load_outgoing
from storage import erasure
from storage.db import unit_of_work
from storage.models.contacts import Channel, Contact
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.channels.recipients import add_people, items_for

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> list[Delivery]:
    async with sessions() as session:
        return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())


async def test_enqueueing_the_same_key_twice_keeps_one_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    people = await add_people(sessions, 3)
    async with unit_of_work(sessions) as session:
        assert await outbox.enqueue(session, items_for(people), now=NOW) == 3
    async with unit_of_work(sessions) as session:
        assert await outbox.enqueue(session, items_for(people), now=NOW) == 0
    rows = await _rows(sessions)
    assert len(rows) == 3
    assert {row.status for row in rows} == {DeliveryStatus.PENDING}
    assert all(row.not_before == NOW and row.attempts == 0 for row in rows)
    assert load_outgoing(rows[0].payload) == Outgoing(parts=(Text("Thank you."),))


async def test_duplicates_within_one_call_count_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    people = await add_people(sessions, 2)
    items = [*items_for(people), *items_for(people[:1])]
    async with unit_of_work(sessions) as session:
        assert await outbox.enqueue(session, items) == 2
    assert len(await _rows(sessions)) == 2


async def test_a_generator_larger_than_a_batch_is_counted_exactly(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    people = await add_people(sessions, outbox.ENQUEUE_BATCH * 2 + 7)
    async with unit_of_work(sessions) as session:
        assert await outbox.enqueue(session, items_for(people[:300])) == 300
    async with unit_of_work(sessions) as session:
        assert await outbox.enqueue(session, items_for(people)) == len(people) - 300
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == len(people)


async def test_enqueue_leaves_the_commit_to_the_caller(sessions: async_sessionmaker[AsyncSession]) -> None:
    people = await add_people(sessions, 2)
    async with sessions() as session:
        assert await outbox.enqueue(session, items_for(people)) == 2
        await session.rollback()
    assert await _rows(sessions) == []


async def test_cancel_withdraws_only_unsent_messages_of_that_step(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    people = await add_people(sessions, 4)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people, step_id=1))
        await outbox.enqueue(session, items_for(people, step_id=2))
        await outbox.enqueue(session, items_for(people, campaign_id=9, step_id=1))
        first = people[0].contact_id
        await session.execute(
            update(Delivery)
            .where(Delivery.contact_id == first, Delivery.step_id == 1, Delivery.campaign_id == 1)
            .values(status="sent")
        )
    async with unit_of_work(sessions) as session:
        assert await outbox.cancel(session, campaign_id=1, step_id=1) == 3
    async with unit_of_work(sessions) as session:
        assert await outbox.cancel(session, campaign_id=1) == 4
    statuses = {(row.campaign_id, row.step_id, row.contact_id): row.status for row in await _rows(sessions)}
    assert statuses[(1, 1, people[0].contact_id)] == DeliveryStatus.SENT
    assert [statuses[(1, s, p.contact_id)] for s in (1, 2) for p in people[1:]] == [
        DeliveryStatus.CANCELLED
    ] * 6
    assert {statuses[(9, 1, p.contact_id)] for p in people} == {DeliveryStatus.PENDING}


async def test_progress_counts_and_estimates_from_each_channels_rate(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    telegram = await add_people(sessions, 60)
    sms = await add_people(sessions, 10, first_address=995_555_000_000, channel=Channel.SMS)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(telegram))
        await outbox.enqueue(session, items_for(sms, channel=Channel.SMS))
        await session.execute(
            update(Delivery).where(Delivery.contact_id == telegram[0].contact_id).values(status="delivered")
        )
        await session.execute(
            update(Delivery).where(Delivery.contact_id == telegram[1].contact_id).values(status="unreachable")
        )
    async with sessions() as session:
        seen = await outbox.progress(session, campaign_id=1, rates={"telegram": 29.0, "sms": 2.0})
        idle = await outbox.progress(session, campaign_id=404)
    assert (seen.pending, seen.delivered, seen.unreachable, seen.sent, seen.total) == (68, 1, 1, 0, 70)
    assert seen.eta == timedelta(seconds=5)  # SMS: 10 at 2/s; Telegram's 58 at 29/s take 2 s
    assert idle.total == 0
    assert idle.eta is None


async def test_receipts_move_a_message_forward_only(sessions: async_sessionmaker[AsyncSession]) -> None:
    people = await add_people(sessions, 1, first_address=995_555_000_001, channel=Channel.SMS)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people, channel=Channel.SMS))
        await session.execute(update(Delivery).values(status="sent", provider_message_id="SM123"))
    async with unit_of_work(sessions) as session:
        assert await outbox.mark_by_provider_id(session, "SM123", DeliveryStatus.DELIVERED)
        assert await outbox.mark_by_provider_id(session, "SM123", DeliveryStatus.SENT)  # late, stale
        assert not await outbox.mark_by_provider_id(session, "SM999", DeliveryStatus.DELIVERED)
        assert not await outbox.mark_by_provider_id(
            session, "SM123", DeliveryStatus.DELIVERED, channel=Channel.TELEGRAM
        )
    (row,) = await _rows(sessions)
    assert row.status == DeliveryStatus.DELIVERED


async def test_an_undelivered_receipt_keeps_the_providers_reason(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    people = await add_people(sessions, 1, first_address=995_555_000_002, channel=Channel.SMS)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people, channel=Channel.SMS))
        await session.execute(update(Delivery).values(status="sent", provider_message_id="SM5"))
    async with unit_of_work(sessions) as session:
        await outbox.mark_by_provider_id(session, "SM5", DeliveryStatus.UNDELIVERED, "30005 unknown handset")
    (row,) = await _rows(sessions)
    assert (row.status, row.last_error) == (DeliveryStatus.UNDELIVERED, "30005 unknown handset")


async def test_forgetting_a_recipient_withdraws_and_scrubs_their_rows(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    gone, kept = await add_people(sessions, 2)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for([gone, kept], step_id=1))
        await outbox.enqueue(session, items_for([gone, kept], step_id=2))
        await session.execute(update(Delivery).where(Delivery.step_id == 1).values(status="sent"))
    async with unit_of_work(sessions) as session:
        await erasure.forget(session, gone.contact_id)
    rows = {(row.contact_id, row.step_id): row for row in await _rows(sessions)}
    assert [rows[(gone.contact_id, s)].status for s in (1, 2)] == [
        DeliveryStatus.SENT,
        DeliveryStatus.CANCELLED,
    ]
    assert all(
        rows[(gone.contact_id, s)].address is None and rows[(gone.contact_id, s)].payload == {}
        for s in (1, 2)
    )
    assert rows[(kept.contact_id, 2)].status == DeliveryStatus.PENDING
    assert rows[(kept.contact_id, 2)].address == kept.address


async def test_deleting_a_person_keeps_their_delivery_history(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    (person,) = await add_people(sessions, 1)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for([person]))
    async with unit_of_work(sessions) as session:
        await session.execute(delete(Contact).where(Contact.id == person.contact_id))
    (row,) = await _rows(sessions)
    assert row.contact_id is None
    assert row.status == DeliveryStatus.PENDING
