"""What a simulated person can ask to be sent, because no campaign or announcement ever reaches them:
a poll invitation (the open polls, as `/polls` lists them) and the notices of upcoming hearings.

They go through the outbox and are delivered to the page like any message, so an SMS-style person
answers them with a number exactly as a real one answers an invitation or a notice.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from sqlalchemy import select

from channels.message import Outgoing
from channels.outbox import OutboxItem, enqueue
from channels.simulator import PageMessage, deliver_to_page
from contacts.simulated import is_simulated
from handlers.context import AppContext
from hearings import notices
from storage.base import utcnow
from storage.identities import find_identity
from storage.locks import lock_address
from storage.models import Channel, Contact
from storage.models.hearings import Hearing, HearingStatus
from surveys.engine import SurveyConversation

What = Literal["polls", "hearings"]
NOTICES_AT_ONCE = 3


async def receive(
    app: AppContext, style: Channel, address: str, what: What, *, now: datetime | None = None
) -> list[PageMessage]:
    """Queue the invitation or notices for the simulated person and deliver them to the page."""
    if not is_simulated(address):
        raise ValueError("only a simulated person can ask for messages")
    now = now or utcnow()
    async with app.sessions() as session, session.begin():
        await lock_address(session, style.value, address)
        identity = await find_identity(session, style, address)
        if identity is None:
            return []
        contact = await session.get_one(Contact, identity.contact_id)
        if not contact.simulated or not contact.has_consent:
            return []
        messages: list[Outgoing] = []
        if what == "polls":
            invitation = await SurveyConversation(session, contact, style, now).list_open()
            messages = [m for m in invitation if m.choices]
        elif contact.municipality_id is not None:
            hearings = await session.scalars(
                select(Hearing)
                .where(
                    Hearing.municipality_id == contact.municipality_id,
                    Hearing.status == HearingStatus.ANNOUNCED,
                    Hearing.starts_at > now,
                )
                .order_by(Hearing.starts_at, Hearing.id)
                .limit(NOTICES_AT_ONCE)
            )
            messages = [notices.notice(hearing) for hearing in hearings]
        batch = secrets.token_hex(6)
        items = [
            OutboxItem(
                f"sim:{what}:{contact.id}:{batch}:{n}", contact.id, style, address, contact.language, m
            )
            for n, m in enumerate(messages)
        ]
        if items:
            await enqueue(session, items, now=now)
        return await deliver_to_page(session, channel=style, address=address, now=now)
