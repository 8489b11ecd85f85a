"""The chat simulator's outbound side: a web page stands in for the phone, no provider is called.

A simulated person has an ordinary channel identity (Telegram or SMS, so every conversation behaves as it
does on that channel) whose address starts with `sim:` (`contacts.simulated`), which no Telegram id or
E.164 number can. What the outbox holds for such an address is "delivered" by the page itself:
`deliver_to_page` claims the due rows of one address, asks the same questions the delivery workers
ask right before sending (a STOP, an erasure), and records them sent, all inside the caller's
transaction, so no worker ever sees them pending. Rendering is the channel's own: `render_telegram` as
the page's HTML, `render_sms` with the segment count `count_segments` gives the SMS channel.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, update
from sqlalchemy.ext.asyncio import AsyncSession

from channels.claims import Claimed, Outcome, Verdict, recheck, record
from channels.message import Outgoing
from channels.payload import load_outgoing
from channels.sms.render import render_sms
from channels.sms.segments import SmsEncoding, count_segments
from channels.telegram.render import render_telegram
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery, DeliveryStatus

# The two styles the page plays: the channels whose conversations it walks.
STYLES: tuple[Channel, ...] = (Channel.TELEGRAM, Channel.SMS)
_LEASE = timedelta(minutes=1)
_T = cast(Table, Delivery.__table__)


@dataclass(frozen=True)
class Button:
    label: str
    data: str | None = None  # a choice (sent back when pressed)
    url: str | None = None  # a link button


@dataclass(frozen=True)
class PageMessage:
    """One message as the page shows it. Telegram: `html` (escaped by the channel) and button rows.
    SMS: `text` as the phone shows it, with its encoding and segment count."""

    channel: Channel
    html: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    text: str = ""
    segments: int = 0
    encoding: SmsEncoding | None = None
    edit: bool = False


def render_for_page(message: Outgoing, channel: Channel, lang: str, *, latin: bool = False) -> PageMessage:
    """The message exactly as `channel` renders it, made ready for the page."""
    if channel is Channel.SMS:
        body = render_sms(message, lang, latin=latin)
        info = count_segments(body)
        return PageMessage(
            channel, html.escape(body), text=body, segments=info.segments, encoding=info.encoding
        )
    rendered = render_telegram(message, lang)
    rows: list[tuple[Button, ...]] = []
    if rendered.reply_markup is not None:
        for row in rendered.reply_markup.inline_keyboard:
            rows.append(tuple(Button(b.text, data=b.callback_data, url=b.url) for b in row))
    return PageMessage(channel, rendered.text, tuple(rows), edit=message.edit)


async def deliver_to_page(
    session: AsyncSession, *, channel: Channel, address: str, now: datetime
) -> list[PageMessage]:
    """Deliver what is due for one simulated address, oldest first; withdrawn rows are recorded so.
    The caller makes sure the address is a simulated one: a real person's messages are the workers'."""
    claimed = await _claim(session, channel, address, now)
    if not claimed:
        return []
    verdicts = await recheck(session, claimed)
    outcomes: list[Outcome] = []
    shown: list[PageMessage] = []
    for row in claimed:
        verdict, reason = verdicts[row.id]
        if verdict is Verdict.GONE:
            continue
        if verdict is not Verdict.SEND:
            outcomes.append(Outcome(row, DeliveryStatus.CANCELLED, error=reason))
            continue
        message = load_outgoing(row.payload)
        shown.append(render_for_page(message, channel, row.language, latin=row.sms_latin))
        outcomes.append(Outcome(row, DeliveryStatus.SENT, provider_message_id=f"sim-{row.id}"))
    await record(session, outcomes, now)
    return shown


async def _claim(session: AsyncSession, channel: Channel, address: str, now: datetime) -> Sequence[Claimed]:
    stmt = (
        update(_T)
        .where(
            and_(
                _T.c.channel == channel.value,
                _T.c.address == address,
                _T.c.status == DeliveryStatus.PENDING.value,
                _T.c.not_before <= now,
            )
        )
        .values(
            status=DeliveryStatus.SENDING.value,
            lease_until=now + _LEASE,
            updated_at=now,
            attempts=_T.c.attempts + 1,
        )
        .returning(
            _T.c.id, _T.c.contact_id, _T.c.channel, _T.c.address, _T.c.language, _T.c.payload, _T.c.attempts
        )
    )
    rows = (await session.execute(stmt)).all()
    claimed = [
        Claimed(
            id=i,
            contact_id=person,
            channel=name,
            address=to,
            language=lang,
            payload=payload,
            attempts=attempts,
            lease_deadline=0.0,
        )
        for i, person, name, to, lang, payload, attempts in rows
    ]
    claimed.sort(key=lambda row: row.id)
    return claimed
