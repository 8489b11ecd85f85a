"""One turn of the chat simulator: what the page sent in, through the real channel's conversation code,
and every message the simulated person is owed, as the page shows them.

SMS style is the SMS channel itself (`SmsConversation` reads keywords and numbers; replies wait in the
outbox under the same reply rules); Telegram style routes like the Telegram routers and, as they do,
answers directly. Either way the outbox rows due to the simulated address are delivered to the page in
the same transaction (`channels.simulator.deliver_to_page`), and the person is flagged simulated
before anything commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from channels.i18n import DEFAULT_LANGUAGE
from channels.replies import enqueue_replies
from channels.simulator import STYLES, PageMessage, deliver_to_page, render_for_page
from contacts.simulated import flag_simulated, is_simulated
from handlers.context import AppContext
from handlers.simulator.telegram_style import TelegramStyle
from handlers.sms.conversation import Inbound, SmsConversation
from storage.base import utcnow
from storage.identities import find_identity
from storage.locks import lock_address
from storage.models import Channel, Contact


@dataclass(frozen=True)
class Turn:
    """What the page sent: typed `text`, or a pressed button's `data` (Telegram style only)."""

    style: Channel
    address: str
    text: str | None = None
    data: str | None = None
    language: str = DEFAULT_LANGUAGE  # the page's language: Telegram's `language_code`

    def __post_init__(self) -> None:
        if self.style not in STYLES or not is_simulated(self.address):
            raise ValueError("a simulator turn needs a simulated address and a Telegram or SMS style")


async def play(app: AppContext, turn: Turn, *, now: datetime | None = None) -> list[PageMessage]:
    """Handle one turn in one transaction; returns the messages to show, in order."""
    now = now or utcnow()
    async with app.sessions() as session, session.begin():
        await lock_address(session, turn.style.value, turn.address)
        shown: list[PageMessage] = []
        if turn.style is Channel.SMS:
            sid = f"SIM{secrets.token_hex(16)}"
            sms = Inbound(sid, turn.address, turn.text or "")
            answer = await SmsConversation(session, app.vault, app.policy, now).handle(sms)
            if answer.contact_id is None:  # no record any more: the farewell goes inline, as in TwiML
                shown = [render_for_page(r, Channel.SMS, answer.language) for r in answer.replies]
            else:
                await flag_simulated(session, Channel.SMS, turn.address)
                await enqueue_replies(
                    session,
                    contact_id=answer.contact_id,
                    channel=Channel.SMS,
                    address=turn.address,
                    language=answer.language,
                    event_id=sid,
                    replies=answer.replies,
                    understood=answer.understood,
                    now=now,
                )
        else:
            style = TelegramStyle(session, app, turn.address, turn.language, now)
            reply, language = await style.handle(text=turn.text, data=turn.data)
            await flag_simulated(session, Channel.TELEGRAM, turn.address)
            shown = [render_for_page(r, Channel.TELEGRAM, language) for r in reply]
        shown += await deliver_to_page(session, channel=turn.style, address=turn.address, now=now)
        return shown


async def collect(
    app: AppContext, style: Channel, address: str, *, now: datetime | None = None
) -> list[PageMessage]:
    """Messages that arrived since (a reminder, a notice): what the page polls for."""
    now = now or utcnow()
    async with app.sessions() as session, session.begin():
        return await deliver_to_page(session, channel=style, address=address, now=now)


async def person(app: AppContext, style: Channel, address: str) -> Contact | None:
    """The simulated person behind an address, if they exist (for the page's header)."""
    async with app.sessions() as session:
        identity = await find_identity(session, style, address)
        return None if identity is None else await session.get(Contact, identity.contact_id)
