"""The Telegram-style simulator routes a typed line or a pressed button exactly as `handlers.telegram`'s
routers do (same commands, same callback namespaces, same order), to the same conversations.

Only the routing is repeated here, because aiogram's routers need a Telegram update and a Bot; the
conversations themselves (`Conversation`, `SurveyConversation`, `HearingConversation`) are the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from channels.message import Outgoing, Reply
from contacts.conversation import Conversation
from contacts.registry import contact_for
from handlers.context import AppContext
from handlers.telegram.actionplan_site import plan_chat
from handlers.telegram.onboarding import NAMESPACES as SIGNUP_NAMESPACES
from handlers.telegram.onboarding import OPEN_BEFORE_SIGNUP, SETTINGS_COMMANDS
from hearings.service import HearingConversation
from storage.identities import find_identity
from storage.models import Channel, Contact
from surveys.engine import STATE_PREFIX as SURVEY_STATE
from surveys.engine import SurveyConversation
from surveys.prompts import NAMESPACES as SURVEY_NAMESPACES

SIGN_UP_FIRST = "Please send /start to sign up first."
HEARING_NAMESPACES = ("hr", "hq")
CHANNEL = Channel.TELEGRAM


@dataclass
class TelegramStyle:
    """One event of one simulated Telegram user; `language` plays Telegram's `language_code`."""

    session: AsyncSession
    app: AppContext
    address: str
    language: str
    now: datetime

    async def handle(self, *, text: str | None = None, data: str | None = None) -> tuple[Reply, str]:
        """What the bot answers, and the language to render it in (the person's, once known)."""
        contact = await self._known()
        if contact is not None:
            contact.last_seen_at = self.now
        if data is not None:
            reply = await self._button(contact, data)
        else:
            reply = await self._message(contact, (text or "").strip())
        person = await self._known() if contact is None else contact
        return reply, person.language if person is not None else self.language

    async def _message(self, contact: Contact | None, text: str) -> Reply:
        if text.startswith("/"):
            command = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if len(text) > 1 else ""
            if command == "start":
                return await (await self._signup(contact)).start()
            if command in SETTINGS_COMMANDS:
                if contact is None and command not in OPEN_BEFORE_SIGNUP:
                    return [Outgoing.say(SIGN_UP_FIRST)]
                return await (await self._signup(contact)).command(command)
            if command == "polls":
                if contact is None:
                    return [Outgoing.say(SIGN_UP_FIRST)]
                return await SurveyConversation(self.session, contact, CHANNEL, self.now).list_open()
            if command == "hearings":
                if contact is None:
                    return [Outgoing.say(SIGN_UP_FIRST)]
                return await HearingConversation(self.session, contact, CHANNEL, self.now).list_upcoming()
            if command == "actionplan":
                if contact is None:
                    return [Outgoing.say(SIGN_UP_FIRST)]
                return await plan_chat(self.session, contact, self.now)
        elif contact is not None and contact.dialog_state:
            if contact.dialog_state.startswith("hearing."):
                return await HearingConversation(self.session, contact, CHANNEL, self.now).text(text)
            if contact.dialog_state.startswith(SURVEY_STATE):
                return await SurveyConversation(self.session, contact, CHANNEL, self.now).text(text)
        if contact is None:
            return [Outgoing.say("Hello! Send /start to sign up.")]
        return await self._conversation(contact).text(text)

    async def _button(self, contact: Contact | None, data: str) -> Reply:
        namespace = data.partition(":")[0]
        known = namespace in (*SIGNUP_NAMESPACES, *SURVEY_NAMESPACES, *HEARING_NAMESPACES)
        if contact is None:
            return [Outgoing.say(SIGN_UP_FIRST)] if known else []
        if namespace in SIGNUP_NAMESPACES:
            return await self._conversation(contact).choose(data)
        if namespace in HEARING_NAMESPACES:
            return await HearingConversation(self.session, contact, CHANNEL, self.now).choose(data)
        if namespace in SURVEY_NAMESPACES:
            return await SurveyConversation(self.session, contact, CHANNEL, self.now).choose(data)
        return await self._conversation(contact).choose("?:")

    async def _known(self) -> Contact | None:
        identity = await find_identity(self.session, CHANNEL, self.address)
        return None if identity is None else await self.session.get(Contact, identity.contact_id)

    async def _signup(self, contact: Contact | None) -> Conversation:
        if contact is None:
            contact, _ = await contact_for(
                self.session,
                CHANNEL,
                self.address,
                language=self.language,
                chat_id=self.address,
                now=self.now,
            )
        return self._conversation(contact)

    def _conversation(self, contact: Contact) -> Conversation:
        return Conversation(self.session, self.app.vault, self.app.policy, contact, CHANNEL, self.now)
