"""The delivery workers against a real database and a scripted sender, on fake time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels import outbox
from channels.claims import Outcome, claim, record
from channels.delivery import SendOutcome
from channels.ratelimit import ChannelLimit
from storage.db import unit_of_work
from storage.models.contacts import Channel, ChannelIdentity, Contact, ContactStatus, IdentityStatus
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.places import Municipality
from tests.channels.dispatcher_fakes import FakeTime, ScriptedSender, make_workers
from tests.channels.recipients import Person, add_people, items_for

Sessions = async_sessionmaker[AsyncSession]


async def _queue(
    sessions: Sessions, people: list[Person], time: FakeTime, channel: Channel = Channel.TELEGRAM
) -> None:
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people, channel=channel), now=time.now())


async def _by_address(sessions: Sessions) -> dict[str, Delivery]:
    async with sessions() as session:
        rows = (await session.scalars(select(Delivery))).all()
    return {row.address or f"erased:{row.id}": row for row in rows}


async def test_every_due_message_is_sent_once(sessions: Sessions) -> None:
    time, sender = FakeTime(), ScriptedSender()
    people = await add_people(sessions, 45)
    await _queue(sessions, people, time)
    await make_workers(sessions, sender, time, batch_size=10).drain()
    assert sorted(sender.calls) == sorted(p.address for p in people)
    assert set(sender.calls.values()) == {1}
    rows = await _by_address(sessions)
    assert {row.status for row in rows.values()} == {DeliveryStatus.SENT}
    assert all(row.attempts == 1 and row.provider_message_id and row.sent_at for row in rows.values())
    assert all(row.lease_until is None for row in rows.values())


async def test_a_message_waits_for_its_not_before(sessions: Sessions) -> None:
    time, sender = FakeTime(), ScriptedSender()
    people = await add_people(sessions, 1)
    (item,) = items_for(people)
    async with unit_of_work(sessions) as session:
        later = time.now() + timedelta(hours=8)  # after quiet hours, as the enqueuer decided
        await outbox.enqueue(session, [item.__class__(**{**item.__dict__, "not_before": later})])
    workers = make_workers(sessions, sender, time)
    await workers.drain()
    assert sender.calls == {}
    time.advance(8 * 3600)
    await workers.drain()
    assert sender.calls == {people[0].address: 1}


async def test_retry_after_puts_the_message_back_without_counting_an_attempt(sessions: Sessions) -> None:
    time = FakeTime()
    people = await add_people(sessions, 3)
    throttled = people[1].address
    sender = ScriptedSender(script={throttled: [SendOutcome.wait(30, "Too Many Requests: retry after 30")]})
    tries: list[float] = []

    async def note(address: str) -> None:
        if address == throttled:
            tries.append(time.seconds)

    sender.before_send = note
    await _queue(sessions, people, time)
    await make_workers(sessions, sender, time, concurrency=1).drain()
    row = (await _by_address(sessions))[throttled]
    assert (row.status, row.attempts, sender.calls[throttled]) == (DeliveryStatus.SENT, 1, 2)
    assert tries[1] - tries[0] >= 30


async def test_a_429_pauses_the_channel_for_retry_after(sessions: Sessions) -> None:
    time = FakeTime()
    people = await add_people(sessions, 4)
    sender = ScriptedSender(script={people[0].address: [SendOutcome.wait(12)]})
    await _queue(sessions, people, time)
    sent_at: dict[str, float] = {}

    async def note(address: str) -> None:
        sent_at.setdefault(address, time.seconds)

    sender.before_send = note
    await make_workers(sessions, sender, time, concurrency=1).drain()
    later = [sent_at[p.address] for p in people[1:]]
    assert min(later) >= sent_at[people[0].address] + 12


async def test_forbidden_marks_the_address_unreachable_and_is_never_retried(sessions: Sessions) -> None:
    time = FakeTime()
    people = await add_people(sessions, 2)
    blocked = people[0]
    sender = ScriptedSender(script={blocked.address: [SendOutcome.unreachable("Forbidden: bot was blocked")]})
    await _queue(sessions, people, time)
    workers = make_workers(sessions, sender, time)
    await workers.drain()
    time.advance(7 * 24 * 3600)
    await workers.drain()
    assert sender.calls[blocked.address] == 1
    row = (await _by_address(sessions))[blocked.address]
    assert (row.status, row.last_error) == (DeliveryStatus.UNREACHABLE, "Forbidden: bot was blocked")
    async with sessions() as session:
        identity = await session.scalar(
            select(ChannelIdentity).where(ChannelIdentity.address == blocked.address)
        )
        person = await session.get(Contact, blocked.contact_id)
    assert identity is not None and identity.status == IdentityStatus.UNREACHABLE
    assert person is not None and person.status == ContactStatus.UNREACHABLE


async def test_transient_errors_are_retried_with_backoff_then_fail(sessions: Sessions) -> None:
    time = FakeTime()
    people = await add_people(sessions, 1)
    address = people[0].address
    sender = ScriptedSender(script={address: [SendOutcome.transient("502 Bad Gateway")] * 3})
    await _queue(sessions, people, time)
    workers = make_workers(sessions, sender, time, max_attempts=3)
    retries = []
    for _ in range(3):
        await workers.drain()
        row = (await _by_address(sessions))[address]
        if row.status == DeliveryStatus.PENDING:
            retries.append((row.not_before - time.now()).total_seconds())
            time.advance(retries[-1])
    assert retries == [10, 20]  # base 10 s, doubled; jitter fixed at its midpoint
    assert sender.calls[address] == 3
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 3)
    assert row.last_error == "gave up: 502 Bad Gateway"


async def test_a_permanent_failure_is_not_retried(sessions: Sessions) -> None:
    time = FakeTime()
    people = await add_people(sessions, 1)
    sender = ScriptedSender(script={people[0].address: [SendOutcome.failed("Bad Request: can't parse")]})
    await _queue(sessions, people, time)
    workers = make_workers(sessions, sender, time)
    await workers.drain()
    time.advance(3600)
    await workers.drain()
    row = (await _by_address(sessions))[people[0].address]
    assert (row.status, row.last_error, sender.calls[people[0].address]) == (
        DeliveryStatus.FAILED,
        "Bad Request: can't parse",
        1,
    )


async def test_a_crashed_workers_rows_are_claimed_again_after_the_lease(sessions: Sessions) -> None:
    time, sender = FakeTime(), ScriptedSender()
    people = await add_people(sessions, 5)
    await _queue(sessions, people, time)
    async with unit_of_work(sessions) as session:  # a worker claims, then dies without a word
        held = await claim(
            session,
            channel=Channel.TELEGRAM,
            limit=3,
            now=time.now(),
            lease=timedelta(seconds=60),
            deadline=0,
        )
    workers = make_workers(sessions, sender, time)
    await workers.drain()
    assert len(sender.calls) == 2  # only the unclaimed ones; the lease still runs
    time.advance(61)
    await workers.drain()
    assert sorted(sender.calls) == sorted(p.address for p in people)
    rows = await _by_address(sessions)
    assert sorted(rows[p.address].attempts for p in people) == [1, 1, 2, 2, 2]
    assert {row.status for row in rows.values()} == {DeliveryStatus.SENT}
    assert {row.id for row in held} == {row.id for row in rows.values() if row.attempts == 2}


async def test_a_stale_worker_cannot_overwrite_a_newer_claim(sessions: Sessions) -> None:
    time = FakeTime()
    people = await add_people(sessions, 1)
    await _queue(sessions, people, time)
    lease = timedelta(seconds=60)
    async with unit_of_work(sessions) as session:
        (stale,) = await claim(
            session, channel=Channel.TELEGRAM, limit=1, now=time.now(), lease=lease, deadline=0
        )
    time.advance(61)
    async with unit_of_work(sessions) as session:
        (fresh,) = await claim(
            session, channel=Channel.TELEGRAM, limit=1, now=time.now(), lease=lease, deadline=0
        )
    async with unit_of_work(sessions) as session:
        await record(session, [Outcome(stale, DeliveryStatus.FAILED, "too late")], time.now())
    row = (await _by_address(sessions))[people[0].address]
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENDING, 2, None)
    async with unit_of_work(sessions) as session:
        await record(session, [Outcome(fresh, DeliveryStatus.SENT, provider_message_id="9")], time.now())
    row = (await _by_address(sessions))[people[0].address]
    assert (row.status, row.provider_message_id) == (DeliveryStatus.SENT, "9")


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ("unsubscribed", DeliveryStatus.CANCELLED, "unsubscribed"),
        ("erased", DeliveryStatus.CANCELLED, "erased"),
        ("deleted", DeliveryStatus.CANCELLED, "erased"),
        ("no consent", DeliveryStatus.CANCELLED, "no consent"),
        ("identity unreachable", DeliveryStatus.UNREACHABLE, "already unreachable"),
        ("identity removed", DeliveryStatus.CANCELLED, "address no longer registered"),
    ],
)
async def test_people_who_can_no_longer_be_written_to_are_skipped(
    sessions: Sessions, change: str, status: DeliveryStatus, reason: str
) -> None:
    time, sender = FakeTime(), ScriptedSender()
    person, other = await add_people(sessions, 2)
    await _queue(sessions, [person, other], time)
    async with unit_of_work(sessions) as session:
        who = Contact.id == person.contact_id
        mine = ChannelIdentity.contact_id == person.contact_id
        statement = {
            "unsubscribed": update(Contact).where(who).values(status=ContactStatus.UNSUBSCRIBED),
            "erased": update(Contact).where(who).values(status=ContactStatus.ERASED),
            "deleted": delete(Contact).where(who),
            "no consent": update(Contact).where(who).values(status=ContactStatus.PENDING),
            "identity unreachable": update(ChannelIdentity)
            .where(mine)
            .values(status=IdentityStatus.UNREACHABLE),
            "identity removed": delete(ChannelIdentity).where(mine),
        }[change]
        await session.execute(statement)
    await make_workers(sessions, sender, time).drain()
    assert list(sender.calls) == [other.address]
    rows = {row.contact_id: row for row in (await _by_address(sessions)).values()}
    mine_row = rows[None if change == "deleted" else person.contact_id]
    assert (mine_row.status, mine_row.last_error) == (status, reason)


async def test_a_stop_during_a_broadcast_stops_it_for_that_person(sessions: Sessions) -> None:
    time = FakeTime()
    people = await add_people(sessions, 6)
    quitter = people[4]

    async def quit_on_first_send(address: str) -> None:
        if address == people[0].address:
            async with unit_of_work(sessions) as session:
                await session.execute(
                    update(Contact)
                    .where(Contact.id == quitter.contact_id)
                    .values(status=ContactStatus.UNSUBSCRIBED)
                )

    sender = ScriptedSender(before_send=quit_on_first_send)
    await _queue(sessions, people, time)
    limits = {Channel.TELEGRAM: ChannelLimit(rate=2, per_recipient=1)}  # re-checked one by one
    await make_workers(sessions, sender, time, concurrency=1, limits=limits).drain()
    assert quitter.address not in sender.calls
    assert len(sender.calls) == 5
    assert (await _by_address(sessions))[quitter.address].status == DeliveryStatus.CANCELLED


async def test_a_campaign_cancelled_mid_broadcast_sends_nothing_more(sessions: Sessions) -> None:
    time = FakeTime()
    people = await add_people(sessions, 6)

    async def cancel_on_second_send(address: str) -> None:
        if address == people[1].address:
            async with unit_of_work(sessions) as session:
                await outbox.cancel(session, campaign_id=1)

    sender = ScriptedSender(before_send=cancel_on_second_send)
    await _queue(sessions, people, time)
    limits = {Channel.TELEGRAM: ChannelLimit(rate=2, per_recipient=1)}
    await make_workers(sessions, sender, time, concurrency=1, limits=limits).drain()
    rows = await _by_address(sessions)
    assert list(sender.calls) == [people[0].address, people[1].address]
    assert [rows[p.address].status for p in people] == [DeliveryStatus.SENT] * 2 + [
        DeliveryStatus.CANCELLED
    ] * 4


async def test_the_sms_latin_choice_reaches_the_sender(sessions: Sessions) -> None:
    time, sender = FakeTime(), ScriptedSender(channel=Channel.SMS)
    own, municipal, neither = await add_people(
        sessions, 3, first_address=995_555_100_000, channel=Channel.SMS
    )
    async with unit_of_work(sessions) as session:
        place = await session.scalar(select(Municipality).where(Municipality.code == "marneuli"))
        assert place is not None
        place.sms_latin = True
        await session.execute(update(Contact).where(Contact.id == own.contact_id).values(sms_latin=True))
        await session.execute(
            update(Contact).where(Contact.id == municipal.contact_id).values(municipality_id=place.id)
        )
    await _queue(sessions, [own, municipal, neither], time, channel=Channel.SMS)
    await make_workers(sessions, sender, time, limits={Channel.SMS: ChannelLimit(rate=100)}).drain()
    assert {s.address: s.sms_latin for s in sender.sent} == {
        own.address: True,
        municipal.address: True,
        neither.address: False,
    }


async def test_an_unreadable_payload_fails_without_a_send(sessions: Sessions) -> None:
    time, sender = FakeTime(), ScriptedSender()
    people = await add_people(sessions, 1)
    await _queue(sessions, people, time)
    async with unit_of_work(sessions) as session:
        await session.execute(update(Delivery).values(payload={"v": 99}))
    await make_workers(sessions, sender, time).drain()
    row = (await _by_address(sessions))[people[0].address]
    assert row.status == DeliveryStatus.FAILED
    assert row.last_error is not None and "unreadable payload" in row.last_error
    assert sender.calls == {}


async def test_two_workers_share_one_outbox_without_doubling(sessions: Sessions) -> None:
    time, sender = FakeTime(), ScriptedSender()
    people = await add_people(sessions, 120)
    await _queue(sessions, people, time)
    first = make_workers(sessions, sender, time, batch_size=7)
    second = make_workers(sessions, sender, time, batch_size=11)
    await asyncio.gather(first.drain(), second.drain())
    assert sorted(sender.calls) == sorted(p.address for p in people)
    assert set(sender.calls.values()) == {1}


async def test_stopping_gives_back_what_was_claimed_but_not_sent(sessions: Sessions) -> None:
    time = FakeTime()
    people = await add_people(sessions, 10)
    started, release = asyncio.Event(), asyncio.Event()

    async def hold_first(address: str) -> None:
        started.set()
        await release.wait()

    sender = ScriptedSender(before_send=hold_first)
    await _queue(sessions, people, time)
    stop = asyncio.Event()
    workers = make_workers(sessions, sender, time, concurrency=1)
    running = asyncio.create_task(workers.run(stop))
    await started.wait()
    stop.set()
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(running, 10)
    rows = await _by_address(sessions)
    assert [rows[p.address].status for p in people] == [DeliveryStatus.SENT] + [DeliveryStatus.PENDING] * 9
    assert [rows[p.address].attempts for p in people] == [1] + [0] * 9


async def test_claims_by_two_postgres_transactions_are_disjoint(sessions: Sessions) -> None:
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a second claim waits for the first to commit")
    time = FakeTime()
    people = await add_people(sessions, 30)
    await _queue(sessions, people, time)
    lease = timedelta(seconds=60)
    async with sessions() as first, sessions() as second, first.begin(), second.begin():
        mine = await claim(first, channel=Channel.TELEGRAM, limit=20, now=time.now(), lease=lease, deadline=0)
        theirs = await claim(
            second, channel=Channel.TELEGRAM, limit=20, now=time.now(), lease=lease, deadline=0
        )
    assert len(mine) == 20
    assert len(theirs) == 10
    assert not {row.id for row in mine} & {row.id for row in theirs}
