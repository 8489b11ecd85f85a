"""Twilio's two webhooks: incoming SMS and delivery status callbacks, both signed with X-Twilio-Signature.

The signature covers the exact URL Twilio was given, so behind a reverse proxy it is checked against
`PUBLIC_BASE_URL` + the path, never the URL this process sees; anything that does not validate is
refused with 403 and changes nothing. An incoming SMS is handled in one transaction (its MessageSid
recorded, so a re-send is handled once) and answered at once with empty TwiML: the replies wait in the
outbox, paced and retried like every message. Only the farewell to someone whose record was just deleted
(refused consent, a STOP before signing up) goes inline in the TwiML, because no outbox row may name them.
An SMS the database does not take within the inbound spool's budget is kept in the spool
(`handlers.spool`), answered with empty TwiML, and handled by `replayer` once the database is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import ImmutableMultiDict, State
from twilio.request_validator import RequestValidator, get_signature_algorithm

from channels.inbound_limits import Verdict
from channels.replies import enqueue_replies
from channels.sms import receipts
from channels.sms.receipts import Receipt
from channels.sms.render import render_sms
from channels.spool import SpoolEntry
from contacts.phones import InvalidPhone, normalize_phone
from handlers.context import AppContext
from handlers.locks import SenderLocks
from handlers.sms.conversation import Inbound, SmsAnswer, SmsConversation
from handlers.sms.gate import SmsGate, hold_back
from handlers.spool import Replay
from storage.base import utcnow
from storage.inbound import record_event
from storage.locks import lock_address
from storage.models import Channel
from storage.outage import DatabaseUnavailable

log = logging.getLogger(__name__)
router = APIRouter()

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
TWIML_TYPE = "application/xml"
# Pauses before looking an unknown SID up again: about three seconds in all, well inside Twilio's timeout.
RECEIPT_WAITS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)


@dataclass(frozen=True)
class SmsWebhookConfig:
    """What the webhooks need of the settings, read once on the first request."""

    auth_token: str
    public_base_url: str | None
    own_numbers: frozenset[str]


def _config(state: State) -> tuple[SmsWebhookConfig, AppContext] | None:
    """The SMS configuration of the running service, or None when SMS is off."""
    service = getattr(state, "service", None)
    if service is None:
        return None
    config: SmsWebhookConfig | None = getattr(state, "sms_webhook", None)
    if config is None:
        twilio, http = service.settings.twilio, service.settings.http
        if not twilio.enabled:
            return None
        config = SmsWebhookConfig(
            auth_token=twilio.twilio_auth_token.get_secret_value(),
            public_base_url=http.public_base_url,
            own_numbers=frozenset(n for n in (twilio.twilio_from,) if n),
        )
        state.sms_webhook = config
        state.sms_locks = SenderLocks()  # one SMS per number in this process; lock_address spans replicas
        state.sms_gate = SmsGate.from_settings()
    context: AppContext = service.context
    return config, context


def signed_url(request: Request, public_base_url: str | None) -> str:
    """The URL Twilio signed: the public base plus the path and query this request arrived with."""
    if not public_base_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_base_url.rstrip('/')}{request.url.path}{query}"


def is_signed(request: Request, form: ImmutableMultiDict[str, str], config: SmsWebhookConfig) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
    validator = RequestValidator(config.auth_token)
    return bool(validator.validate(signed_url(request, config.public_base_url), form, signature, algorithm))


async def read_form(request: Request) -> ImmutableMultiDict[str, str]:
    """Twilio posts application/x-www-form-urlencoded UTF-8; empty fields are kept (they are signed)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return ImmutableMultiDict(parse_qsl(body, keep_blank_values=True))


async def _verified_form(request: Request, config: SmsWebhookConfig) -> ImmutableMultiDict[str, str] | None:
    form = await read_form(request)
    if is_signed(request, form, config):
        return form
    log.warning(
        "refused a Twilio webhook with an invalid signature: %s from %s", request.url.path, request.client
    )
    return None


@router.post("/twilio/sms", include_in_schema=False)
async def incoming_sms(request: Request) -> Response:
    """Handle one incoming SMS; the answer is empty TwiML (replies go through the outbox)."""
    found = _config(request.app.state)
    if found is None:
        return Response(status_code=404)
    config, context = found
    form = await _verified_form(request, config)
    if form is None:
        return Response("invalid signature", status_code=403, media_type="text/plain")
    sms = _inbound(form, config)
    if sms is None:
        return _twiml([])
    verdict = request.app.state.sms_gate.admit(sms)  # other countries and floods: see handlers.sms.gate
    if verdict is None:
        return _twiml([])
    entry = SpoolEntry(Channel.SMS.value, sms.message_sid, sms.phone, utcnow(),
                       {"form": list(form.multi_items()), "verdict": verdict.value})  # fmt: skip
    locks: SenderLocks = request.app.state.sms_locks
    try:  # answered within the spool's budget: handled, or kept in the spool for later
        answer = await request.app.state.intake.take(entry, lambda: _process(context, locks, sms, verdict))
    except Exception:  # nothing was kept (one transaction, no spool): Twilio does not send it again
        log.exception("incoming SMS %s could not be handled", sms.message_sid)
        return Response("could not handle the message", status_code=500, media_type="text/plain")
    if not isinstance(answer, SmsAnswer):  # nothing to say in the answer, or kept in the spool for later
        return _twiml([])
    inline = answer.replies if answer.contact_id is None else []
    return _twiml([render_sms(reply, answer.language) for reply in inline])


def _inbound(form: Mapping[str, str], config: SmsWebhookConfig) -> Inbound | None:
    """The SMS in a signed form; None when there is nothing to answer (no SID, ourselves, no number)."""
    sid, sender = str(form.get("MessageSid", "")), str(form.get("From", ""))
    if not sid or sender in config.own_numbers:
        return None  # nothing to answer, and never an answer to ourselves
    try:
        phone = normalize_phone(sender)
    except InvalidPhone as exc:
        log.info("incoming SMS %s from a number we cannot answer (%s); ignored", sid, exc.reason)
        return None
    opt_out = form.get("OptOutType")
    return Inbound(sid, phone, str(form.get("Body", "")), str(opt_out) if opt_out else None)


async def _process(
    context: AppContext, locks: SenderLocks, sms: Inbound, verdict: Verdict
) -> SmsAnswer | None:
    async with locks.hold(sms.phone):
        if verdict is not Verdict.HANDLE:
            await hold_back(context, sms, verdict)
            return None
        return await _handle(context, sms)


def replayer(state: State) -> Replay:
    """Handle a spooled SMS as the webhook would have (its signature and the flood limit were checked
    when it arrived). A farewell to a number without a record can no longer go in the answer: dropped."""

    async def replay(entry: SpoolEntry) -> None:
        found = _config(state)
        if found is None:
            raise DatabaseUnavailable("SMS is off in this run: the spooled SMS waits")
        config, context = found
        sms = _inbound(ImmutableMultiDict(entry.payload["form"]), config)
        if sms is None:
            return
        answer = await _process(context, state.sms_locks, sms, Verdict(entry.payload["verdict"]))
        if answer is not None and answer.contact_id is None and answer.replies:
            log.info("incoming SMS %s replayed: its farewell to a number without a record is not sent",
                     sms.message_sid)  # fmt: skip

    return replay


async def _handle(context: AppContext, sms: Inbound) -> SmsAnswer | None:
    """One transaction: the MessageSid recorded, the conversation advanced, its replies queued.

    A bare number is read against what was in front of the person when it arrived (`channels.offers`),
    at once: a reply is never held back in case a send is still being recorded.
    """
    now = utcnow()
    async with context.sessions() as session, session.begin():
        await _lock_number(session, sms.phone)
        if not await record_event(session, Channel.SMS.value, sms.message_sid):
            log.info("incoming SMS %s already handled; skipped", sms.message_sid)
            return None
        answer = await SmsConversation(session, context.vault, context.policy, now).handle(sms)
        if answer.contact_id is None:
            return answer
        await enqueue_replies(
            session,
            contact_id=answer.contact_id,
            channel=Channel.SMS,
            address=sms.phone,
            language=answer.language,
            event_id=sms.message_sid,
            replies=answer.replies,
            understood=answer.understood,
            now=now,
        )
        return answer


async def _lock_number(session: AsyncSession, phone: str) -> None:
    await lock_address(session, "sms", phone)


def _twiml(bodies: list[str]) -> Response:
    """Empty TwiML, or <Message> verbs for a farewell that cannot wait in the outbox."""
    verbs = "".join(f"<Message>{escape(body)}</Message>" for body in bodies)
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response>{verbs}</Response>' if verbs else EMPTY_TWIML
    return Response(body, media_type=TWIML_TYPE)


@router.post("/twilio/status", include_in_schema=False)
async def status_callback(request: Request) -> Response:
    """Move the outbox row of a sent SMS along sent / delivered / undelivered / failed."""
    found = _config(request.app.state)
    if found is None:
        return Response(status_code=404)
    config, context = found
    form = await _verified_form(request, config)
    if form is None:
        return Response("invalid signature", status_code=403, media_type="text/plain")
    await record_status(context, form)
    return Response(status_code=204)


async def record_status(
    context: AppContext, form: Mapping[str, object], *, waits: Sequence[float] = RECEIPT_WAITS
) -> bool:
    """Apply one callback; a late or repeated one changes nothing (receipts only move forward).

    Twilio may call back before the delivery worker has stored the message's SID (a fast "failed"),
    so an unknown SID is looked up again after each of `waits` seconds; returns whether it was found.
    """
    receipt = Receipt.from_form(form)
    if receipt is None:
        return False
    if receipt.unreachable_reason is not None:
        async with context.sessions() as session, session.begin():
            await receipts.mark_unreachable(session, receipt)
    for wait in (0.0, *waits):
        await asyncio.sleep(wait)
        async with context.sessions() as session, session.begin():
            if await receipts.apply(session, receipt, now=utcnow()):
                return True
    log.info("status %s for an SMS we do not know (%s); dropped", receipt.status, receipt.sid)
    return False
