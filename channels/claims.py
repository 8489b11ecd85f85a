"""The outbox queries the delivery workers run: claim due rows, re-check them, record what happened.

A claim marks rows `sending` until `lease_until` and adds one to `attempts`; that count is the claim's
fence: a worker records an outcome only `WHERE attempts = <the count it claimed with>`, so a worker
that stalled past its lease cannot overwrite the row another worker has claimed since.
PostgreSQL claims with `FOR UPDATE SKIP LOCKED` (workers never wait for or double-claim each other's
rows); SQLite has one writer at a time, so the same single UPDATE ... RETURNING is atomic there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from channels.offers import Shown, record_shown
from channels.replies import REPLY_PREFIX, is_reply
from storage.identities import set_identity_reachable
from storage.models.campaigns import Campaign, CampaignStatus, StaffMember
from storage.models.contacts import Channel, ChannelIdentity, Contact, ContactStatus, IdentityStatus
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.places import Municipality

_T = cast(Table, Delivery.__table__)


@dataclass
class Claimed:
    """A row this worker holds: what to send, and the fence (`attempts`) to record the outcome with."""

    id: int
    contact_id: int | None
    channel: str
    address: str | None
    language: str
    payload: dict[str, Any]
    attempts: int
    lease_deadline: float  # on the worker's monotonic clock, a margin before `lease_until`
    sms_latin: bool = False
    sms_sender: str | None = None  # the reader's municipality's own SMS sender, if it set one
    reply: bool = False  # a direct reply (`channels.replies`): sent before broadcasts


async def claim(
    session: AsyncSession, *, channel: Channel, limit: int, now: datetime, lease: timedelta, deadline: float
) -> list[Claimed]:
    """Up to `limit` rows of `channel` whose lease ran out or whose time has come: due replies first
    (someone is waiting for them, even behind a broadcast already due), then the oldest."""
    expired = and_(_T.c.status == DeliveryStatus.SENDING.value, _T.c.lease_until <= now)
    # A paused campaign holds its queued messages where they are; resuming lets them go again.
    paused = select(Campaign.id).where(Campaign.status == CampaignStatus.PAUSED.value)
    due = and_(
        _T.c.status == DeliveryStatus.PENDING.value,
        _T.c.not_before <= now,
        or_(_T.c.campaign_id.is_(None), _T.c.campaign_id.not_in(paused)),
    )
    reply_due = and_(due, _T.c.dedupe_key.startswith(REPLY_PREFIX, autoescape=True))
    claimed: list[Claimed] = []
    passes = ((reply_due, _T.c.not_before), (expired, _T.c.lease_until), (due, _T.c.not_before))
    for condition, order in passes:
        if len(claimed) >= limit:
            break
        chosen = (
            select(_T.c.id)
            .where(_T.c.channel == channel.value, condition)
            .order_by(order, _T.c.id)
            .limit(limit - len(claimed))
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(_T)
            .where(_T.c.id.in_(chosen.scalar_subquery()))
            .values(
                status=DeliveryStatus.SENDING.value,
                lease_until=now + lease,
                updated_at=now,
                attempts=_T.c.attempts + 1,
            )
            .returning(
                _T.c.id,
                _T.c.contact_id,
                _T.c.channel,
                _T.c.address,
                _T.c.language,
                _T.c.payload,
                _T.c.attempts,
                _T.c.dedupe_key,
            )
        )
        rows = (await session.execute(stmt)).all()
        claimed.extend(
            Claimed(
                id=row_id,
                contact_id=person,
                channel=name,
                address=address,
                language=language,
                payload=payload,
                attempts=attempts,
                lease_deadline=deadline,
                reply=is_reply(key),
            )
            for row_id, person, name, address, language, payload, attempts, key in rows
        )
    claimed.sort(key=lambda row: (not row.reply, row.id))
    return claimed


# The one message an erased person still gets: the confirmation that staff erased their data on request
# (`contacts.privacy.erase_on_request`); its address is scrubbed once sent (`contacts.retention`).
FAREWELL_PREFIX = "farewell:"


class Verdict(StrEnum):
    SEND = "send"
    GONE = "gone"  # no longer this worker's (cancelled, or claimed again after our lease ran out)
    CANCEL = "cancel"  # the person stopped, was erased, or never consented
    UNREACHABLE = "unreachable"  # this address is already known to be unreachable


async def recheck(session: AsyncSession, rows: Sequence[Claimed]) -> dict[int, tuple[Verdict, str | None]]:
    """Whether each row may still go, asked right before sending: a STOP mid-broadcast stops it for them.

    Fills in `sms_latin` (the person's choice, else their municipality's) and `sms_sender` (their
    municipality's own SMS sender) on rows that may go. A staff notice (`staff_id`) goes while its staff
    member is active and still has that Telegram id (a revoked member is told nothing more).
    """
    query = (
        select(
            _T.c.id,
            _T.c.status,
            _T.c.attempts,
            _T.c.address,
            _T.c.dedupe_key,
            Contact.status,
            Contact.sms_latin,
            Municipality.sms_latin,
            Municipality.sms_sender,
            ChannelIdentity.status,
            _T.c.staff_id,
            StaffMember.active,
            StaffMember.telegram_id,
        )
        .select_from(_T)
        .outerjoin(Contact, Contact.id == _T.c.contact_id)
        .outerjoin(
            ChannelIdentity,
            and_(
                ChannelIdentity.contact_id == Contact.id,
                ChannelIdentity.channel == _T.c.channel,
                ChannelIdentity.address == _T.c.address,
            ),
        )
        .outerjoin(Municipality, Municipality.id == Contact.municipality_id)
        .outerjoin(StaffMember, StaffMember.id == _T.c.staff_id)
        .where(_T.c.id.in_([row.id for row in rows]))
    )
    facts = {fact[0]: fact[1:] for fact in (await session.execute(query)).all()}
    verdicts: dict[int, tuple[Verdict, str | None]] = {}
    for row in rows:
        fact = facts.get(row.id)
        if fact is None or fact[0] != DeliveryStatus.SENDING or fact[1] != row.attempts:
            verdicts[row.id] = (Verdict.GONE, None)
            continue
        _, _, address, key, person, person_latin, place_latin, place_sender, identity, *member = fact
        if member[0] is not None:
            verdicts[row.id] = _judge_staff(address, *member[1:])
            continue
        verdicts[row.id] = (
            (Verdict.SEND, None)
            if key.startswith(FAREWELL_PREFIX) and person == ContactStatus.ERASED and address
            else _judge(address, person, identity, reply=is_reply(key))
        )
        row.sms_latin = bool(person_latin if person_latin is not None else place_latin)
        row.sms_sender = place_sender if row.channel == Channel.SMS.value else None
    return verdicts


def _judge(
    address: str | None, person: str | None, identity: str | None, *, reply: bool = False
) -> tuple[Verdict, str | None]:
    """A direct reply (`channels.replies`) also reaches someone signing up or who just sent STOP."""
    if person is None or address is None:
        return Verdict.CANCEL, "erased"
    if person == ContactStatus.ERASED or (person == ContactStatus.UNSUBSCRIBED and not reply):
        return Verdict.CANCEL, str(person)
    if person == ContactStatus.PENDING and not reply:
        return Verdict.CANCEL, "no consent"
    if identity is None:
        return Verdict.CANCEL, "address no longer registered"
    if identity == IdentityStatus.UNREACHABLE:
        return Verdict.UNREACHABLE, "already unreachable"
    return Verdict.SEND, None


def _judge_staff(
    address: str | None, active: bool | None, telegram_id: int | None
) -> tuple[Verdict, str | None]:
    if not active or address is None or address != str(telegram_id):
        return Verdict.CANCEL, "no longer staff"
    return Verdict.SEND, None


@dataclass(frozen=True)
class Outcome:
    """What to write for one claimed row. `retry_at` set: back to pending then (a reschedule, written
    only while the row is still `sending`); otherwise a final status, written even over a cancellation
    that came too late, because the message did go (or fail)."""

    row: Claimed
    status: DeliveryStatus
    error: str | None = None
    provider_message_id: str | None = None
    retry_at: datetime | None = None
    attempts: int | None = None  # the count to leave behind (one less when the claim did not count)
    mark_unreachable: bool = False  # also mark the person's address unreachable


_FINAL = (
    update(_T)
    .where(_T.c.id == bindparam("b_id"), _T.c.attempts == bindparam("b_fence"))
    .values(
        status=bindparam("b_status"),
        last_error=bindparam("b_error"),
        lease_until=None,
        provider_message_id=bindparam("b_provider_id"),
        sent_at=bindparam("b_sent_at"),
        updated_at=bindparam("b_now"),
    )
)
_RESCHEDULE = (
    update(_T)
    .where(
        _T.c.id == bindparam("b_id"),
        _T.c.attempts == bindparam("b_fence"),
        _T.c.status == DeliveryStatus.SENDING.value,
    )
    .values(
        status=DeliveryStatus.PENDING.value,
        last_error=bindparam("b_error"),
        lease_until=None,
        not_before=bindparam("b_retry_at"),
        attempts=bindparam("b_attempts"),
        updated_at=bindparam("b_now"),
    )
)


async def record(session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Write outcomes (one statement per kind, executed for many rows); an unreachable address is marked
    so on the person, in the same transaction."""
    final = [
        {
            "b_id": o.row.id,
            "b_fence": o.row.attempts,
            "b_status": o.status.value,
            "b_error": o.error,
            "b_provider_id": o.provider_message_id,
            "b_now": now,
            "b_sent_at": now if o.status == DeliveryStatus.SENT else None,
        }
        for o in outcomes
        if o.retry_at is None
    ]
    again = [
        {
            "b_id": o.row.id,
            "b_fence": o.row.attempts,
            "b_error": o.error,
            "b_retry_at": o.retry_at,
            "b_attempts": o.row.attempts if o.attempts is None else o.attempts,
            "b_now": now,
        }
        for o in outcomes
        if o.retry_at is not None
    ]
    if final:
        await session.execute(_FINAL, final)
        # Until a status callback says more, the send time is when its choices came in front of them.
        sent = [o.row for o in outcomes if o.retry_at is None and o.status == DeliveryStatus.SENT]
        shown = (Shown(r.contact_id, r.channel, r.id, r.payload, r.language) for r in sent)
        await record_shown(session, shown, at=now)
    if again:
        await session.execute(_RESCHEDULE, again)
    for outcome in outcomes:
        if outcome.mark_unreachable and outcome.row.address:
            await set_identity_reachable(
                session, Channel(outcome.row.channel), outcome.row.address, False, (outcome.error or "")[:200]
            )
