"""One incoming SMS -> what to answer: keywords first, then the answer to the last question asked.

Thin by design: it reads the message (keyword, number), calls the sign-up conversation, the survey engine,
the hearings service or the privacy services, and hands back their replies in SMS wording. Decisions:

* DATA, WITHDRAW and DELETE (any language) are the rights of /mydata by SMS; DELETE asks to confirm.
* STOP (any language or spelling) stops everything and is confirmed once; while stopped, only START and
  HELP are answered, so after the confirmation nothing else arrives. Someone who stops before consenting
  is forgotten (only the keyed opt-out hash stays), exactly as if they had refused consent.
* When Twilio already answered a keyword itself (Advanced Opt-Out adds `OptOutType`), we act on it but do
  not answer it a second time.
* A number we refused, erased or saw STOP from (opt-out hash) gets no answer at all until it sends START.
* A bare number (or an option's word) answers the open conversation (dialog state), else the choices
  that reached the person last (`channels.offers`: a hearing notice or a poll invitation). Anything
  else gets one short "did not understand" (bounded by `channels.replies`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import negotiate
from channels.message import Outgoing, Reply
from channels.offers import question_for
from channels.replies import last_reply_at
from channels.sms.render import pick_choice, pick_choices
from channels.sms.sender import SMS_UNSUBSCRIBED
from contacts import privacy
from contacts.conversation import Conversation, Step
from contacts.privacy import PrivacyPolicy
from contacts.registry import (
    contact_for,
    forget_opt_out,
    is_opted_out,
    municipalities,
    remember_opt_out,
)
from contacts.vault import DataVault
from handlers.dialogs import ENTRY_NAMESPACES, DialogKind, Dialogs, kind_of_entry
from handlers.sms import reading, texts
from handlers.sms.keywords import Keyword, match_keyword
from handlers.telegram.actionplan_site import plan_sms  # the PLAN keyword (no aiogram inside)
from storage.identities import find_identity, set_identity_reachable
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus, IdentityStatus, Municipality

# How long a hearing notice or poll invitation can still be answered with a bare number.
ENTRY_CHOICES_FOR = timedelta(days=30)
_TOPIC_STEPS = (Step.TOPICS, Step.SET_TOPICS)
_RIGHTS = (Keyword.DATA, Keyword.DELETE, Keyword.WITHDRAW)


@dataclass(frozen=True)
class Inbound:
    """One incoming SMS: Twilio's MessageSid, the sender's E.164 number, the text, `OptOutType`."""

    message_sid: str
    phone: str
    body: str
    opt_out_type: str | None = None


@dataclass
class SmsAnswer:
    """What to send back. `contact_id` None: the person has no record (refused, erased, a stranger's
    STOP), so the replies go inline in the webhook's answer, never into the outbox."""

    contact_id: int | None
    language: str
    replies: list[Outgoing] = field(default_factory=list)
    understood: bool = True


@dataclass
class SmsConversation:
    session: AsyncSession
    vault: DataVault
    policy: PrivacyPolicy
    now: datetime

    async def handle(self, sms: Inbound) -> SmsAnswer:
        keyword = match_keyword(sms.body)
        identity = await find_identity(self.session, Channel.SMS, sms.phone)
        if identity is None:
            return await self._stranger(sms, keyword)
        contact = await self.session.get_one(Contact, identity.contact_id)
        contact.last_seen_at = self.now
        if keyword is Keyword.STOP:
            return await self._stop(contact, sms)
        if contact.status == ContactStatus.UNSUBSCRIBED:
            return await self._while_stopped(contact, identity, keyword, sms)
        await self._reachable_again(identity, keyword)
        if keyword is Keyword.START:
            if contact.has_consent:
                known = Outgoing.say("You are already signed up.")
                return self._say(contact, [] if _twilio_answered(sms, keyword) else [known])
            return await self._adapted(contact, await self._dialogs(contact).signup().start())
        if keyword is Keyword.HELP:
            return await self._help(contact, sms)
        if keyword is Keyword.LANGUAGE:
            language_menu = await self._dialogs(contact).signup().command("language")
            return await self._adapted(contact, language_menu)
        if keyword in _RIGHTS and contact.has_consent:
            return await self._right(contact, keyword)
        if keyword is Keyword.PLAN and contact.has_consent:
            return self._say(contact, list(await plan_sms(self.session, contact, self.now)))
        return await self._answer(contact, sms, keyword)

    # -- keywords ------------------------------------------------------------------------------------

    async def _stranger(self, sms: Inbound, keyword: Keyword | None) -> SmsAnswer:
        """A number with no record: sign-up starts, unless it refused or stopped before."""
        if await is_opted_out(self.session, self.vault, Channel.SMS, sms.phone):
            if keyword is not Keyword.START:
                return SmsAnswer(None, negotiate(None))
            await forget_opt_out(self.session, self.vault, Channel.SMS, sms.phone)
        elif keyword is Keyword.STOP:
            await remember_opt_out(self.session, self.vault, Channel.SMS, sms.phone, "stopped")
            replies = [] if _twilio_answered(sms, keyword) else [texts.say(texts.STOPPED)]
            return SmsAnswer(None, reading.guess_language(sms.body), replies)
        contact, _ = await contact_for(
            self.session, Channel.SMS, sms.phone, language=reading.guess_language(sms.body), now=self.now
        )
        answer = await self._adapted(contact, await self._dialogs(contact).signup().start())
        answer.replies[:1] = [texts.greeted(reply) for reply in answer.replies[:1]]
        return answer

    async def _stop(self, contact: Contact, sms: Inbound) -> SmsAnswer:
        confirm = [] if _twilio_answered(sms, Keyword.STOP) else [texts.say(texts.STOPPED)]
        if contact.status == ContactStatus.UNSUBSCRIBED:
            return self._say(contact, [])  # confirmed the first time; nothing more
        contact.dialog_state, contact.dialog_data = None, {}
        if not contact.has_consent:
            language = contact.language
            await privacy.decline(self.session, self.vault, contact)
            return SmsAnswer(None, language, confirm)
        await privacy.stop(self.session, contact, self.now)
        return self._say(contact, confirm)

    async def _while_stopped(
        self, contact: Contact, identity: ChannelIdentity, keyword: Keyword | None, sms: Inbound
    ) -> SmsAnswer:
        if keyword is Keyword.START:
            await privacy.resume(self.session, contact, self.now)
            await self._reachable_again(identity, keyword)
            welcome = Outgoing.say("Welcome back! Messages are on again.")
            return self._say(contact, [] if _twilio_answered(sms, keyword) else [welcome])
        if keyword is Keyword.HELP and not _twilio_answered(sms, keyword):
            return self._say(contact, [texts.help_text(self.policy)])
        return self._say(contact, [])

    async def _help(self, contact: Contact, sms: Inbound) -> SmsAnswer:
        if contact.dialog_state == Step.CONSENT:  # "Details: reply INFO" in the consent notice
            details = texts.privacy_details(await self._municipality(contact), self.policy)
            return self._say(contact, [details])
        if _twilio_answered(sms, Keyword.HELP):
            return self._say(contact, [])
        return self._say(contact, [texts.help_text(self.policy)])

    async def _right(self, contact: Contact, keyword: Keyword) -> SmsAnswer:
        """DATA (what we keep), WITHDRAW (the sensitive answers), DELETE (asks to confirm first)."""
        signup = self._dialogs(contact).signup()
        if keyword is Keyword.DATA:
            summary = await privacy.data_summary(self.session, contact)
            return self._say(contact, texts.my_data(summary, await self._municipality(contact), self.policy))
        if keyword is Keyword.WITHDRAW:
            return await self._adapted(contact, await signup.withdraw_special())
        return await self._adapted(contact, await signup.command("delete"))

    async def _reachable_again(self, identity: ChannelIdentity, keyword: Keyword | None) -> None:
        """They just wrote from this number, so it works; a Twilio opt-out (21610) ends only with START."""
        if identity.status != IdentityStatus.UNREACHABLE:
            return
        if (identity.unreachable_reason or "").startswith(SMS_UNSUBSCRIBED) and keyword is not Keyword.START:
            return
        await set_identity_reachable(self.session, Channel.SMS, identity.address, True)

    # -- answers -------------------------------------------------------------------------------------

    async def _answer(self, contact: Contact, sms: Inbound, keyword: Keyword | None) -> SmsAnswer:
        dialogs = self._dialogs(contact)
        current = dialogs.current()
        if current is None and not contact.has_consent:
            return await self._adapted(contact, await dialogs.signup().start())
        entry = await self._entry(contact, sms.body, keyword, newer_than_dialog=current is not None)
        if entry is not None:
            kind, data = entry
            return await self._adapted(contact, await dialogs.of_kind(kind).choose(data))
        if current is None:
            return self._say(contact, [texts.say(texts.NOT_UNDERSTOOD)], understood=False)
        if current[0] is DialogKind.SIGNUP:
            return await self._signup_answer(contact, dialogs.signup(), sms.body, keyword)
        return await self._adapted(contact, await current[1].text(sms.body))

    async def _entry(
        self, contact: Contact, body: str, keyword: Keyword | None, *, newer_than_dialog: bool
    ) -> tuple[DialogKind, str] | None:
        """The hearing notice or poll invitation a number, its word (or yes/no) answers: the choices in
        front of the person (`channels.offers`). In a conversation, only choices put there after our
        last reply count: they are then the last question the person was asked."""
        if not contact.has_consent:
            return None
        question = await question_for(
            self.session, contact_id=contact.id, channel=Channel.SMS, since=self.now - ENTRY_CHOICES_FOR
        )
        if question is None or not question.within(ENTRY_NAMESPACES):
            return None
        if newer_than_dialog:
            replied = await last_reply_at(self.session, contact_id=contact.id, channel=Channel.SMS)
            if replied is not None and replied > question.offered_at:
                return None
        data = question.pick(body) or reading.yes_no(keyword, question.data)
        kind = kind_of_entry(data) if data else None
        return (kind, data) if kind is not None and data is not None else None

    async def _signup_answer(
        self, contact: Contact, conversation: Conversation, body: str, keyword: Keyword | None
    ) -> SmsAnswer:
        offered = conversation.offered_choices()
        if contact.dialog_state in _TOPIC_STEPS:
            picked = pick_choices(body, offered)
            if picked is None:
                return await self._adapted(contact, await conversation.text(body), understood=False)
            return await self._adapted(contact, await self._set_topics(conversation, picked))
        data = pick_choice(body, offered) or reading.yes_no(keyword, offered)
        data = data or reading.by_name(body, offered, await municipalities(self.session))
        if data is None:
            return await self._adapted(contact, await conversation.text(body), understood=False)
        replies = list(await conversation.choose(data))
        if conversation.erased:  # refused consent: the record is gone, so the farewell goes inline
            farewell = [texts.adapt(r, contact.language, None, self.policy) for r in replies]
            return SmsAnswer(None, contact.language, farewell)
        if contact.dialog_state == Step.PROFILE_OFFER and contact.dialog_data.get("onboarding"):
            # The optional profile is not asked by SMS: every question costs the person's patience and
            # the municipality several UCS-2 segments. Sign-up ends with the welcome instead.
            replies = [*replies[:-1], *await conversation.choose("prof:skip")]
        return await self._adapted(contact, replies)

    async def _set_topics(self, conversation: Conversation, picked: list[str]) -> list[Outgoing]:
        """By SMS the numbers typed are the topics wanted (not toggles), then the step is done."""
        contact = conversation.contact
        wanted = {data.partition(":")[2] for data in picked if data.startswith("top:")}
        for code in [*contact.topics]:
            if code not in wanted:
                await conversation.choose(f"top:{code}")
        for code in sorted(wanted):
            if code not in contact.topics:
                await conversation.choose(f"top:{code}")
        replies = list(await conversation.choose("topd:"))
        if contact.dialog_state == Step.PROFILE_OFFER:
            replies = list(await conversation.choose("prof:skip"))
        return replies

    # -- small pieces --------------------------------------------------------------------------------

    async def _adapted(self, contact: Contact, replies: Reply, *, understood: bool = True) -> SmsAnswer:
        municipality = await self._municipality(contact)
        adapted = [texts.adapt(r, contact.language, municipality, self.policy) for r in replies]
        return SmsAnswer(contact.id, contact.language, texts.combine(adapted), understood)

    def _say(self, contact: Contact, replies: list[Outgoing], *, understood: bool = True) -> SmsAnswer:
        return SmsAnswer(contact.id, contact.language, replies, understood)

    def _dialogs(self, contact: Contact) -> Dialogs:
        return Dialogs(self.session, self.vault, self.policy, contact, Channel.SMS, self.now)

    async def _municipality(self, contact: Contact) -> Municipality | None:
        if contact.municipality_id is None:
            return None
        return await self.session.get(Municipality, contact.municipality_id)


def _twilio_answered(sms: Inbound, keyword: Keyword | None) -> bool:
    return keyword is not None and (sms.opt_out_type or "").strip().lower() == keyword.value
