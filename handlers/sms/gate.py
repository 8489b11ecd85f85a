"""Which incoming SMS the conversation gets: numbers of allowed countries, within the flood limit.

The rules live in `channels.inbound_limits`; this applies them to Twilio's inbound. A number outside
`SMS_ALLOWED_COUNTRIES` is logged and left unanswered, with nothing stored. A number over the limit
has its message recorded (its MessageSid, so a re-send stays handled) but not read; a known, subscribed
person gets one "too many messages" through the outbox per window. STOP always goes through: a flood
never stands between a person and the word that ends our messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from channels.inbound_limits import (
    TOO_MANY,
    InboundLimiter,
    InboundLimitSettings,
    Verdict,
    sender_tag,
)
from channels.inbound_limits import sms_country_allowed as _allowed
from channels.message import Outgoing
from channels.replies import enqueue_replies
from handlers.context import AppContext
from handlers.sms.conversation import Inbound
from handlers.sms.keywords import Keyword, match_keyword
from storage.base import utcnow
from storage.identities import find_identity
from storage.inbound import record_event
from storage.locks import lock_address
from storage.models import Channel, Contact, ContactStatus

log = logging.getLogger(__name__)


@dataclass
class SmsGate:
    countries: frozenset[str]
    limiter: InboundLimiter

    @classmethod
    def from_settings(cls, settings: InboundLimitSettings | None = None) -> SmsGate:
        settings = settings or InboundLimitSettings()
        limiter = InboundLimiter(per_window=settings.sms_inbound_per_minute)
        return cls(settings.sms_allowed_countries, limiter)

    def admit(self, sms: Inbound) -> Verdict | None:
        """None: a number we never answer (another country); else what the flood limit says."""
        if not _allowed(sms.phone, self.countries):
            log.info(
                "incoming SMS %s from %s outside SMS_ALLOWED_COUNTRIES: not answered, nothing stored",
                sms.message_sid,
                sender_tag("sms", sms.phone),
            )
            return None
        verdict = self.limiter.check(Channel.SMS.value, sms.phone)
        if verdict is not Verdict.HANDLE and match_keyword(sms.body) is Keyword.STOP:
            return Verdict.HANDLE
        return verdict


async def hold_back(context: AppContext, sms: Inbound, verdict: Verdict) -> None:
    """Record an SMS over the limit without reading it; warn a subscribed person once per window."""
    now = utcnow()
    async with context.sessions() as session, session.begin():
        await lock_address(session, "sms", sms.phone)
        if not await record_event(session, Channel.SMS.value, sms.message_sid):
            return
        log.info("incoming SMS %s over the flood limit: recorded, not answered", sms.message_sid)
        if verdict is not Verdict.WARN:
            return
        identity = await find_identity(session, Channel.SMS, sms.phone)
        contact = await session.get(Contact, identity.contact_id) if identity else None
        if contact is None or contact.status == ContactStatus.UNSUBSCRIBED:
            return  # no record (refused, erased) or stopped: such a number is never written to unasked
        await enqueue_replies(
            session,
            contact_id=contact.id,
            channel=Channel.SMS,
            address=sms.phone,
            language=contact.language,
            event_id=sms.message_sid,
            replies=[Outgoing.say(TOO_MANY)],
            now=now,
        )
