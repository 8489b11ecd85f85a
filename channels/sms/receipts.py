"""Twilio's status callbacks applied to the outbox: sent / delivered / undelivered / failed.

A receipt only moves a message forward (`channels.outbox.mark_by_provider_id`). Some error codes say the
number itself cannot get our SMS, not just this message; the address is then marked unreachable, so no
broadcast tries it again until the person writes to us.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.offers import record_receipt
from channels.outbox import mark_by_provider_id
from channels.sms.sender import SMS_UNSUBSCRIBED, UNSUBSCRIBED_CODE
from storage.base import utcnow
from storage.identities import set_identity_reachable
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery, DeliveryStatus

# Statuses we record; "queued", "accepted", "sending" and the like change nothing in the outbox.
RECEIPTS: Mapping[str, DeliveryStatus] = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
}
# The number cannot get our SMS. 30003 (handset off, out of coverage) and 30008 (unknown) are about one
# message and pass; 30007 is a carrier's content filter.
UNREACHABLE_CODES: Mapping[int, str] = {
    UNSUBSCRIBED_CODE: SMS_UNSUBSCRIBED,
    30004: "sms blocked by the recipient (twilio 30004)",
    30005: "unknown or inactive number (twilio 30005)",
    30006: "landline or unreachable carrier (twilio 30006)",
    21614: "not a mobile number (twilio 21614)",
}


@dataclass(frozen=True)
class Receipt:
    sid: str
    status: DeliveryStatus
    error_code: int | None = None
    to: str | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, object]) -> Receipt | None:
        """The receipt a callback's form carries; None for statuses we do not record."""
        sid = str(form.get("MessageSid") or "")
        status = RECEIPTS.get(str(form.get("MessageStatus") or "").lower())
        if not sid or status is None:
            return None
        raw_code = str(form.get("ErrorCode") or "")
        code = int(raw_code) if raw_code.isascii() and raw_code.isdigit() else None  # not "²" or "٣"
        return cls(sid, status, code, str(form.get("To") or "") or None)

    @property
    def unreachable_reason(self) -> str | None:
        return UNREACHABLE_CODES.get(self.error_code) if self.error_code is not None else None

    @property
    def error(self) -> str | None:
        if self.error_code is None:
            return None
        return self.unreachable_reason or f"twilio {self.error_code}"


async def mark_unreachable(session: AsyncSession, receipt: Receipt) -> bool:
    """Mark the recipient's number unreachable when the error code says so; True when it did."""
    reason = receipt.unreachable_reason
    if reason is None or not receipt.to:
        return False
    return await set_identity_reachable(session, Channel.SMS, receipt.to, False, reason) is not None


async def apply(session: AsyncSession, receipt: Receipt, *, now: datetime | None = None) -> bool:
    """Move the message's outbox row; False when no row has this SID (yet).

    The row is looked up before it is updated: a worker may be committing the SID right now, and an
    update that missed it must not be reported as applied. A receipt that moved the row also moves the
    question in front of the person (`channels.offers`): "delivered" makes this message the latest.
    """
    now = now or utcnow()
    found = (
        await session.execute(
            select(Delivery.id, Delivery.status)
            .where(Delivery.provider_message_id == receipt.sid, Delivery.channel == Channel.SMS.value)
            .limit(1)
        )
    ).first()
    if found is None:
        return False
    delivery_id, before = found
    await mark_by_provider_id(
        session, receipt.sid, receipt.status, receipt.error, channel=Channel.SMS, now=now
    )
    after = await session.scalar(select(Delivery.status).where(Delivery.id == delivery_id))
    if after is not None:
        await record_receipt(session, delivery_id, DeliveryStatus(before), DeliveryStatus(after), at=now)
    return True
